"""Composition root of the call-webhook handler: ``/hooks/<slug>`` on a customer's function.

Built by ``customer_entry`` on the first webhook request, like the media handler: the Pivot
cold start never pays for it. It shares the function's token source and telemetry
(``FunctionParts``). Each accepted event is recorded as one marked log line
(``pivotkit.webhooks.record_in_log``), which Powertools writes as JSON when observability
is on.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Any

from pivotkit.aws.composition import FunctionParts, LambdaHandler, build_function_parts
from pivotkit.aws.settings import Settings
from pivotkit.customers import Customer, discover_customers
from pivotkit.errors import PivotkitError
from pivotkit.http import error_response, from_lambda_event
from pivotkit.webhooks import CallEventRecorder, WebhookApp, record_in_log


def make_webhook_handler(
    environ: Mapping[str, str] | None = None,
    *,
    customers: Mapping[str, Customer] | None = None,
    parts: FunctionParts | None = None,
    record: CallEventRecorder = record_in_log,
) -> LambdaHandler:
    env = os.environ if environ is None else environ
    settings = Settings.from_env(env)
    served = customers if customers is not None else discover_customers(only=settings.customer)
    shared = parts if parts is not None else build_function_parts(env, settings, served)
    app = WebhookApp(served, shared.tokens, record=record)

    def handler(event: Mapping[str, Any], context: Any) -> dict[str, Any]:
        try:
            http = from_lambda_event(event, public_url=settings.public_url)
        except PivotkitError as error:
            return error_response(error).to_lambda_result()
        return app.handle(http).to_lambda_result()

    telemetry = shared.telemetry
    return handler if telemetry is None else telemetry.wrap(handler)
