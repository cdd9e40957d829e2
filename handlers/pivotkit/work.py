"""Background jobs: work longer than one Pivot request, started by a step, polled by a later one.

    @flow.job("book")
    def book(job: Job) -> dict[str, Any]:
        return booking_service.book(job.payload["slot"])   # may take 10 s

    @flow.step()
    def booking(call: Call) -> Node:
        call.state["job"] = call.work.start("book", {"slot": call.digits})
        return hold(call, "booked", prompt=tts("Please hold while we book that."))

    @flow.step()
    def booked(call: Call) -> Node:
        status = call.work.poll(call.state["job"])
        if status.pending:
            return hold(call, "booked")            # more music, then ask again
        if status.failed:                          # the job raised, or ran past its bound
            return tts("Sorry, we could not book that.").then(hangup())
        return tts(f"You are booked for {status.result['time']}.").then(hangup())

Semantics (the same deployed, under ``pivotkit serve``/``call``/``replay`` and in
``pivotkit.testing``):

- ``start`` only registers the job. The engine dispatches it once the answer is settled:
  after the call's state is saved (a failed or lost write dispatches nothing), or at once
  when the step writes no state. Dispatching creates the job's record (pending) with a
  conditional write, then hands the job to a ``Deferrer`` (``pivotkit.deferred``). The job
  id is derived from the call, the step, its hop and seq, so racing duplicates of one
  transition name the same job and only the first creates it: a job is started once.
- ``poll`` reads the record: ``pending``, ``done`` (``result``) or ``failed`` (``reason``):
  the job raised (``job_failed``), ran past its ``timeout_seconds`` (``timed_out``) or
  was never dispatched (``not_started``).
- Records live in the call-state table beside the call's own record, under the customer's
  key prefix (``<slug>#job#<account>#<call>#<id>``: an account id is 32 hex digits, so
  never ``job``), with the call state's TTL, marked by their ``job`` attribute so the
  stats scan skips them (``pivotkit.aws.dynamodb_jobs``).
- Where a job runs: deployed, an asynchronous invocation of the customer's own function
  (``pivotkit.aws.self_invoke``), which may run past the answer for as long as the
  function's timeout allows; a thread of a function that has answered can be frozen by
  Lambda until its next request, so none is used there. Locally, a background thread.
"""

from __future__ import annotations

import hashlib
import json
import logging
import re
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any, Literal, Protocol, TypeAlias

from pivotkit.deferred import JOB, deferred_event
from pivotkit.state import KEY_SEPARATOR, CallKey, state_to_json

if TYPE_CHECKING:
    from pivotkit.config import ConfigSource
    from pivotkit.customers import Customer
    from pivotkit.deferred import Deferrer
    from pivotkit.outbound import Http, Transport
    from pivotkit.secrets import Secrets, SecretSource

logger = logging.getLogger("pivotkit.work")

JOB_ID = re.compile(r"^[0-9a-f]{16}$")
JOB_SEGMENT = "job"
# The bound a caller waits by default, and the most a job may be given: the function's
# timeout (20 s) less a margin, since one invocation runs the job.
DEFAULT_JOB_TIMEOUT_SECONDS = 15.0
MAX_JOB_TIMEOUT_SECONDS = 18.0
# A job's result is stored in one item; its own share of DynamoDB's 400 KB.
MAX_RESULT_BYTES = 64 * 1024
# Jobs one step may start: a caller waits for a few at most.
MAX_JOBS_PER_STEP = 4

Status: TypeAlias = Literal["pending", "done", "failed"]


@dataclass(frozen=True, slots=True)
class JobContext:
    """What a running job reaches besides its fields: its customer's configuration and
    secrets, as a step does (never carried in the job's event)."""

    customer: Customer
    config: ConfigSource | None = None
    secrets: SecretSource | None = None
    # The engine's clock (the system clock deployed; the test's in pivotkit.testing).
    clock: Callable[[], float] = time.time
    # What job.http sends through; None: the process's shared pool (pivotkit.outbound).
    outbound: Transport | None = None


@dataclass(frozen=True, slots=True)
class Job:
    """One job to run: what the job function receives (``@flow.job``)."""

    customer: str
    account_id: str
    call_id: str
    job_id: str
    name: str
    payload: Mapping[str, Any]
    started_at: float
    deadline_at: float
    # Set where the job runs (run_job); not part of the job's record nor its event.
    context: JobContext | None = field(default=None, repr=False, compare=False)

    @property
    def call_key(self) -> CallKey:
        return CallKey(self.customer, self.account_id, self.call_id)

    def time_left(self, now: float | None = None) -> float:
        """Seconds until the caller stops waiting for this job (never negative), by the
        engine's clock."""
        if now is None:
            now = self.context.clock() if self.context is not None else time.time()
        return max(0.0, self.deadline_at - now)

    @property
    def config(self) -> Any:
        """The customer's configuration, as ``call.config`` gives it to a step."""
        context = self._context()
        if context.customer.config_model is None:
            raise ValueError(f"customer {self.customer!r} declares no configuration")
        if context.config is None:
            from pivotkit.config import ConfigFiles

            return ConfigFiles().config_for(context.customer)
        return context.config.config_for(context.customer)

    @property
    def secrets(self) -> Secrets:
        """The customer's declared secrets, as ``call.secrets`` gives them to a step."""
        from pivotkit.secrets import Secrets, StaticSecrets

        context = self._context()
        return Secrets(context.customer, context.secrets or StaticSecrets({}))

    @property
    def http(self) -> Http:
        """``call.http`` for a job: JSON over HTTP within the job's own bound
        (``time_left``), sending the job id as ``Idempotency-Key``, so a redelivered
        event asks the service for the same booking."""
        from pivotkit.outbound import Http

        transport = None if self.context is None else self.context.outbound
        return Http(
            budget=self.time_left, idempotency_key=f"job-{self.job_id}", transport=transport
        )

    def _context(self) -> JobContext:
        if self.context is None:
            raise RuntimeError("this job is not running (it has no context)")
        return self.context


