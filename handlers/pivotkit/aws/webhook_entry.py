"""Composition root of the call-webhook handler: ``/hooks/<slug>`` on a customer's function.

Built by ``customer_entry`` on the first webhook request, like the media handler: the Pivot
cold start never pays for it. It shares the function's token source and telemetry
(``FunctionParts``). With telemetry on, the end of the caller's leg is written to the
call journal (``pivotkit.webhooks.journal_recorder``); every other event, and every event with
telemetry off, is one marked log line (``pivotkit.webhooks.record_in_log``).
"""

from __future__ import annotations

import os
from collections.abc import Mapping

from pivotkit.aws.composition import FunctionParts, build_function_parts
from pivotkit.aws.settings import Settings
from pivotkit.customers import Customer, discover_customers
from pivotkit.http import LambdaHandler, lambda_handler
from pivotkit.webhooks import (
    CallEventRecorder,
    WebhookApp,
    WebhookObserver,
    journal_recorder,
    log_webhook,
    record_in_log,
)


def make_webhook_handler(
    environ: Mapping[str, str] | None = None,
    *,
    customers: Mapping[str, Customer] | None = None,
    parts: FunctionParts | None = None,
    record: CallEventRecorder | None = None,
    observers: tuple[WebhookObserver, ...] = (),
) -> LambdaHandler:
    """The Lambda handler; ``observers`` see each outcome besides the log line (the local
    gateway's request log)."""
    env = os.environ if environ is None else environ
    settings = Settings.from_env(env)
    served = customers if customers is not None else discover_customers(only=settings.customer)
    shared = parts if parts is not None else build_function_parts(settings, served)
    if record is None:
        # With telemetry on (Lambda), the caller's end goes into the call journal.
        journal = shared.telemetry.journal if shared.telemetry is not None else None
        record = record_in_log if journal is None else journal_recorder(journal)
    app = WebhookApp(served, shared.tokens, record=record, observers=(log_webhook, *observers))

    handler = lambda_handler(app, public_url=settings.public_url)
    telemetry = shared.telemetry
    return handler if telemetry is None else telemetry.wrap(handler)
