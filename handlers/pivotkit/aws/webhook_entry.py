"""Composition root of the call-webhook handler: ``/hooks/<slug>`` on a customer's function.

Built by ``customer_entry`` on the first webhook request, like the media handler: the Pivot
cold start never pays for it. It shares the function's token source and telemetry
(``FunctionParts``). With telemetry on, the end of the caller's leg is written to the
call journal (``pivotkit.webhooks.journal_recorder``); every other event, and every event with
no journal, is one marked log line (``pivotkit.webhooks.record_in_log``).
"""

from __future__ import annotations

from collections.abc import Mapping

from pivotkit.aws.composition import FunctionParts, build_function
from pivotkit.aws.settings import Settings
from pivotkit.customers import Customer
from pivotkit.http import LambdaHandler, lambda_handler
from pivotkit.shared import SharedStore
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
    settings, served, shared = build_function(environ, customers, parts)
    if record is None:
        # With a journal (Lambda's telemetry, serve's), the caller's end goes into it.
        journal = shared.journal
        record = record_in_log if journal is None else journal_recorder(journal)
    app = WebhookApp(
        served,
        shared.tokens,
        record=record,
        observers=(log_webhook, *observers),
        shared=_shared_store(settings, served),
    )

    handler = lambda_handler(app, public_url=settings.public_url)
    telemetry = shared.telemetry
    return handler if telemetry is None else telemetry.wrap(handler)


def _shared_store(settings: Settings, customers: Mapping[str, Customer]) -> SharedStore | None:
    """The Pivot handler's ``call.shared`` store, for the hooks of customers that have one
    (none has: nothing built)."""
    if not any(c.on_call_end is not None for c in customers.values()):
        return None
    from pivotkit.aws.lambda_entry import build_shared_store

    return build_shared_store(settings)
