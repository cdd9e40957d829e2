"""What the inspector reads: a list of calls and one call's timeline (``CallLog``).

``ServeCallLog`` is fed by ``pivotkit serve`` itself: the gateway hands it every exchange
with its answer (``LocalGateway.tap``), so it holds what Kazoo (or the dev phone, or
``pivotkit call --url``) sent and got, grouped by ``Call-ID``. Anything that keeps calls
elsewhere (a call journal) plugs in by implementing the same two methods with the same
JSON shapes:

- ``calls()``: newest first, ``{"call_id", "customer", "started", "updated", "requests",
  "last_status", "errors": [code, ...], "failed", "version"}``;
- ``timeline(call_id)``: ``{"call_id", "customer", "version", "entries": [{"at", "method",
  "path", "step", "status", "duration_ms", "error", "callflow"}], "dropped"}`` or ``None``.

Times are epoch milliseconds. Tokens never get in: paths come redacted from the gateway and
answers are scrubbed before they are kept. Memory is bounded (oldest calls and entries go).
"""

from __future__ import annotations

import json
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Protocol

from pivotkit.http import HttpResponse
from pivotkit.local.server import Exchange
from pivotkit.local.transcript import redact_tree

NO_CALL_ID = "(no Call-ID)"  # requests that named no call (a bad request, media fetches)
MAX_CALLS = 200
MAX_ENTRIES = 200
MAX_KEPT_ANSWER = 256 * 1024  # a larger answer is summarised, not kept


class CallLog(Protocol):
    """The inspector's source of calls."""

    def calls(self) -> list[dict[str, Any]]: ...

    def timeline(self, call_id: str) -> dict[str, Any] | None: ...


@dataclass
class _Call:
    call_id: str
    customer: str | None
    started: int
    updated: int = 0
    requests: int = 0
    dropped: int = 0
    version: int = 0
    entries: list[dict[str, Any]] = field(default_factory=list)


class ServeCallLog:
    """Calls as serve saw them, newest last; thread-safe."""

    def __init__(
        self,
        scrub: Callable[[str], str] = lambda text: text,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._scrub = scrub
        self._clock = clock
        self._calls: OrderedDict[str, _Call] = OrderedDict()
        self._lock = threading.Lock()

    def record(self, exchange: Exchange, response: HttpResponse) -> None:
        """The gateway's tap: one exchange and its answer. Requests no route took (a browser's
        favicon, a scanner) are no call of any customer and are left out."""
        if exchange.customer is None and exchange.call_id is None:
            return
        now = int(self._clock() * 1000)
        entry: dict[str, Any] = {
            "at": now,
            "method": exchange.method,
            "path": exchange.path,
            "step": exchange.step,
            "status": exchange.status,
            "duration_ms": round(exchange.duration_ms, 1),
            "error": exchange.error,
            # Kept as sent and read when the inspector asks: nothing is parsed or scrubbed
            # on Kazoo's request path.
            "callflow": _kept(exchange, response),
        }
        key = exchange.call_id or NO_CALL_ID
        with self._lock:
            call = self._calls.get(key)
            if call is None:
                call = _Call(key, exchange.customer, started=now)
                self._calls[key] = call
                while len(self._calls) > MAX_CALLS:
                    self._calls.popitem(last=False)
            self._calls.move_to_end(key)
            call.customer = call.customer or exchange.customer
            call.updated = now
            call.requests += 1
            call.version += 1
            call.entries.append(entry)
            if len(call.entries) > MAX_ENTRIES:
                del call.entries[0]
                call.dropped += 1

    def calls(self) -> list[dict[str, Any]]:
        with self._lock:
            return [_summary(call) for call in reversed(self._calls.values())]

    def timeline(self, call_id: str) -> dict[str, Any] | None:
        with self._lock:
            call = self._calls.get(call_id)
            if call is None:
                return None
            for entry in call.entries:
                if isinstance(entry["callflow"], _Unread):
                    entry["callflow"] = self._read(entry["callflow"].body)
            return {
                "call_id": call.call_id,
                "customer": call.customer,
                "version": call.version,
                "entries": [dict(entry) for entry in call.entries],
                "dropped": call.dropped,
            }

    def _read(self, body: bytes) -> Any:
        """An answer's callflow, token-free (``None`` when it is not JSON)."""
        try:
            tree = json.loads(self._scrub(body.decode("utf-8", errors="replace")))
        except ValueError:
            return None
        return redact_tree(tree)


@dataclass(frozen=True, slots=True)
class _Unread:
    body: bytes


def _kept(exchange: Exchange, response: HttpResponse) -> _Unread | dict[str, str] | None:
    """What to keep of an answer: a JSON 200 from a Pivot route (a callflow Kazoo runs),
    unless it is too big to hold; nothing of any other."""
    content_type = response.headers.get("Content-Type", "").lower()
    if response.status != 200 or not exchange.path.startswith("/pivot/"):
        return None
    if "json" not in content_type:
        return None
    if len(response.body) > MAX_KEPT_ANSWER:
        return {"note": f"answer of {len(response.body)} bytes not kept"}
    return _Unread(response.body)


def _summary(call: _Call) -> dict[str, Any]:
    errors = [str(e["error"]) for e in call.entries if e.get("error")]
    last = call.entries[-1] if call.entries else {}
    return {
        "call_id": call.call_id,
        "customer": call.customer,
        "started": call.started,
        "updated": call.updated,
        "requests": call.requests,
        "last_status": last.get("status"),
        "errors": sorted(set(errors)),
        "failed": any(int(e["status"]) >= 400 for e in call.entries),
        "version": call.version,
    }
