"""The Pivot engine: one HTTP request in, one HTTP answer out.

    route -> authenticate -> decode -> load state (if the URL says there is some)
          -> run the step -> save state (if the step changed it) -> render -> 200

Every failure becomes a non-200 (``PivotkitError.status``), because Kazoo runs the pivot
node's ``_`` fallback only for non-200 answers; a 200 always carries a rendered, checked
callflow. State follows ``pivotkit.state``: at most one read and one conditional write per
request, none for a step that needs no state.
"""

from __future__ import annotations

import functools
import logging
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from pivotkit.budget import REPLY_MARGIN_SECONDS, STATE_CALL_WORST_SECONDS
from pivotkit.caller_input import is_sensitive, kept_digits, without_message
from pivotkit.callflow import Node
from pivotkit.callflow.node import render_text
from pivotkit.continuation import SIG_PARAM, continuation_signature, signature_matches
from pivotkit.customers import Customer, TokenSource, check_token
from pivotkit.errors import (
    BadContinuation,
    BadRequest,
    CallStateExpired,
    NotFound,
    PivotkitError,
    ServerError,
    StaleContinuation,
    StateUnavailable,
    StepError,
    StepTimedOut,
    WriteConflict,
)
from pivotkit.flow import Call, CallState, Flow
from pivotkit.http import (
    JSON_CONTENT_TYPE,
    HttpRequest,
    HttpResponse,
    error_response,
    event_route,
    path_customer,
)
from pivotkit.observers import notify
from pivotkit.placeholders import AnswerMarks, fill_token, restore_token, stored_answer
from pivotkit.request import PivotRequest, decode_pivot_request, query_params
from pivotkit.shared import InMemorySharedStore, SharedStore
from pivotkit.state import CallKey, CallRecord, StateStore
from pivotkit.step_runner import StepRunner, shared_runner

if TYPE_CHECKING:
    from pivotkit.config import ConfigSource
    from pivotkit.deferred import Deferrer
    from pivotkit.outbound import Transport
    from pivotkit.secrets import SecretSource
    from pivotkit.work import JobStore, Work

logger = logging.getLogger("pivotkit")

PIVOT_ROOT = "pivot"  # Pivot URLs are /pivot/{customer}
MAX_HOP = 10_000
# Query parameters of our own: the customer's token and the continuation (see flow.py).
CONTINUATION_PARAMS = frozenset({"token", "step", "seq", "hop", "g", SIG_PARAM})
# Any of these makes a request a continuation, which must carry a valid signature; the
# customer's own URL (the first request of a call) holds the token alone.
_SIGNED_PARAMS = CONTINUATION_PARAMS - {"token"}
MAX_SEQ = 1_000_000


@dataclass(frozen=True, slots=True)
class Outcome:
    """What happened to one request; handed to observers (logs, metrics, the local server)."""

    customer: str
    step: str | None
    status: int
    duration_ms: float
    call_id: str | None = None
    account_id: str | None = None
    error: str | None = None
    replayed: bool = False
    state_reads: int = 0
    state_writes: int = 0
    conflicts: int = 0
    digits: str | None = None
    # The step whose answer led here and how long the caller spent in it (from that answer
    # to this request); known when that step stored the call's state (track_path flows do).
    previous_step: str | None = None
    previous_step_ms: float | None = None
    # The body Kazoo gets (a debug log shows it; it holds the token in continuation URLs).
    answer: bytes = field(default=b"", repr=False)
    # The decoded request (None when it was refused before decoding), the continuation's hop
    # and state version: what the call journal (``pivotkit.journal``) records.
    request: PivotRequest | None = field(default=None, repr=False)
    hop: int | None = None
    seq: int | None = None
    # The HTTP request as it arrived (method, content type, route): what the journal keeps
    # so ``pivotkit calls pull`` can rebuild the request as a replayable event.
    http: HttpRequest | None = field(default=None, repr=False)


Observer = Callable[[Outcome], None]
# Called once a request is authenticated and decoded, before its step runs, with the
# customer's slug, the step and the request: logs tag every later line of it with the call.
RequestHook = Callable[[str, str, PivotRequest], None]


