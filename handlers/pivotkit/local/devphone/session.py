"""Dev phone calls: the virtual Kazoo of ``pivotkit call``, with the page as its caller.

``PhoneScript`` is a ``Script`` whose digits and bridge outcomes come from the page while the
call runs: a collect takes the keys pressed (up to its ``max_digits`` or a terminator), and
no key within the collect's timeout is a timeout, as on a real phone. ``PhoneCall`` runs one
``simulate()`` in its own thread and keeps its events for the page to poll. A page that stops
polling has hung up: its call ends instead of waiting for ever.
"""

from __future__ import annotations

import logging
import threading
import time
import uuid
from collections.abc import Callable, Mapping
from dataclasses import replace
from typing import Any

from pivotkit.local.simulator import (
    ANSWERED,
    Caller,
    DigitWait,
    PivotTarget,
    Script,
    Transport,
    simulate,
)
from pivotkit.local.transcript import Event, Transcript

logger = logging.getLogger("pivotkit.local.devphone")
Validator = Callable[[Mapping[str, Any]], list[str]]

# What the page may choose for a bridge: answered, or a hangup cause FreeSWITCH reports.
BRIDGE_OUTCOMES = (
    ANSWERED,
    "NO_ANSWER",
    "USER_BUSY",
    "CALL_REJECTED",
    "UNALLOCATED_NUMBER",
    "NORMAL_TEMPORARY_FAILURE",
)
# The caller hung up while it rang (what Kazoo sees when the caller cancels).
CALLER_CANCEL = "ORIGINATOR_CANCEL"
ABANDONED_S = 30.0  # a page silent this long has gone away: its caller hangs up
BRIDGE_WAIT_S = 600.0  # the longest a bridge waits for the page to choose an outcome
MAX_BUFFERED_KEYS = 64


class PhoneScript(Script):
    """Digits and bridge outcomes from the page, as they come."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        super().__init__()
        self._clock = clock
        self._changed = threading.Condition()
        self._keys = ""
        self._outcome: str | None = None
        self._hung_up = False
        self._last_seen = clock()
        self.waiting: dict[str, Any] | None = None

    # -- what the page does ---------------------------------------------------------------

    def press(self, keys: str) -> None:
        with self._changed:
            self._keys = (self._keys + keys)[-MAX_BUFFERED_KEYS:]
            self._changed.notify_all()

    def choose(self, outcome: str) -> None:
        with self._changed:
            self._outcome = outcome
            self._changed.notify_all()

    def hang_up(self) -> None:
        with self._changed:
            self._hung_up = True
            self._changed.notify_all()

    def seen(self) -> None:
        """The page polled: its caller is still there."""
        with self._changed:
            self._last_seen = self._clock()

    def wake(self) -> None:
        """Re-check the waits (a test's clock moved)."""
        with self._changed:
            self._changed.notify_all()

    # -- what the simulator asks ----------------------------------------------------------

    def next_digits(self, question: str, wait: DigitWait | None = None) -> str | None:
        wait = wait or DigitWait()
        started = self._clock()
        with self._changed:
            self.waiting = {
                "kind": "digits",
                "question": question,
                "max_digits": wait.max_digits,
                "terminators": sorted(wait.terminators),
                "timeout_ms": wait.timeout_ms,
            }
            try:
                return self._digits(wait, started)
            finally:
                self.waiting = None

    def _digits(self, wait: DigitWait, started: float) -> str | None:
        typed = ""
        last_key = started
        while True:
            if self._gone():
                return None
            if self._keys:
                typed, self._keys, ended = _take(typed, self._keys, wait)
                last_key = self._clock()
                if ended:
                    return typed
            limit = (
                started + wait.timeout_ms / 1000
                if not typed
                else last_key + wait.interdigit_ms / 1000
            )
            left = limit - self._clock()
            if left <= 0:
                return typed  # "" is the collect's timeout
            self._changed.wait(min(left, 0.25))

    def next_bridge(self, target: str = "") -> str:
        started = self._clock()
        with self._changed:
            self._outcome = None
            self.waiting = {"kind": "bridge", "target": target, "choices": list(BRIDGE_OUTCOMES)}
            try:
                while self._outcome is None:
                    if self._gone() or self._clock() - started > BRIDGE_WAIT_S:
                        return CALLER_CANCEL
                    self._changed.wait(0.25)
                return self._outcome
            finally:
                self.waiting = None

    def _gone(self) -> bool:
        return self._hung_up or self._clock() - self._last_seen > ABANDONED_S


def _take(typed: str, keys: str, wait: DigitWait) -> tuple[str, str, bool]:
    """Move pressed keys into the entry until it is whole; (entry, keys left, whole)."""
    for index, key in enumerate(keys):
        if key in wait.terminators:
            return typed + key, keys[index + 1 :], True
        typed += key
        if len(typed) >= wait.max_digits:
            return typed, keys[index + 1 :], True
    return typed, "", False


class PhoneCall:
    """One dev phone call, walked in its own thread by the simulator."""

    def __init__(
        self,
        transport: Transport,
        target: PivotTarget,
        caller: Caller,
        *,
        customer: str,
        validator: Validator | None = None,
        validation_label: str = "skipped",
        script: PhoneScript | None = None,
    ) -> None:
        self.id = uuid.uuid4().hex
        self.customer = customer
        self.script = script or PhoneScript()
        # The Call-ID is fixed up front so the inspector can be pointed at it at once.
        self.caller = caller if caller.call_id else replace(caller, call_id=_new_call_id())
        self.call_id = str(self.caller.call_id)
        self.transcript: Transcript | None = None
        self.crashed = False
        self._transport = transport
        self._target = target
        self._validator = validator
        self._validation_label = validation_label
        self._events: list[Event] = []
        self._lock = threading.Lock()
        self._thread = threading.Thread(
            target=self._run, name=f"devphone-{self.id[:8]}", daemon=True
        )

    def start(self) -> None:
        self._thread.start()

    def join(self, timeout: float | None = None) -> None:
        self._thread.join(timeout)

    @property
    def ended(self) -> bool:
        return self.transcript is not None or self.crashed

    def events_since(self, index: int) -> list[Event]:
        with self._lock:
            return self._events[max(index, 0) :]

    def _listen(self, event: Event) -> None:
        with self._lock:
            self._events.append(event)

    def _run(self) -> None:
        try:
            self.transcript = simulate(
                self._transport,
                self._target,
                self.caller,
                self.script,
                validator=self._validator,
                validation_label=self._validation_label,
                listener=self._listen,
            )
        except Exception:  # a bug in the walk must end the page's call, not hang it
            logger.exception("dev phone call %s failed", self.id)
            self.crashed = True
        finally:
            close = getattr(self._transport, "close", None)
            if callable(close):
                close()


def _new_call_id() -> str:
    return f"{uuid.uuid4().hex}@devphone.pivotkit.local"
