"""The call-webhook endpoint: Kazoo tells a customer how its calls went and ended.

    route -> authenticate (token) -> decode (CallEvent) -> account allowed?
          -> record the event -> (channel_destroy) the customer's on_call_end -> 200

``/hooks/<slug>?token=...`` takes what Kazoo's webhooks app sends for the account webhooks
``pivotkit kazoo webhook`` creates (``pivotkit.call_events``). Kazoo re-sends an event only
when it could not connect or read an answer; any status but 200 is a failure that is not
re-sent, and six within a minute disable the webhook (docs/kazoo-notes.md, "Call webhooks").
So a 4xx is kept for what is wrong with the request itself, and an accepted event is a 200
whatever the customer's hook does: its errors and overruns are logged, never answered.

The hook runs before the answer (a Lambda does nothing after it answers) on the shared step
runner under ``hook_time_limit_seconds``, so a slow hook holds Kazoo's request no longer
than that; what it does after the limit is its own business (and is logged).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace

from pivotkit.call_events import CHANNEL_DESTROY, CallEvent, decode_call_event
from pivotkit.customers import Customer, TokenSource, check_token
from pivotkit.errors import (
    NotFound,
    PivotkitError,
    ServerError,
    StepTimedOut,
)
from pivotkit.http import (
    HttpRequest,
    HttpResponse,
    error_response,
    event_route,
    json_response,
    path_customer,
)
from pivotkit.journal import CallJournal
from pivotkit.observers import notify
from pivotkit.request import query_params
from pivotkit.shared import Shared, SharedStore
from pivotkit.step_runner import StepRunner, shared_runner

logger = logging.getLogger("pivotkit.webhooks")

WEBHOOK_ROOT = "hooks"
DEFAULT_HOOK_TIME_LIMIT_SECONDS = 3.0
# Marks the log line that records a call event (``record_in_log``): the call's journal entry
# until the journal takes call events itself.
CALL_EVENT_MARKER = "call_event"

# Where an accepted event is recorded: (customer slug, event). Must not raise for a
# well-formed event; if it does, the error is logged and the event still answered 200.
CallEventRecorder = Callable[[str, CallEvent], None]


def journal_recorder(journal: CallJournal) -> CallEventRecorder:
    """Record ``channel_destroy`` of the caller's leg as the call's ``call_end`` journal entry
    (what ``pivotkit calls`` reads to tell how and when a call ended); every other event, and
    the other legs' ends, as the marked log line of ``record_in_log``."""

    def record(customer: str, event: CallEvent) -> None:
        if event.kind != CHANNEL_DESTROY or event.direction == "outbound":
            record_in_log(customer, event)
            return
        journal.call_ended(
            customer=customer,
            call_id=event.call_id,
            account_id=event.account_id,
            hangup_cause=event.hangup_cause,
            duration_seconds=event.duration_seconds,
            ended_at=event.at if event.at is not None else time.time(),
        )

    return record


def record_in_log(customer: str, event: CallEvent) -> None:
    """One structured log line per event, marked ``call_event``: what ``calls show`` needs
    to tell how and when a call ended (no caller number or name: those stay in Kazoo)."""
    logger.info(
        "%s %s %s",
        CALL_EVENT_MARKER,
        event.kind,
        event.hangup_cause or "-",
        extra={
            "journal": CALL_EVENT_MARKER,
            "customer": customer,
            "call_id": event.call_id,
            "account_id": event.account_id,
            "call_event": event.kind,
            "at": event.at,
            "direction": event.direction,
            "other_leg_call_id": event.other_leg_call_id,
            "hangup_cause": event.hangup_cause,
            "hangup_code": event.hangup_code,
            "duration_seconds": event.duration_seconds,
            "billing_seconds": event.billing_seconds,
            "ringing_seconds": event.ringing_seconds,
        },
    )


@dataclass(frozen=True, slots=True)
class WebhookOutcome:
    """What happened to one webhook request; handed to observers (the log line)."""

    status: int
    duration_ms: float
    customer: str | None = None  # the customer the path names, if this app serves it
    call_id: str | None = None
    call_event: str | None = None
    error: str | None = None


WebhookObserver = Callable[[WebhookOutcome], None]