@dataclass(frozen=True)
class EngineSettings:
    """The engine's time budget (``pivotkit.budget``): every request ends by its deadline,
    ``request_timeout_ms - reply_margin_seconds`` after it started."""

    max_attempts: int = 4
    # The longest one store call can take (the DynamoDB store's own retry budget). A call is
    # started only while that much is left before the request's deadline, so the deadline is
    # a bound; it is also what call.http keeps back for the state write.
    store_call_seconds: float = STATE_CALL_WORST_SECONDS
    # A cap on a customer's step on top of the deadline (which binds first for every
    # request_timeout_ms Kazoo allows); past it Kazoo gets a 503 (StepTimedOut) and the
    # step's result is discarded unsaved. None runs steps inline, without a limit.
    step_time_limit_seconds: float | None = 5.0
    reply_margin_seconds: float = REPLY_MARGIN_SECONDS


@dataclass
class _Attempt:
    """Counters for one request, reported in the ``Outcome``."""

    reads: int = 0
    writes: int = 0
    conflicts: int = 0
    replayed: bool = False
    started: float = field(default_factory=time.monotonic)
    extra: dict[str, Any] = field(default_factory=dict)

    def at(self, hop: int, seq: int) -> tuple[int, int]:
        """Note where in the call this request is (for the ``Outcome``)."""
        self.extra["hop"], self.extra["seq"] = hop, seq
        return hop, seq


