"""Work that runs after the answer: the kit's own event shape, and where it runs.

Two kinds of deferred work, one event envelope:

- ``job``: a background job a step started (``pivotkit.work.job_event``);
- ``media_stored``: a customer's ``on_media_stored`` hook, after S3 has the object and
  Kazoo has its 2xx (``pivotkit.media.app.media_event``).

A ``Deferrer`` takes an event and arranges for it to run elsewhere. Deployed it is an
asynchronous invocation (``InvocationType=Event``) of the customer's own function
(``pivotkit.aws.self_invoke``): Lambda retries a failed run twice, then sends the event to
the customer's dead-letter queue. Locally it is a background thread (``ThreadDeferrer``);
in tests, a queue run when the test says (``QueuedDeferrer``). ``pivotkit.deferred_runner``
runs an event, wherever it arrived.

The event is never an HTTP event: it has none of ``requestContext``, ``rawPath``, ``path``,
``headers`` or ``body``, and only the function's own role may invoke it with a raw event (a
Function URL wraps whatever a caller sends in an HTTP event). ``is_deferred_event`` checks
both, so nothing sent to the URL can run a job or a hook.

This module imports nothing of the kit: jobs and media build on it, not the other way.
"""

from __future__ import annotations

import logging
import queue
import threading
from collections.abc import Callable, Mapping
from typing import Any, Protocol

logger = logging.getLogger("pivotkit.deferred")

EVENT_MARK = "pivotkit_deferred"
EVENT_VERSION = 1
JOB = "job"
MEDIA_STORED = "media_stored"
# Keys every HTTP event shape has at least one of (API Gateway v1/v2, Function URLs).
_HTTP_KEYS = frozenset({"requestContext", "rawPath", "path", "headers", "body", "httpMethod"})


class Deferrer(Protocol):
    def defer(self, event: Mapping[str, Any]) -> None:
        """Arrange for ``event`` to run later, elsewhere. Raises when it cannot."""
        ...


class DeferredFailed(Exception):
    """A deferred run failed; deployed, Lambda retries it, then dead-letters it."""


def deferred_event(kind: str, customer: str, name: str, value: Any) -> dict[str, Any]:
    """The envelope: ``{pivotkit_deferred: 1, kind, customer, <name>: value}``."""
    return {EVENT_MARK: EVENT_VERSION, "kind": kind, "customer": customer, name: value}


def is_deferred_event(event: object) -> bool:
    """Whether ``event`` is the kit's own deferred event (and no HTTP event at all)."""
    if not isinstance(event, Mapping) or event.get(EVENT_MARK) != EVENT_VERSION:
        return False
    return _HTTP_KEYS.isdisjoint(event) and event.get("kind") in (JOB, MEDIA_STORED)


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


class InlineDeferrer:
    """Runs each event at once, in the thread that defers it: once the answer is settled,
    before its bytes leave the engine, as if the hold music always outlasted the work
    (``pivotkit.testing``). ``failures`` collects what raised, as a dead-letter queue
    would."""

    def __init__(self, run: Callable[[Mapping[str, Any]], None]) -> None:
        self._run = run
        self.failures: list[tuple[Mapping[str, Any], BaseException]] = []

    def defer(self, event: Mapping[str, Any]) -> None:
        try:
            self._run(event)
        except Exception as exc:
            self.failures.append((event, exc))
