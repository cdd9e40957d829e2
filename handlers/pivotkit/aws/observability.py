"""Logs, metrics and traces of the Pivot function, wired into the engine as observers.

The composition root (``lambda_entry``) builds one ``Telemetry`` per cold start, and only
when observability is on, so this module (and Powertools with it) is imported only then.
Per request it produces:

- one JSON log line (Powertools Logger, ``service`` from ``POWERTOOLS_SERVICE_NAME``):
  customer, step, call id, Kazoo account, status, duration, state reads, writes,
  conflicts and retries, replay, error code, the caller's number and name as
  ``PIVOTKIT_LOG_CALLER_IDS`` says (masked by default); every other line logged while
  the request runs (the engine's, the state store's, a customer's step) carries the
  call's keys too;
- CloudWatch metrics as EMF documents on stdout (Powertools' EMF provider, namespace from
  ``POWERTOOLS_METRICS_NAMESPACE``), written once at the end of the request, never from a
  background thread (see docs/operations.md for names and dimensions);
- with ``PIVOTKIT_DEBUG=1``, the decoded request and the answer as debug lines;
- with ``PIVOTKIT_TRACING=1``, an X-Ray segment per invocation with customer, step and
  status annotations (Powertools Tracer, imported only then: it costs cold-start time).

Tokens never reach any of it: every line passes through a ``Redactor`` that knows the
customer's tokens. Metric dimensions only ever hold names the function defines (customers
it serves, their steps, single keypad keys): anything taken from a request that is not
one of them becomes ``unknown``, so no request can mint new CloudWatch metrics.
"""

from __future__ import annotations

import json
import logging
import sys
import threading
from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any

from aws_lambda_powertools.logging import Logger
from aws_lambda_powertools.logging.formatter import LambdaPowertoolsFormatter
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.metrics.provider.cloudwatch_emf.cloudwatch import (
    AmazonCloudWatchEMFProvider,
)

from pivotkit.aws.redaction import CallerIdMode, LearningTokens, Redactor, caller_id, mask_number
from pivotkit.aws.settings import ObservabilitySettings
from pivotkit.caller_input import choice as _choice
from pivotkit.escaping import escaped
from pivotkit.http import LambdaHandler
from pivotkit.journal import CallJournal

if TYPE_CHECKING:
    from pivotkit.app import Outcome
    from pivotkit.customers import Customer, TokenSource
    from pivotkit.media.app import MediaOutcome
    from pivotkit.request import PivotRequest

UNKNOWN = "unknown"
NO_STEP = "none"
# Loggers whose lines get the JSON format and the call's keys: the kit's and customers'.
KIT_LOGGERS = ("pivotkit", "customers", "examples")


def _stdout_line(line: str) -> None:
    sys.stdout.write(line + "\n")


class RedactingFormatter(LambdaPowertoolsFormatter):
    """Powertools' JSON lines, with every token blanked from the finished line."""

    def __init__(self, redactor: Redactor, **options: Any) -> None:
        super().__init__(**options)
        self.redactor = redactor

    def format(self, record: logging.LogRecord) -> str:
        return self.redactor(super().format(record))


class SdkCallCounter:
    """AWS API calls made by the current thread on the clients it is attached to.

    The DynamoDB client makes exactly one attempt per store call (the store retries on its
    own), so calls beyond the engine's reads and writes are the store's retries.
    """

    def __init__(self) -> None:
        self._local = threading.local()

    def attach(self, client: Any, service: str = "dynamodb") -> None:
        # after-call fires for every answer (even one a test injects before the request is
        # sent), after-call-error for every attempt that got none (timeouts, refusals).
        for event in ("after-call", "after-call-error"):
            client.meta.events.register(
                f"{event}.{service}", self._count, unique_id=f"pivotkit-{event}-{id(self)}"
            )

    def _count(self, **_: Any) -> None:
        self._local.calls = self.calls + 1

    @property
    def calls(self) -> int:
        return int(getattr(self._local, "calls", 0))


