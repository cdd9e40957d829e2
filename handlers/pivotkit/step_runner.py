"""Customer steps under a time limit: a slow step must not become Kazoo's timeout.

When a Pivot request outlives ``req_timeout_ms``, Kazoo master waits out its own 10 s before
running the pivot node's fallback (dead air for the caller) and 4.3 falls back at the limit.
An answer Kazoo gets in time is better in both: so a step runs on a worker thread, and if it
has not returned by its deadline the request is answered with ``StepTimedOut`` (503, Kazoo
runs the fallback at once) and whatever the step produces later is discarded unsaved.

Python cannot stop a thread, so an overrunning step keeps its worker until it returns; the
next request then gets another worker. Workers are daemon threads (a hung step never holds
up the process's exit), kept idle for reuse, and capped at ``max_workers``: past the cap a
request waits for a worker within its own deadline, then times out like a slow step.

Each step runs in a copy of the caller's ``contextvars`` context, so per-request context set
before it (log keys, tracing) is seen by anything the step logs.
"""

from __future__ import annotations

import contextvars
import queue
import threading
import time
from collections.abc import Callable
from typing import Any, Generic, TypeVar

from pivotkit.errors import StepTimedOut

Argument = TypeVar("Argument")
Result = TypeVar("Result")

DEFAULT_MAX_WORKERS = 64


class _Job(Generic[Argument, Result]):
    """One step call handed to a worker.

    ``finished`` is a bare lock the worker releases when the call is over: waiting on it
    with a timeout costs one lock hand-off, where ``threading.Event`` adds a Condition, a
    fresh waiter lock and a Python-level wait loop to every request.
    """

    __slots__ = ("_argument", "_context", "_error", "_function", "_result", "finished")

    def __init__(self, function: Callable[[Argument], Result], argument: Argument) -> None:
        self._function = function
        self._argument = argument
        self._context = contextvars.copy_context()
        self._result: Result | None = None
        self._error: BaseException | None = None
        self.finished = threading.Lock()
        self.finished.acquire()

    def run(self) -> None:
        try:
            self._result = self._context.run(self._function, self._argument)
        except BaseException as error:  # handed to the waiting request, re-raised there
            self._error = error

    def outcome(self) -> Result:
        if self._error is not None:
            raise self._error
        return self._result  # type: ignore[return-value]


class StepRunner:
    """Runs one function call at a time per worker, answering ``StepTimedOut`` past its
    deadline. Thread-safe; meant to be shared by every engine in the process."""

    def __init__(self, max_workers: int = DEFAULT_MAX_WORKERS) -> None:
        if max_workers < 1:
            raise ValueError("max_workers must be at least 1")
        self.max_workers = max_workers
        self._available = threading.Condition()
        self._idle: list[_Worker] = []
        self._workers = 0

    @property
    def workers(self) -> int:
        """Worker threads alive now (idle, busy or still running an abandoned step)."""
        with self._available:
            return self._workers

    def run(
        self, function: Callable[[Argument], Result], argument: Argument, *, timeout: float
    ) -> Result:
        """``function(argument)`` on a worker; ``StepTimedOut`` if it takes over ``timeout``
        seconds (counting any wait for a free worker). Its exceptions are re-raised here."""
        deadline = time.monotonic() + timeout
        worker = self._acquire(deadline)
        job = _Job(function, argument)
        worker.jobs.put(job)
        if not job.finished.acquire(timeout=max(0.0, deadline - time.monotonic())):
            raise StepTimedOut(f"the step did not answer within {timeout:.2f} s")
        return job.outcome()

    def _acquire(self, deadline: float) -> _Worker:
        with self._available:
            while True:
                if self._idle:
                    return self._idle.pop()
                if self._workers < self.max_workers:
                    self._workers += 1
                    break
                remaining = deadline - time.monotonic()
                if remaining <= 0 or not self._available.wait(remaining):
                    raise StepTimedOut("no worker became free for the step in time")
        return _Worker(self)

    def _release(self, worker: _Worker) -> None:
        with self._available:
            self._idle.append(worker)
            self._available.notify()


class _Worker:
    def __init__(self, runner: StepRunner) -> None:
        self.jobs: queue.SimpleQueue[_Job[Any, Any]] = queue.SimpleQueue()
        self._runner = runner
        threading.Thread(target=self._loop, name="pivotkit-step", daemon=True).start()

    def _loop(self) -> None:
        while True:
            job = self.jobs.get()
            job.run()
            # Idle again before the requester wakes: its next step (or anyone's) finds this
            # worker free instead of starting another thread.
            self._runner._release(self)
            job.finished.release()


_shared: StepRunner | None = None
_shared_lock = threading.Lock()


def shared_runner() -> StepRunner:
    """The process's runner, created on first use (no thread exists before a step runs)."""
    global _shared  # noqa: PLW0603 -- one pool per process, as for SDK clients
    if _shared is None:
        with _shared_lock:
            if _shared is None:
                _shared = StepRunner()
    return _shared