class PivotApp:
    def __init__(
        self,
        customers: Mapping[str, Customer],
        state: StateStore,
        tokens: TokenSource,
        *,
        settings: EngineSettings | None = None,
        clock: Callable[[], float] = time.time,
        observers: tuple[Observer, ...] = (),
        on_request: RequestHook | None = None,
        step_runner: StepRunner | None = None,
        jobs: JobStore | None = None,
        deferrer: Deferrer | None = None,
        shared: SharedStore | None = None,
        config: ConfigSource | None = None,
        secrets: SecretSource | None = None,
        outbound: Transport | None = None,
    ) -> None:
        """``jobs`` and ``deferrer``: where background jobs (``call.work``) are recorded and
        run; without them, in memory and on a background thread of this process."""
        self.customers = dict(customers)
        self.state = state
        self.tokens = tokens
        self.settings = settings or EngineSettings()
        self.clock = clock
        self.observers = observers
        self.on_request = on_request
        self._step_runner = step_runner
        # What call.shared reaches; without one, this process's memory (one instance only).
        self.shared: SharedStore = shared if shared is not None else InMemorySharedStore()
        # What call.config and call.secrets read. Without them: the customers' stage-dev
        # files, and no secrets at all (every read a 503). Neither module is imported when
        # no customer declares configuration or secrets (a lean cold start).
        if config is None and any(c.config_model for c in self.customers.values()):
            from pivotkit.config import ConfigFiles

            config = ConfigFiles()
        if secrets is None and any(c.secrets for c in self.customers.values()):
            from pivotkit.secrets import StaticSecrets

            secrets = StaticSecrets({})
        self.config: ConfigSource | None = config
        self.secrets: SecretSource | None = secrets
        # What call.http sends through; None: the process's shared urllib3 pool.
        self.outbound = outbound
        # pivotkit.work is imported only by a step that uses call.work (a lean cold start).
        self._jobs = jobs
        self._deferrer = deferrer

    @property
    def jobs(self) -> JobStore:
        if self._jobs is None:
            from pivotkit.work import InMemoryJobStore

            self._jobs = InMemoryJobStore()
        return self._jobs

    @property
    def deferrer(self) -> Deferrer:
        if self._deferrer is None:
            from pivotkit.deferred import ThreadDeferrer
            from pivotkit.deferred_runner import DeferredWork

            work = DeferredWork(
                self.customers,
                self.jobs,
                clock=self.clock,
                config=self.config,
                secrets=self.secrets,
                outbound=self.outbound,
            )
            self._deferrer = ThreadDeferrer(work.run)
        return self._deferrer

    # -- HTTP -----------------------------------------------------------------------------

    def handle(self, http: HttpRequest) -> HttpResponse:
        started = time.perf_counter()
        attempt = _Attempt()
        slug = path_customer(http.path, PIVOT_ROOT)
        request: PivotRequest | None = None
        step: str | None = None
        error: PivotkitError | None = None
        try:
            customer = self._customer(slug)
            params = query_params(http, CONTINUATION_PARAMS)
            token = self._authenticate(customer, params)
            request = decode_pivot_request(http)
            customer.check_account(request.account_id)
            step = params.get("step") or customer.flow.entry
            self._announce(customer.slug, step, request)
            body = self._answer(customer, http, request, params, token, step, attempt)
            response = HttpResponse(200, body, {"Content-Type": JSON_CONTENT_TYPE})
        except PivotkitError as refused:
            error = refused
        except Exception:  # a bug must still reach Kazoo as a non-200 (its fallback)
            logger.exception("unhandled error answering a Pivot request")
            error = StepError("internal error")
        if error is not None:
            response = error_response(error)
        if self.observers:  # nobody to tell: skip building the report
            self._report(
                Outcome(
                    customer=slug or "",
                    step=step,
                    status=response.status,
                    duration_ms=(time.perf_counter() - started) * 1000,
                    call_id=request.call_id if request else None,
                    account_id=request.account_id if request else None,
                    error=None if error is None else error.code,
                    replayed=attempt.replayed,
                    state_reads=attempt.reads,
                    state_writes=attempt.writes,
                    conflicts=attempt.conflicts,
                    digits=attempt.extra.get("digits"),
                    previous_step=attempt.extra.get("previous_step"),
                    previous_step_ms=attempt.extra.get("previous_step_ms"),
                    answer=response.body,
                    request=request,
                    hop=attempt.extra.get("hop"),
                    seq=attempt.extra.get("seq"),
                    http=http,
                )
            )
        return response

    def refuse(self, event: object, error: PivotkitError, started: float) -> HttpResponse:
        """The answer to an event refused before it became an ``HttpRequest`` (not HTTP, too
        large), reported to the observers under the customer its path names, if any."""
        response = error_response(error)
        if self.observers:
            self._report(
                Outcome(
                    customer=path_customer(event_route(event)[1], PIVOT_ROOT) or "",
                    step=None,
                    status=response.status,
                    duration_ms=(time.perf_counter() - started) * 1000,
                    error=error.code,
                    answer=response.body,
                )
            )
        return response

    def _customer(self, slug: str | None) -> Customer:
        customer = self.customers.get(slug or "")
        if customer is None:
            raise NotFound("no such Pivot endpoint")
        return customer

    def _authenticate(self, customer: Customer, params: Mapping[str, str]) -> str:
        token = params.get("token", "")
        check_token(self.tokens, customer.slug, token)
        return token

    def _announce(self, customer: str, step: str, request: PivotRequest) -> None:
        hook = self.on_request
        if hook is not None:  # reported like an observer: it never costs the caller the answer
            notify((lambda _: hook(customer, step, request),), None)

    def _report(self, outcome: Outcome) -> None:
        notify(self.observers, outcome)

    # -- the state machine --------------------------------------------------------------

    def _answer(
        self,
        customer: Customer,
        http: HttpRequest,
        request: PivotRequest,
        params: Mapping[str, str],
        token: str,
        step: str,
        attempt: _Attempt,
    ) -> bytes:
        hop, seq = attempt.at(
            _bounded_int(params, "hop", MAX_HOP), _bounded_int(params, "seq", MAX_SEQ)
        )
        collection = params.get("g")
        fresh_entry = _SIGNED_PARAMS.isdisjoint(params)
        if not fresh_entry:
            # Before the step lookup (an unsigned URL learns nothing, not even which steps
            # exist) and before any state is read: a forgery costs no DynamoDB call.
            self._verify_continuation(customer, request, params, step, hop, seq, collection)
        if customer.flow.get(step) is None:
            raise NotFound("no such step")
        digits = None if collection is None else (request.digits(collection) or "")
        attempt.extra["digits"] = digits
        key = CallKey(customer.slug, request.account_id, request.call_id)
        identity = f"{step}@{hop}"
        deadline = _deadline(attempt.started, customer.request_timeout_ms, self.settings)

        record: CallRecord | None = None
        if seq > 0:
            record = self._load(key, attempt, deadline)
            if record is None:
                raise CallStateExpired("this call's state has expired")
            if record.seq == seq:
                _note_previous_step(record, hop, self.clock(), attempt)
        for _ in range(self.settings.max_attempts):
            if record is not None and record.seq != seq:
                if record.answered_seq == seq and record.answered_step == identity:
                    attempt.replayed = True
                    return restore_token(record.answer or "", token).encode("utf-8")
                if not fresh_entry or record.answer is None:
                    raise StaleContinuation("this step was already answered differently")
                # A first request for a call that already has state is a late duplicate of
                # the one that created it (the call has moved on since). Running the entry
                # step again would move seq on and turn the live call's next request into
                # a 409; answer it as a replay instead, with the call's current answer,
                # whose continuations are the live ones. (A Kazoo callflow that loops back
                # to the pivot node gets the same: the call resumes where it was.)
                attempt.replayed = True
                return restore_token(record.answer, token).encode("utf-8")
            state = CallState(record.state if record else None)
            # The state version, the signatures and the token go in after the step has run
            # (pivotkit.placeholders says why).
            marks = AnswerMarks.fresh()
            call = Call(
                request=request,
                customer=customer,
                step=step,
                hop=hop,
                digits=digits,
                state=state,
                continuation_base=f"{http.base_url}/pivot/{customer.slug}",
                token_mark=marks.token,
                seq_placeholder=marks.seq,
                sig_placeholder=marks.signature,
                clock=self.clock,
                work=functools.partial(self._work, customer, key, step, hop, seq),
                shared_store=self.shared,
                config_source=self.config,
                secret_source=self.secrets,
                deadline=deadline,
                seq=seq,
                state_reserve_seconds=self.settings.store_call_seconds,
                outbound=self.outbound,
            )
            node = self._run_step(customer, step, call)
            writes = state.changed or customer.flow.track_path
            new_seq = seq + 1 if writes else seq
            template = marks.fill_seq_and_signatures(
                render_text(node), seq=new_seq, signatures=self._signatures(call, new_seq)
            )
            body = fill_token(template, marks.token, token)
            if not writes:
                return self._settled(call, body)
            stored = stored_answer(marks.token, template)
            updated = self._next_record(customer, key, record, state, new_seq, identity, stored)
            updated = _with_trail(updated, step, hop, digits, customer.flow)
            try:
                self._save(updated, record, attempt, deadline)
            except WriteConflict:
                attempt.conflicts += 1
                record = self._load(key, attempt, deadline)
                if record is None:
                    raise CallStateExpired("this call's state has expired") from None
                continue
            # Only now, with the state saved: a failed or lost write dispatches nothing.
            return self._settled(call, body)
        raise StateUnavailable("the call's state kept changing; giving up")

    def _work(self, customer: Customer, key: CallKey, step: str, hop: int, seq: int) -> Work:
        """``call.work`` of one request, built when its step first uses it."""
        from pivotkit.work import Work

        return Work(customer, key, step, hop, seq, self.jobs, self.clock)

    def _settled(self, call: Call, body: str) -> bytes:
        """The answer's bytes, once nothing can change it: the jobs its step started go."""
        work = call.built_work
        if work is not None and work.started:
            from pivotkit.work import dispatch

            dispatch(work, self.deferrer)
        return body.encode("utf-8")

    def _verify_continuation(
        self,
        customer: Customer,
        request: PivotRequest,
        params: Mapping[str, str],
        step: str,
        hop: int,
        seq: int,
        collection: str | None,
    ) -> None:
        presented = params.get(SIG_PARAM, "")
        keys = self.tokens.signing_keys_for(customer.slug) if presented else ()
        if not keys or not signature_matches(
            presented,
            keys,
            customer=customer.slug,
            account_id=request.account_id,
            call_id=request.call_id,
            step=step,
            hop=hop,
            seq=seq,
            collection=collection,
        ):
            raise BadContinuation("this continuation is not signed for this call")

    def _signatures(self, call: Call, seq: int) -> dict[str, str]:
        """Signature marker -> signature of each continuation the step built."""
        if not call.continuations:
            return {}
        keys = self.tokens.signing_keys_for(call.customer.slug)
        if not keys:  # a customer with tokens but no key: our configuration, not the caller
            raise ServerError("no continuation-signing key for this customer")
        return {
            mark: continuation_signature(
                keys[0],
                customer=call.customer.slug,
                account_id=call.request.account_id,
                call_id=call.request.call_id,
                step=step,
                hop=call.hop + 1,
                seq=seq,
                collection=collection,
            )
            for (step, collection), mark in call.continuations.items()
        }

    def _next_record(
        self,
        customer: Customer,
        key: CallKey,
        record: CallRecord | None,
        state: CallState,
        new_seq: int,
        identity: str,
        body: str,
    ) -> CallRecord:
        now = self.clock()
        expires = int(now) + customer.state_ttl_seconds
        if record is None:
            return CallRecord(
                key=key,
                state=state.to_dict(),
                seq=new_seq,
                version=1,
                created_at=now,
                updated_at=now,
                expires_at=expires,
                answered_seq=new_seq - 1,
                answered_step=identity,
                answer=body,
            )
        return record.with_updates(
            state=state.to_dict(),
            seq=new_seq,
            version=record.version + 1,
            updated_at=now,
            expires_at=expires,
            answered_seq=new_seq - 1,
            answered_step=identity,
            answer=body,
        )

    def _load(self, key: CallKey, attempt: _Attempt, deadline: float) -> CallRecord | None:
        self._check_time_left(deadline)
        attempt.reads += 1
        return self.state.load(key, now=self.clock())

    def _save(
        self, updated: CallRecord, read: CallRecord | None, attempt: _Attempt, deadline: float
    ) -> None:
        self._check_time_left(deadline)
        attempt.writes += 1
        self.state.save(updated, expected_version=None if read is None else read.version)

    def _check_time_left(self, deadline: float) -> None:
        if deadline - time.monotonic() < self.settings.store_call_seconds:
            raise StateUnavailable("no time left before the deadline for another store call")

    def _run_step(self, customer: Customer, step: str, call: Call) -> Node:
        limit = self.settings.step_time_limit_seconds
        if limit is None:
            return _run_step(customer, step, call)
        timeout = min(limit, call.deadline - time.monotonic())
        if timeout <= 0:
            raise StepTimedOut("no time left for the step before Kazoo's request timeout")
        runner = self._step_runner or shared_runner()
        try:
            return runner.run(lambda c: _run_step(customer, step, c), call, timeout=timeout)
        except StepTimedOut:
            logger.error("step %s of %s overran its %.2f s limit", step, customer.slug, timeout)
            raise