class Telemetry:
    """Logs, metrics and traces of one function: hooks for ``PivotApp`` and ``MediaApp`` and a
    handler wrapper."""

    def __init__(self, settings: ObservabilitySettings, customers: Mapping[str, Customer]) -> None:
        self.settings = settings
        self.redactor = Redactor()
        self.sdk_calls = SdkCallCounter()
        self._steps = {slug: frozenset(c.flow.step_names) for slug, c in customers.items()}
        mode = settings.caller_ids
        # The call journal (pivotkit.journal): its own line on stdout, one per request, so
        # it lands in the function's log group beside the request line. The composition
        # (FunctionParts.journal) makes it an engine observer after ``observe``.
        self.journal = CallJournal(
            _stdout_line,
            self.redactor,
            lambda value, is_number: caller_id(value, mode, is_number=is_number),
        )
        self.logger = _build_logger(settings, self.redactor)
        self._local = threading.local()
        self._emit_lock = threading.Lock()
        self._cold_start = True
        self._tracer: Any = None
        self._provider = AmazonCloudWatchEMFProvider(
            namespace=settings.namespace, service=settings.service
        )

    # -- wiring ---------------------------------------------------------------------------

    def tokens(self, source: TokenSource) -> TokenSource:
        """``source``, with every token it hands out blanked from logs from then on."""
        return LearningTokens(source, self.redactor)

    def wrap(self, handler: LambdaHandler) -> LambdaHandler:
        """The Lambda handler with per-invocation set-up (and a trace segment if tracing)."""

        def observed(event: Mapping[str, Any], context: Any) -> dict[str, Any]:
            self.begin(context)
            return handler(event, context)

        if not self.settings.tracing:
            return observed
        self._tracer = _build_tracer(self.settings.service, self.logger)
        if self._tracer is None:
            return observed
        traced: LambdaHandler = self._tracer.capture_lambda_handler(
            observed, capture_response=False, capture_error=False
        )
        return traced

    def begin(self, context: Any) -> None:
        """A new invocation: drop the last one's keys, note the Lambda request id."""
        self.logger.thread_safe_clear_keys()
        keys: dict[str, Any] = {"cold_start": self._cold_start}
        request_id = getattr(context, "aws_request_id", None)
        if isinstance(request_id, str):
            keys["function_request_id"] = request_id
        self.logger.thread_safe_append_keys(**keys)
        self._local.cold_start = self._cold_start
        self._local.calls_at_start = self.sdk_calls.calls
        self._cold_start = False

    # -- engine hooks ---------------------------------------------------------------------

    def on_request(self, customer: str, step: str, request: PivotRequest) -> None:
        """Tag every later line of this request with the call; in debug, log the request."""
        keys: dict[str, Any] = {
            "customer": customer,
            "step": self._step_name(customer, step, echo=True),
            "call_id": request.call_id,
            "account_id": request.account_id,
        }
        mode = self.settings.caller_ids
        number = caller_id(request.caller_id_number, mode, is_number=True)
        name = caller_id(request.caller_id_name, mode, is_number=False)
        if number is not None:
            keys["caller_id_number"] = number
        if name is not None:
            keys["caller_id_name"] = name
        self.logger.thread_safe_append_keys(**keys)
        if self.settings.debug:
            params = self.redactor.data(_masked_params(request.raw, mode))
            self.logger.debug("decoded Pivot request", extra={"request": params})

    def observe(self, outcome: Outcome) -> None:
        """The request's log line and metrics (and, in debug, the answer)."""
        known = outcome.customer in self._steps
        customer = outcome.customer if known else UNKNOWN
        retries = max(0, self._calls_since_start() - outcome.state_reads - outcome.state_writes)
        if self.settings.debug:
            self._log_answer(outcome)
        self.logger.info("pivot request", extra=self._line(outcome, customer, known, retries))
        if self._tracer is not None:
            self._annotate(outcome, customer)
        if self.settings.metrics:
            self._emit(outcome, customer, retries)

    def on_media(self, customer: str) -> None:
        """Tag every later line of this media request with its customer."""
        self.logger.thread_safe_append_keys(
            customer=customer if customer in self._steps else UNKNOWN
        )

    def observe_media(self, outcome: MediaOutcome) -> None:
        """The media request's metrics (``pivotkit.media.app.log_media`` writes its line)."""
        if self.settings.metrics:
            self._emit_media(outcome)

    # -- the log line ---------------------------------------------------------------------

    def _line(self, outcome: Outcome, customer: str, known: bool, retries: int) -> dict[str, Any]:
        line: dict[str, Any] = {
            "customer": customer,
            "step": self._step_name(outcome.customer, outcome.step, echo=True),
            "status": outcome.status,
            "duration_ms": round(outcome.duration_ms, 2),
            "fallback": outcome.status != 200,
            "replayed": outcome.replayed,
            "state_reads": outcome.state_reads,
            "state_writes": outcome.state_writes,
            "state_conflicts": outcome.conflicts,
            "state_retries": retries,
        }
        if not known:
            line["requested_customer"] = escaped(outcome.customer)
        optional = {
            "call_id": outcome.call_id,
            "account_id": outcome.account_id,
            "error": outcome.error,
            "previous_step": outcome.previous_step,
            "time_in_previous_step_ms": _rounded(outcome.previous_step_ms),
        }
        line.update({key: value for key, value in optional.items() if value is not None})
        if outcome.digits is not None:
            # The choice, when it is one key; never longer input (PINs, account numbers).
            line["choice"] = _choice(outcome.digits)
            line["digits_length"] = len(outcome.digits)
        return line

    def _log_answer(self, outcome: Outcome) -> None:
        try:
            answer: Any = json.loads(outcome.answer)
        except ValueError:
            answer = outcome.answer.decode("utf-8", "replace")[:1000]
        key = "callflow" if outcome.status == 200 else "answer"
        self.logger.debug("Pivot answer", extra={key: self.redactor.data(answer)})

    def _step_name(self, customer: str, step: str | None, *, echo: bool = False) -> str:
        """A step name for a log line (``echo``: unknown names shortened) or a dimension."""
        if step is None:
            return NO_STEP
        if step in self._steps.get(customer, ()):
            return step
        return escaped(step) if echo else UNKNOWN

    def _calls_since_start(self) -> int:
        return self.sdk_calls.calls - int(getattr(self._local, "calls_at_start", 0))

    # -- metrics --------------------------------------------------------------------------

    def _emit(self, outcome: Outcome, customer: str, retries: int) -> None:
        step = self._step_name(outcome.customer, outcome.step)
        status_class = f"{outcome.status // 100}xx"
        entered = outcome.status == 200 and not outcome.replayed
        values: list[tuple[str, float, MetricUnit]] = [
            ("Requests", 1, MetricUnit.Count),
            *[(f"Answers{c}", float(c == status_class), MetricUnit.Count) for c in _CLASSES],
            ("Fallbacks", float(outcome.status != 200), MetricUnit.Count),
            ("StateConflicts", outcome.conflicts, MetricUnit.Count),
            ("StateRetries", retries, MetricUnit.Count),
            ("Replays", float(outcome.replayed), MetricUnit.Count),
            ("StepsEntered", float(entered), MetricUnit.Count),
            ("Latency", outcome.duration_ms, MetricUnit.Milliseconds),
        ]
        if getattr(self._local, "cold_start", False):
            values.append(("ColdStarts", 1, MetricUnit.Count))
            self._local.cold_start = False
        documents: list[_Document] = [({"customer": customer}, {"step": step}, values)]
        if entered and outcome.digits is not None:
            dims = {"customer": customer, "step": step, "choice": _choice(outcome.digits)}
            documents.append((dims, None, [("Choices", 1, MetricUnit.Count)]))
        if entered and outcome.previous_step is not None and outcome.previous_step_ms is not None:
            previous = self._step_name(outcome.customer, outcome.previous_step)
            dims = {"customer": customer, "step": previous}
            timing = [("TimeInStep", outcome.previous_step_ms, MetricUnit.Milliseconds)]
            documents.append((dims, None, timing))
        self._publish(documents)

    def _publish(self, documents: Iterable[_Document]) -> None:
        """Each document as one EMF line: its values under its dimensions (plus ``service``)
        and, when it has finer ones, also under those. One provider writes them all in turn
        (a flush empties it), under a lock so a threaded local server never mixes two."""
        provider = self._provider
        with self._emit_lock:
            for dimensions, finer, values in documents:
                try:
                    for name, dimension in dimensions.items():
                        provider.add_dimension(name, dimension)
                    if finer is not None:
                        provider.add_dimensions(
                            service=self.settings.service, **dimensions, **finer
                        )
                    for metric, value, unit in values:
                        provider.add_metric(name=metric, unit=unit, value=value)
                    provider.flush_metrics()
                finally:
                    provider.clear_metrics()  # also after a failed write: start clean

    def _emit_media(self, outcome: MediaOutcome) -> None:
        status_class = f"{outcome.status // 100}xx"
        values: list[tuple[str, float, MetricUnit]] = [
            ("MediaRequests", 1, MetricUnit.Count),
            *[(f"MediaAnswers{c}", float(c == status_class), MetricUnit.Count) for c in _MEDIA],
            ("MediaLatency", outcome.duration_ms, MetricUnit.Milliseconds),
        ]
        if outcome.status == 201:
            values.append(("MediaBytesStored", outcome.stored_bytes or 0, MetricUnit.Bytes))
        if getattr(self._local, "cold_start", False):
            values.append(("ColdStarts", 1, MetricUnit.Count))
            self._local.cold_start = False
        customer = outcome.customer if outcome.customer in self._steps else UNKNOWN
        self._publish([({"customer": customer}, None, values)])

    def _annotate(self, outcome: Outcome, customer: str) -> None:
        self._tracer.put_annotation("customer", customer)
        self._tracer.put_annotation("step", self._step_name(outcome.customer, outcome.step))
        self._tracer.put_annotation("status", outcome.status)


