"""The inspector's call list read from the call journal serve writes (``JournalCallLog``).

``pivotkit serve`` on its embedded AWS writes the journal into the customers' log groups
(``pivotkit.local.journal_logs``); this reads it back through the same FilterLogEvents as
``pivotkit calls`` (``journal_sources.filter_journal``), so the inspector lists what the
journal holds: every call with its requests, error codes, media uploads and how it ended
(``channel_destroy`` from Kazoo's webhooks), in ``calllog``'s JSON shape plus ``ended`` and
``media``. Alongside it, the gateway's tap (``ServeCallLog``) still records each exchange
with its whole answer, which the journal bounds: a call's timeline comes from the tap, and
a call the journal does not hold (a customer with ``journal=False``) is listed from the tap.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from typing import Any

from pivotkit.journal import KIND_CALL_END, KIND_MEDIA, KIND_REQUEST
from pivotkit.local.devphone.calllog import ServeCallLog

Entries = Callable[[float], Iterable[dict[str, Any]]]


class JournalCallLog:
    """``calls()`` from the journal (``read(since)`` gives its entries), ``timeline()``
    from the tap; the tap's ``record`` is the gateway's tap."""

    def __init__(
        self, read: Entries, tap: ServeCallLog, clock: Callable[[], float] = time.time
    ) -> None:
        self.read = read
        self.tap = tap
        self.since = clock()  # this serve's calls: its embedded AWS starts empty anyway

    def calls(self) -> list[dict[str, Any]]:
        grouped: dict[str, list[dict[str, Any]]] = {}
        for entry in self.read(self.since):
            call_id = entry.get("call_id")
            if isinstance(call_id, str) and call_id:
                grouped.setdefault(call_id, []).append(entry)
        listed = [_summary(call_id, entries) for call_id, entries in grouped.items()]
        listed += [c for c in self.tap.calls() if c["call_id"] not in grouped]
        return sorted(listed, key=lambda c: -int(c["updated"] or 0))

    def timeline(self, call_id: str) -> dict[str, Any] | None:
        return self.tap.timeline(call_id)


def _summary(call_id: str, entries: list[dict[str, Any]]) -> dict[str, Any]:
    entries = sorted(entries, key=lambda e: float(e.get("at") or 0))
    requests = [e for e in entries if e.get("kind") == KIND_REQUEST]
    ended = next((e for e in entries if e.get("kind") == KIND_CALL_END), None)
    at = [int(float(e.get("at") or 0) * 1000) for e in entries]
    return {
        "call_id": call_id,
        "customer": entries[0].get("customer"),
        "started": min(at),
        "updated": max(at),
        "requests": len(requests),
        "last_status": requests[-1].get("status") if requests else None,
        # As `pivotkit calls list` counts them: the Pivot requests' answers.
        "errors": sorted({str(e["error"]) for e in requests if e.get("error")}),
        "failed": any(int(e.get("status") or 0) >= 400 for e in requests),
        "version": len(entries),
        "media": sum(1 for e in entries if e.get("kind") == KIND_MEDIA),
        "ended": ended.get("hangup_cause") if ended is not None else None,
    }