def _run_step(customer: Customer, step: str, call: Call) -> Node:
    function = customer.flow.get(step)
    if function is None:
        raise NotFound("no such step")
    try:
        node = function(call)
    except PivotkitError:
        raise
    except Exception as exc:
        # The message may quote the caller's digits (a PIN): then only type and traceback.
        digits = call.digits or ""
        secret = is_sensitive(digits, sensitive=customer.flow.input_sensitive(step))
        logged = without_message(exc) if secret else exc
        logger.error("step %s of %s failed", step, customer.slug, exc_info=logged)
        raise StepError(f"step {step!r} failed") from exc
    if not isinstance(node, Node):
        raise StepError(f"step {step!r} returned {type(node).__name__}, not a callflow Node")
    return node


def _deadline(started: float, request_timeout_ms: int, settings: EngineSettings) -> float:
    """When this request's answer must be on its way (``pivotkit.budget``)."""
    return started + request_timeout_ms / 1000 - settings.reply_margin_seconds


def _note_previous_step(record: CallRecord, hop: int, now: float, attempt: _Attempt) -> None:
    """The step answered at the previous hop, and the time since: the caller's time in it."""
    name, _, answered_hop = (record.answered_step or "").partition("@")
    if name and answered_hop == str(hop - 1):
        attempt.extra["previous_step"] = name
        attempt.extra["previous_step_ms"] = max(0.0, (now - record.updated_at) * 1000)


def _with_trail(
    record: CallRecord, step: str, hop: int, digits: str | None, flow: Flow
) -> CallRecord:
    if not flow.track_path:
        return record
    entry: dict[str, Any] = {"step": step, "hop": hop, "at": record.updated_at}
    if digits is not None:
        entry.update(kept_digits(digits, sensitive=flow.input_sensitive(step)))
    return record.with_trail_entry(entry)


def _bounded_int(params: Mapping[str, str], name: str, maximum: int) -> int:
    text = params.get(name)
    if text is None or text == "":
        return 0
    if not text.isascii() or not text.isdigit() or len(text) > 7 or int(text) > maximum:
        raise BadRequest(f"continuation parameter {name!r} is not a small number")
    return int(text)
