"""Work that runs after the answer: the kit's own event shape, and where it runs.

Two kinds of deferred work, one event shape:

- ``job``: a background job a step started (``pivotkit.work``);
- ``media_stored``: a customer's ``on_media_stored`` hook, after S3 has the object and
  Kazoo has its 2xx.

A ``Deferrer`` takes an event and arranges for it to run elsewhere. Deployed it is an
asynchronous invocation (``InvocationType=Event``) of the customer's own function
(``pivotkit.aws.self_invoke``): Lambda retries a failed run twice, then sends the event to
the customer's dead-letter queue. Locally it is a background thread (``ThreadDeferrer``);
in tests, a queue run when the test says (``QueuedDeferrer``). ``DeferredWork.run`` runs an
event, wherever it arrived.

The event is never an HTTP event: it has none of ``requestContext``, ``rawPath``, ``path``,
``headers`` or ``body``, and only the function's own role may invoke it with a raw event (a
Function URL wraps whatever a caller sends in an HTTP event). ``is_deferred_event`` checks
both, so nothing sent to the URL can run a job or a hook.
"""

from __future__ import annotations

import logging
import queue
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import asdict
from typing import TYPE_CHECKING, Any, Protocol

from pivotkit.work import Job, JobStore, run_job

if TYPE_CHECKING:
    from pivotkit.customers import Customer
    from pivotkit.media import MediaStore, StoredMedia

logger = logging.getLogger("pivotkit.deferred")

EVENT_MARK = "pivotkit_deferred"
EVENT_VERSION = 1
JOB = "job"
MEDIA_STORED = "media_stored"
# Keys every HTTP event shape has at least one of (API Gateway v1/v2, Function URLs).
# What the hook's event carries of a ``StoredMedia`` (all but how to read the bytes).
_MEDIA_FIELDS = (
    "customer",
    "kind",
    "key",
    "account_id",
    "name",
    "content_type",
    "size",
    "sha256",
    "call_id",
    "owner_id",
    "doc_id",
    "fields",
    "document",
)
_HTTP_KEYS = frozenset({"requestContext", "rawPath", "path", "headers", "body", "httpMethod"})


class Deferrer(Protocol):
    def defer(self, event: Mapping[str, Any]) -> None:
        """Arrange for ``event`` to run later, elsewhere. Raises when it cannot."""
        ...


class DeferredFailed(Exception):
    """A deferred run failed; deployed, Lambda retries it, then dead-letters it."""


def job_event(job: Job) -> dict[str, Any]:
    return {EVENT_MARK: EVENT_VERSION, "kind": JOB, "customer": job.customer, "job": asdict(job)}


def media_event(stored: StoredMedia) -> dict[str, Any]:
    """The hook's event: the stored object's key and metadata (never its bytes: an
    asynchronous invocation carries at most 256 KB, and the hook reads them from the store)."""
    media = {name: getattr(stored, name) for name in _MEDIA_FIELDS}
    media["kind"] = stored.kind.value
    media["fields"] = dict(stored.fields)
    media["document"] = None if stored.document is None else dict(stored.document)
    return {
        EVENT_MARK: EVENT_VERSION,
        "kind": MEDIA_STORED,
        "customer": stored.customer,
        "media": media,
    }


def is_deferred_event(event: object) -> bool:
    """Whether ``event`` is the kit's own deferred event (and no HTTP event at all)."""
    if not isinstance(event, Mapping) or event.get(EVENT_MARK) != EVENT_VERSION:
        return False
    return _HTTP_KEYS.isdisjoint(event) and event.get("kind") in (JOB, MEDIA_STORED)


class DeferredWork:
    """Runs deferred events for the customers one process serves."""

    def __init__(
        self,
        customers: Mapping[str, Customer],
        jobs: JobStore,
        *,
        media: Callable[[], MediaStore] | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.customers = dict(customers)
        self.jobs = jobs
        self._media = media
        self.clock = clock

    def run(self, event: Mapping[str, Any]) -> None:
        """Run one event. A media hook that raises raises ``DeferredFailed`` (deployed,
        Lambda retries it, then dead-letters it); a job's failure is its record's."""
        if not is_deferred_event(event):
            raise ValueError("not a pivotkit deferred event")
        customer = self.customers.get(str(event.get("customer")))
        if customer is None:
            raise ValueError("a deferred event for a customer this function does not serve")
        if event["kind"] == JOB:
            run_job(customer, self.jobs, _job(event["job"]), now=self.clock)
            return
        self._run_hook(customer, event["media"])

    def _run_hook(self, customer: Customer, media: Mapping[str, Any]) -> None:
        from pivotkit.media import MediaKind, StoredMedia

        hook = customer.on_media_stored
        if hook is None:
            return
        stored = StoredMedia(
            **{**media, "kind": MediaKind(media["kind"]), "customer": customer.slug},
            loader=self._media,
        )
        try:
            hook(stored)
        except Exception as exc:
            logger.exception(
                "on_media_stored hook of %s failed for %s",
                customer.slug,
                stored.key,
                extra={"customer": customer.slug, "call_id": stored.call_id},
            )
            raise DeferredFailed(f"on_media_stored failed for {stored.key}") from exc


def _job(fields: Mapping[str, Any]) -> Job:
    return Job(**{name: fields[name] for name in Job.__dataclass_fields__})


# -- local deferrers -----------------------------------------------------------------------


class ThreadDeferrer:
    """Runs events on one background thread, in order (``pivotkit serve``, ``call``)."""

    def __init__(self, run: Callable[[Mapping[str, Any]], None]) -> None:
        self._run = run
        self._queue: queue.Queue[Mapping[str, Any]] = queue.Queue()
        self._thread = threading.Thread(target=self._work, name="pivotkit-deferred", daemon=True)
        self._thread.start()

    def defer(self, event: Mapping[str, Any]) -> None:
        self._queue.put(event)

    def join(self) -> None:
        """Wait until every event deferred so far has run."""
        self._queue.join()

    def _work(self) -> None:
        while True:
            event = self._queue.get()
            try:
                self._run(event)
            except Exception:  # logged where it failed; the thread keeps serving
                logger.debug("deferred event failed", exc_info=True)
            finally:
                self._queue.task_done()


class QueuedDeferrer:
    """Keeps events until ``run_pending`` (tests: after the answer, before the next request).
    ``failures`` collects what raised, as a dead-letter queue would."""

    def __init__(self, run: Callable[[Mapping[str, Any]], None]) -> None:
        self._run = run
        self.pending: list[Mapping[str, Any]] = []
        self.failures: list[tuple[Mapping[str, Any], BaseException]] = []

    def defer(self, event: Mapping[str, Any]) -> None:
        self.pending.append(event)

    def run_pending(self) -> int:
        ran = 0
        while self.pending:
            event = self.pending.pop(0)
            ran += 1
            try:
                self._run(event)
            except Exception as exc:
                self.failures.append((event, exc))
        return ran