# The fields a job's record and event carry (everything but its context).
JOB_FIELDS = tuple(name for name in Job.__dataclass_fields__ if name != "context")


JobFunction: TypeAlias = Callable[[Job], Any]


def job_fields(job: Job) -> dict[str, Any]:
    """The job's own fields, JSON-safe (no context: no configuration, no secret)."""
    return {name: getattr(job, name) for name in JOB_FIELDS} | {"payload": dict(job.payload)}


def job_event(job: Job) -> dict[str, Any]:
    """The deferred event that runs ``job``: the job's fields, nothing else."""
    return deferred_event(JOB, job.customer, "job", job_fields(job))


def job_from_event(fields: Mapping[str, Any]) -> Job:
    return Job(**{name: fields[name] for name in JOB_FIELDS})


def job_key(key: CallKey, job_id: str) -> str:
    """``<slug>#job#<account>#<call>#<id>``: a job record's key, under the customer's prefix."""
    return KEY_SEPARATOR.join((key.customer, JOB_SEGMENT, key.account_id, key.call_id, job_id))


@dataclass(frozen=True, slots=True)
class JobRecord:
    """A job's stored state."""

    job: Job
    status: Status
    expires_at: int
    result: Any = None
    reason: str | None = None
    finished_at: float | None = None


@dataclass(frozen=True, slots=True)
class JobStatus:
    """What ``call.work.poll`` returns."""

    status: Status
    result: Any = None
    reason: str | None = None
    # Seconds since the job was started (0 when it never was).
    waited_seconds: float = 0.0

    @property
    def pending(self) -> bool:
        return self.status == "pending"

    @property
    def done(self) -> bool:
        return self.status == "done"

    @property
    def failed(self) -> bool:
        return self.status == "failed"


class JobStore(Protocol):
    """Where job records live: in memory, or the call-state table (``pivotkit.aws``)."""

    def create(self, record: JobRecord) -> bool:
        """Store a new pending record; False when the job's record exists already."""
        ...

    def finish(
        self, job: Job, status: Status, *, result: Any, reason: str | None, now: float
    ) -> bool:
        """Mark a pending job done or failed; False when it was not pending any more."""
        ...

    def load(self, key: CallKey, job_id: str, *, now: float) -> JobRecord | None:
        """The record, or None when absent or expired."""
        ...


class InMemoryJobStore:
    """Thread-safe job records for tests and local serving."""

    def __init__(self) -> None:
        self._records: dict[str, JobRecord] = {}
        self._lock = threading.Lock()

    def create(self, record: JobRecord) -> bool:
        pk = job_key(record.job.call_key, record.job.job_id)
        with self._lock:
            if pk in self._records:
                return False
            self._records[pk] = record
            return True

    def finish(
        self, job: Job, status: Status, *, result: Any, reason: str | None, now: float
    ) -> bool:
        pk = job_key(job.call_key, job.job_id)
        with self._lock:
            current = self._records.get(pk)
            if current is None or current.status != "pending":
                return False
            self._records[pk] = replace(
                current, status=status, result=result, reason=reason, finished_at=now
            )
            return True

    def load(self, key: CallKey, job_id: str, *, now: float) -> JobRecord | None:
        with self._lock:
            record = self._records.get(job_key(key, job_id))
        if record is None or record.expires_at <= now:
            return None
        return record

    def records(self) -> list[JobRecord]:
        with self._lock:
            return list(self._records.values())


def result_json(result: Any) -> str:
    """A job's result as stored: JSON, refused when not JSON-safe or over the limit."""
    text = state_to_json(result, what="job result")
    if len(text.encode("utf-8")) > MAX_RESULT_BYTES:
        raise ValueError(f"a job result is over {MAX_RESULT_BYTES} bytes of JSON")
    return text


# -- what a step sees: call.work ---------------------------------------------------------


