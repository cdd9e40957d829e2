"""Who is waiting, in order: the one thing a call queue needs beyond a single call's state.

Each waiting caller checks in once per lap of the hold loop. Kazoo never tells Pivot that a
caller hung up or was answered, so a caller who stops checking in is dropped once
``forget_after`` seconds pass without a check-in.

``InProcessLine`` keeps the line in this process's memory: right for ``pivotkit serve``, a
test, or a function limited to one instance (reserved concurrency 1). With several Lambda
instances each would see its own line; implement the same protocol over shared storage
(a DynamoDB table, Redis) for that.
"""

import threading
from dataclasses import dataclass
from typing import Protocol


class WaitingLine(Protocol):
    def check_in(self, queue: str, caller: str, now: float) -> int:
        """Record that ``caller`` is still waiting in ``queue``; their position (1 = next)."""
        ...

    def leave(self, queue: str, caller: str) -> None:
        """``caller`` is no longer waiting (answered, or sent to voicemail)."""
        ...


@dataclass
class _Waiting:
    joined: float
    seen: float


class InProcessLine:
    def __init__(self, forget_after: float) -> None:
        self.forget_after = forget_after
        self._queues: dict[str, dict[str, _Waiting]] = {}
        self._lock = threading.Lock()

    def check_in(self, queue: str, caller: str, now: float) -> int:
        with self._lock:
            waiting = self._queues.setdefault(queue, {})
            for gone in [c for c, w in waiting.items() if now - w.seen > self.forget_after]:
                del waiting[gone]
            entry = waiting.setdefault(caller, _Waiting(joined=now, seen=now))
            entry.seen = now
            return 1 + sum(1 for w in waiting.values() if w.joined < entry.joined)

    def leave(self, queue: str, caller: str) -> None:
        with self._lock:
            self._queues.get(queue, {}).pop(caller, None)