_Document = tuple[Mapping[str, str], Mapping[str, str] | None, list[tuple[str, float, MetricUnit]]]
_CLASSES = ("2xx", "4xx", "5xx")
_MEDIA = ("2xx", "3xx", "4xx", "5xx")  # a large stored file is read through a 302


def _rounded(value: float | None) -> float | None:
    return None if value is None else round(value, 1)


def _masked_params(raw: Mapping[str, Any], mode: CallerIdMode) -> dict[str, Any]:
    """The request's parameters with the caller's identity shown as ``mode`` says."""
    params = dict(raw)
    for key, is_number in (("Caller-ID-Number", True), ("Caller-ID-Name", False)):
        value = params.get(key)
        if isinstance(value, str):
            params[key] = caller_id(value, mode, is_number=is_number)
    sender = params.get("From")
    if isinstance(sender, str) and mode is not CallerIdMode.FULL:
        user, at, realm = sender.partition("@")
        params["From"] = None if mode is CallerIdMode.NONE else mask_number(user) + at + realm
    return {key: value for key, value in params.items() if value is not None}


class _Stdout:
    """Writes to whatever ``sys.stdout`` is at the time (Lambda's, or a test's capture)."""

    def write(self, text: str) -> int:
        return sys.stdout.write(text)

    def flush(self) -> None:
        sys.stdout.flush()


def _build_logger(settings: ObservabilitySettings, redactor: Redactor) -> Logger:
    formatter = RedactingFormatter(redactor)
    logger = Logger(
        service=settings.service,
        level=settings.log_level,
        stream=_Stdout(),  # type: ignore[arg-type]
        logger_formatter=formatter,
    )
    # Powertools configures a service's logger once per process and keeps that formatter;
    # a function built again in the same process (tests, local tools) must use its own.
    handler = logger.registered_handler
    handler.setFormatter(formatter)
    logger.setLevel(settings.log_level)
    formatter.append_keys(service=settings.service, name="%(name)s")
    for name in KIT_LOGGERS:
        kit = logging.getLogger(name)
        if kit is not logging.getLogger(settings.service):
            kit.handlers = [handler]
            kit.propagate = False  # Lambda's root handler would log each line again
        kit.setLevel(settings.log_level)
    return logger


def _build_tracer(service: str, logger: Logger) -> Any:
    """Powertools Tracer, imported only now (X-Ray SDK import and patching cost ~0.1 s)."""
    try:
        from aws_lambda_powertools.tracing import Tracer

        return Tracer(service=service)
    except ImportError as error:
        logger.warning("tracing requested but unavailable: %s", error)
        return None