@dataclass
class Work:
    """``call.work``: start jobs and poll them, for this call only."""

    customer: Customer
    key: CallKey
    step: str
    hop: int
    seq: int
    store: JobStore
    clock: Callable[[], float] = time.time
    started: list[Job] = field(default_factory=list)

    def start(
        self,
        name: str,
        payload: Mapping[str, Any] | None = None,
        *,
        timeout_seconds: float = DEFAULT_JOB_TIMEOUT_SECONDS,
    ) -> str:
        """Register job ``name`` with ``payload`` (JSON-safe) and return its id.

        It runs once this request's answer is settled (see the module's docstring); poll it
        with ``poll(job_id)``: keep the id in ``call.state``. ``timeout_seconds`` is how long
        the caller waits for it at most: past it ``poll`` reports ``failed("timed_out")``.
        """
        if self.customer.flow.job_function(name) is None:
            raise ValueError(f"flow of {self.customer.slug!r} has no job {name!r}")
        if not 0 < timeout_seconds <= MAX_JOB_TIMEOUT_SECONDS:
            raise ValueError(f"timeout_seconds must be in (0, {MAX_JOB_TIMEOUT_SECONDS}]")
        if len(self.started) >= MAX_JOBS_PER_STEP:
            raise ValueError(f"a step may start at most {MAX_JOBS_PER_STEP} jobs")
        body = dict(payload or {})
        state_to_json(body, what="job payload")
        now = self.clock()
        job = Job(
            customer=self.key.customer,
            account_id=self.key.account_id,
            call_id=self.key.call_id,
            job_id=self._job_id(name, len(self.started)),
            name=name,
            payload=body,
            started_at=now,
            deadline_at=now + timeout_seconds,
        )
        self.started.append(job)
        return job.job_id

    def poll(self, job_id: str) -> JobStatus:
        """pending / done (``result``) / failed (``reason``) of one of this call's jobs."""
        if not isinstance(job_id, str) or not JOB_ID.match(job_id):
            raise ValueError("not a job id returned by call.work.start")
        now = self.clock()
        record = self.store.load(self.key, job_id, now=now)
        if record is None:
            return JobStatus("failed", reason="not_started")
        waited = max(0.0, now - record.job.started_at)
        if record.status != "pending":
            return JobStatus(record.status, record.result, record.reason, waited)
        if now >= record.job.deadline_at:
            return JobStatus("failed", reason="timed_out", waited_seconds=waited)
        return JobStatus("pending", waited_seconds=waited)

    def _job_id(self, name: str, index: int) -> str:
        # Deterministic per transition: racing duplicates of one step name the same jobs.
        text = "\x00".join(
            (self.key.partition_key, self.step, str(self.hop), str(self.seq), name, str(index))
        )
        return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()[:16]


def dispatch(work: Work, deferrer: Deferrer) -> None:
    """Create each started job's record, then hand it to ``deferrer``. Never raises: the
    answer is already settled; a job that cannot be dispatched is marked failed (or, when
    not even its record could be written, ``poll`` reports ``not_started``)."""
    for job in work.started:
        record = JobRecord(
            job, "pending", expires_at=int(job.started_at) + work.customer.state_ttl_seconds
        )
        try:
            if not work.store.create(record):
                continue  # a racing duplicate of this transition dispatched it already
        except Exception:
            logger.exception("job %s of %s not recorded; not started", job.name, job.customer)
            continue
        try:
            deferrer.defer(job_event(job))
        except Exception:
            logger.exception("job %s of %s could not be dispatched", job.name, job.customer)
            _finish_quietly(work.store, job, "failed", None, "not_started", work.clock())


def run_job(
    customer: Customer,
    store: JobStore,
    job: Job,
    *,
    now: Callable[[], float],
    config: ConfigSource | None = None,
    secrets: SecretSource | None = None,
    outbound: Transport | None = None,
) -> None:
    """Run one job (in whatever process its deferrer chose) and store how it ended;
    ``config``, ``secrets`` and ``outbound`` are what ``job.config``, ``job.secrets`` and
    ``job.http`` use.

    A job that raises is recorded as failed and logged, never retried: the caller is told
    so on the next poll, and a retry after that (a booking made after the apology) would be
    worse. A job whose record is no longer pending (a redelivered event) is not run again;
    one whose caller stopped waiting is recorded as timed out without running.
    """
    record = store.load(job.call_key, job.job_id, now=now())
    if record is None or record.status != "pending":
        logger.info("job %s %s is not pending; not run again", job.name, job.job_id)
        return
    if now() >= job.deadline_at:
        _finish_quietly(store, job, "failed", None, "timed_out", now())
        return
    function = customer.flow.job_function(job.name)
    if function is None:
        _finish_quietly(store, job, "failed", None, "no_such_job", now())
        return
    job = replace(job, context=JobContext(customer, config, secrets, now, outbound))
    try:
        result = function(job)
        stored = json.loads(result_json(result))
    except Exception:
        logger.exception("job %s of %s failed", job.name, customer.slug)
        store.finish(job, "failed", result=None, reason="job_failed", now=now())
        return
    # A store failure here propagates: deployed, the invocation is retried, then dead-lettered.
    store.finish(job, "done", result=stored, reason=None, now=now())


def _finish_quietly(
    store: JobStore, job: Job, status: Status, result: Any, reason: str, now: float
) -> None:
    try:
        store.finish(job, status, result=result, reason=reason, now=now)
    except Exception:
        logger.exception("job %s of %s: could not record %s", job.name, job.customer, reason)