def log_webhook(outcome: WebhookOutcome) -> None:
    """One line per webhook request: every ``WebhookApp`` reports to it."""
    shown = outcome.customer or "-"
    extra: dict[str, object] = {
        "customer": shown,
        "status": outcome.status,
        "duration_ms": round(outcome.duration_ms, 1),
    }
    if outcome.call_event is not None:
        extra.update(call_id=outcome.call_id, call_event=outcome.call_event)
    if outcome.error is not None:
        extra["error"] = outcome.error
    logger.info("webhook %s -> %d", shown, outcome.status, extra=extra)


class WebhookApp:
    def __init__(
        self,
        customers: Mapping[str, Customer],
        tokens: TokenSource,
        *,
        record: CallEventRecorder = record_in_log,
        hook_time_limit_seconds: float = DEFAULT_HOOK_TIME_LIMIT_SECONDS,
        step_runner: StepRunner | None = None,
        observers: tuple[WebhookObserver, ...] = (log_webhook,),
        shared: SharedStore | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.customers = dict(customers)
        self.observers = observers
        self.tokens = tokens
        self.record = record
        self.hook_time_limit_seconds = hook_time_limit_seconds
        self._step_runner = step_runner
        # The store behind call.shared (the Pivot handler's): the hook sees it as
        # ``event.shared``; None gives the hook none.
        self.shared = shared
        self.clock = clock

    def handle(self, http: HttpRequest) -> HttpResponse:
        started = time.perf_counter()
        # /hooks/<slug> and nothing below it
        slug = path_customer(http.path, WEBHOOK_ROOT) if len(http.segments) == 2 else None
        event: CallEvent | None = None
        code: str | None = None
        try:
            customer = self._authenticate(slug, http)
            event = decode_call_event(http)
            customer.check_account(event.account_id)
            self._record(customer, event)
            if event.ended:
                self._run_hook(customer, event)
            response = json_response(200, {"received": event.kind})
        except PivotkitError as error:
            response, code = error_response(error), error.code
        except Exception:  # a bug: logged, and a non-200 Kazoo counts as a failure
            logger.exception("unhandled error on a webhook request")
            bug = ServerError("internal error")
            response, code = error_response(bug), bug.code
        self._report(slug, event, response.status, code, started)
        return response

    def refuse(self, event: object, error: PivotkitError, started: float) -> HttpResponse:
        """The answer to an event refused before it became an ``HttpRequest`` (not HTTP, too
        large), reported like any webhook request."""
        response = error_response(error)
        slug = path_customer(event_route(event)[1], WEBHOOK_ROOT)
        self._report(slug, None, response.status, error.code, started)
        return response

    def _authenticate(self, slug: str | None, http: HttpRequest) -> Customer:
        customer = self.customers.get(slug or "")
        if customer is None:
            raise NotFound("no such webhook endpoint")
        # On a GET the first "?" Kazoo adds glues the token to the event's first field.
        token = query_params(http, frozenset({"token"})).get("token", "").partition("?")[0]
        check_token(self.tokens, customer.slug, token)
        return customer

    def _record(self, customer: Customer, event: CallEvent) -> None:
        try:
            self.record(customer.slug, event)
        except Exception:  # the event is still answered: Kazoo would not re-send it anyway
            logger.exception(
                "could not record the %s event of a call",
                event.kind,
                extra={"customer": customer.slug, "call_id": event.call_id},
            )

    def _run_hook(self, customer: Customer, event: CallEvent) -> None:
        hook = customer.on_call_end
        if hook is None:
            return
        runner = self._step_runner or shared_runner()
        if self.shared is not None:
            event = replace(event, shared=Shared(self.shared, customer.slug, clock=self.clock))
        try:
            runner.run(hook, event, timeout=self.hook_time_limit_seconds)
        except StepTimedOut:
            logger.error(
                "on_call_end hook of %s did not return within %.1f s; answered without it",
                customer.slug,
                self.hook_time_limit_seconds,
                extra={"customer": customer.slug, "call_id": event.call_id},
            )
        except Exception:  # the customer's bug: logged, never a status Kazoo acts on
            logger.exception(
                "on_call_end hook of %s failed",
                customer.slug,
                extra={"customer": customer.slug, "call_id": event.call_id},
            )

    def _report(
        self,
        slug: str | None,
        event: CallEvent | None,
        status: int,
        code: str | None,
        started: float,
    ) -> None:
        outcome = WebhookOutcome(
            status=status,
            duration_ms=(time.perf_counter() - started) * 1000,
            # an unknown "slug" may be anything (the token, say): never reported
            customer=slug if slug in self.customers else None,
            call_id=None if event is None else event.call_id,
            call_event=None if event is None else event.kind,
            error=code,
        )
        notify(self.observers, outcome)
