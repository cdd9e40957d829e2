"""The clock local tools give the engine: ``--now`` on serve, call and replay.

Steps read the time through ``call.now()``, which asks the engine's clock
(``PivotApp(clock=...)``). Deployed, that clock is the system clock and nothing can move it
(no setting, no environment variable). Locally a ``LocalClock`` stands in for it:

- ``serve --now T`` and ``call --now T``: the clock starts at ``T`` and runs on at the
  normal rate, so waits and expiries behave as they would at that time of day.
- ``replay``: each event is answered at the time AWS stamped on it
  (``requestContext.timeEpoch``, or ``requestTimeEpoch`` for REST API events), so a golden
  that depends on the time replays the same on any day; ``call --save-events`` stamps each
  event with the clock it ran on. ``replay --now T`` answers every event at ``T`` instead.

Call state expiry reads the same clock, so a call's state never looks expired just because
the clock was moved back: every request of a local run sees one consistent time.
"""

from __future__ import annotations

import argparse
import contextlib
import threading
import time
from collections.abc import Iterator, Mapping
from datetime import UTC, datetime
from typing import Any

NOW_HELP = (
    "the time steps see in call.now(), ISO 8601 with a UTC offset,"
    " e.g. 2026-12-24T09:00-06:00 or 2026-12-24T15:00Z"
)


class NaiveTime(ValueError):
    """A time without a UTC offset: which 09:00 is meant is anyone's guess."""


def parse_now(text: str) -> datetime:
    """``text`` (ISO 8601, with an offset or ``Z``) as an aware datetime.

    Refuses a time without an offset rather than guess a zone: ``09:00`` in the business's
    zone and ``09:00`` UTC answer different questions about opening hours.
    """
    try:
        moment = datetime.fromisoformat(text.strip())
    except ValueError:
        raise ValueError(
            f"{text!r} is not an ISO 8601 time; write e.g. 2026-12-24T09:00-06:00"
        ) from None
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise NaiveTime(
            f"{text!r} has no UTC offset; add one, e.g. {text.strip()}-06:00 or {text.strip()}Z"
        )
    return moment


def now_argument(text: str) -> datetime:
    """``parse_now`` for argparse: a bad value is a usage error naming the rule."""
    try:
        return parse_now(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


class LocalClock:
    """A clock (seconds since the epoch, as ``time.time``) that can be started elsewhere
    in time or stopped at one instant. Thread-safe: ``serve`` answers from several threads."""

    def __init__(self, start: datetime | None = None) -> None:
        self._lock = threading.Lock()
        self._offset = 0.0  # added to the system clock while running
        self._pinned: float | None = None
        self._moved = False
        if start is not None:
            self.start_at(start)

    def __call__(self) -> float:
        with self._lock:
            if self._pinned is not None:
                return self._pinned
            return time.time() + self._offset

    def start_at(self, moment: datetime) -> None:
        """Read ``moment`` now and run on from there."""
        with self._lock:
            self._pinned = None
            self._offset = moment.timestamp() - time.time()
            self._moved = True

    @contextlib.contextmanager
    def pinned(self, moment: float) -> Iterator[None]:
        """Stand still at ``moment`` (epoch seconds) for the block, then run on as before."""
        with self._lock:
            before = self._pinned
            self._pinned = moment
        try:
            yield
        finally:
            with self._lock:
                self._pinned = before

    @property
    def moved(self) -> bool:
        """Whether this clock was started elsewhere in time (``--now``)."""
        return self._moved

    def datetime(self) -> datetime:
        return datetime.fromtimestamp(self(), UTC)


def event_time(event: Mapping[str, Any]) -> float | None:
    """When AWS received ``event`` (epoch seconds), if the event says."""
    context = event.get("requestContext")
    if not isinstance(context, Mapping):
        return None
    for name in ("timeEpoch", "requestTimeEpoch"):  # HTTP API / Function URL, REST API
        value = context.get(name)
        if isinstance(value, int | float) and not isinstance(value, bool) and value > 0:
            return float(value) / 1000
    return None
