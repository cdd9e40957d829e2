"""State shared by a customer's calls: counters, versioned values and waiting lines.

Call state (``pivotkit.state``) belongs to one call. Some flows need what every call of a
customer sees at once, on whichever Lambda instance answers it: a call queue's line, a
ticket counter. ``call.shared`` (a ``Shared``) offers three things, each safe under
concurrent calls:

- ``incr(name, by=1)``: an atomic counter; no increment is ever lost.
- ``get(name)`` / ``put_if(name, value, version=...)``: a JSON value with a version; the
  write happens only if the version is still the one read, else ``SharedConflict``.
- a line, an ordered set of members with a per-member expiry: ``join`` (returns the
  member's position, 1 = first; joining again keeps the place and renews the expiry),
  ``leave``, ``position_of``, ``members``. An expired member is invisible at once and
  pruned at the line's next write.

Backends implement the small ``SharedStore`` port (one counter increment, one versioned
read, one conditional write) with DynamoDB's semantics; ``InMemorySharedStore`` here (tests,
single-process runs) and ``pivotkit.aws.dynamodb_shared.DynamoDBSharedStore`` (deployed, on
the call-state table). The line is built once, here, on the versioned read and conditional
write, so it behaves the same on both.

Keys. An item's key is ``<customer>#shared#<kind>#<name>`` (``shared_partition_key``): under
the customer's own prefix, so the IAM condition confining a customer's role to its call
state (``dynamodb:LeadingKeys`` ``<customer>#*``) confines its shared items too. Call keys
are ``<customer>#<account>#<call>`` with a 32-hex-digit Account-ID, which ``shared`` is
not, so the two never collide. Items carry a ``shared`` attribute (their kind), which the
operator's stats scan skips, and a TTL: a counter or value untouched for
``DEFAULT_TTL_SECONDS`` is deleted, a line once its last member expires.

Failures. Every operation raises ``SharedStoreError`` (503) when the store cannot answer in
time, and ``put_if`` raises ``SharedConflict`` (503 too) when the version moved on. A step may
catch either (``except SharedStoreError``) and answer something else; uncaught, the request
is answered 503 and Kazoo runs the pivot node's fallback, as for call state.
"""

from __future__ import annotations

import json
import math
import random
import re
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal, Protocol, TypeAlias, TypeVar

from pivotkit.errors import SharedConflict, SharedStoreError
from pivotkit.state import KEY_SEPARATOR, MAX_ITEM_BYTES, state_to_json

Kind: TypeAlias = Literal["counter", "value", "line"]
Result = TypeVar("Result")

# The key segment after the customer's: never a 32-hex-digit Account-ID, so never a call's.
SHARED_SEGMENT = "shared"
# The attribute marking an item as shared (its value is the kind); call records have none.
SHARED_ATTRIBUTE = "shared"
# Names are for keys and log lines: no separator, nothing a log would need to escape.
NAME_PATTERN = re.compile(r"[A-Za-z0-9_.:@-]{1,200}")
MEMBER_MAX_CHARS = 500
DEFAULT_TTL_SECONDS = 7 * 24 * 3600
# A line's read-modify-write is retried on conflicts within this budget (a request has 5 s;
# 20 callers joining one line at once settle in a few rounds).
LINE_BUDGET_SECONDS = 1.5


def shared_partition_key(customer: str, kind: Kind, name: str) -> str:
    """``<customer>#shared#<kind>#<name>``: a shared item's key, under the customer's prefix."""
    return KEY_SEPARATOR.join((customer, SHARED_SEGMENT, kind, name))


@dataclass(frozen=True, slots=True)
class Versioned:
    """A value as read, with the version a conditional write must name (0: absent)."""

    value: Any
    version: int


class SharedStore(Protocol):
    """Where shared items live, with DynamoDB's semantics. Keys come from
    ``shared_partition_key``; ``now`` is the engine's clock in epoch seconds, and an item
    whose ``expires_at`` is at or before it counts as absent. Every method raises
    ``SharedStoreError`` when the backend cannot answer in time."""

    def incr(self, key: str, by: int, *, now: float, expires_at: int) -> int:
        """Add ``by`` to the counter (absent or expired: 0) atomically, set its expiry;
        the new value."""
        ...

    def read(self, key: str, *, now: float) -> Versioned:
        """The JSON value stored at ``key`` (``kind`` value or line) and its version,
        strongly consistent; ``Versioned(None, 0)`` when absent or expired."""
        ...

    def write(
        self, key: str, kind: Kind, value_json: str, *, version: int, now: float, expires_at: int
    ) -> int:
        """Store ``value_json`` if the stored version is still ``version`` (0: absent or
        expired); the new version. ``SharedConflict`` when the condition fails."""
        ...


class Shared:
    """One customer's shared items, on the engine's clock: what ``call.shared`` is."""

    def __init__(
        self,
        store: SharedStore,
        customer: str,
        *,
        clock: Callable[[], float] = time.time,
        ttl_seconds: int = DEFAULT_TTL_SECONDS,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.store = store
        self.customer = customer
        self.ttl_seconds = ttl_seconds
        self._clock = clock
        self._sleep = sleep

    # -- counters and values ----------------------------------------------------------------

    def incr(self, name: str, by: int = 1) -> int:
        """Add ``by`` (may be 0 or negative) to counter ``name``; its new value."""
        now = self._clock()
        return self.store.incr(self._key("counter", name), by, now=now, expires_at=self._ttl(now))

    def get(self, name: str) -> Versioned:
        """Value ``name`` and its version (``Versioned(None, 0)`` when never set)."""
        return self.store.read(self._key("value", name), now=self._clock())

    def put_if(self, name: str, value: Any, *, version: int) -> int:
        """Set value ``name`` if its version is still ``version`` (from ``get``; 0 creates
        it); the new version. ``SharedConflict`` if someone wrote it in between: read again."""
        now = self._clock()
        text = state_to_json(value, what=f"shared value {name}")
        return self._write("value", name, text, version=version, now=now, expires_at=self._ttl(now))

    # -- lines ------------------------------------------------------------------------------

    def join(self, line: str, member: str, *, expires_in: float) -> int:
        """Put ``member`` in ``line`` (at the end, or where it already stands) until
        ``expires_in`` seconds from now; its position, 1 being the first."""
        _check_member(member)
        if expires_in <= 0:
            raise ValueError("expires_in must be positive")

        def join_member(entries: list[_Entry], now: float) -> tuple[list[_Entry], int]:
            place = _index(entries, member)
            if place is None:
                ticket = max((e.ticket for e in entries), default=0) + 1
                entries.append(_Entry(member, ticket, now + expires_in))
                return entries, len(entries)
            entries[place] = _Entry(member, entries[place].ticket, now + expires_in)
            return entries, place + 1

        return self._change_line(line, join_member)

    def leave(self, line: str, member: str) -> bool:
        """Take ``member`` out of ``line``; whether it was there."""

        def leave_line(entries: list[_Entry], now: float) -> tuple[list[_Entry] | None, bool]:
            place = _index(entries, member)
            if place is None:
                return None, False  # nothing to write
            del entries[place]
            return entries, True

        return self._change_line(line, leave_line)

    def position_of(self, line: str, member: str) -> int | None:
        """``member``'s position in ``line`` (1 = first), or None when not in it."""
        place = _index(self._live(line)[1], member)
        return None if place is None else place + 1

    def members(self, line: str) -> list[str]:
        """The members of ``line`` in order, expired ones left out."""
        return [entry.member for entry in self._live(line)[1]]

    # -- the line's storage -----------------------------------------------------------------

    def _live(self, line: str) -> tuple[Versioned, list[_Entry]]:
        now = self._clock()
        read = self.store.read(self._key("line", line), now=now)
        return read, _decode_line(read.value, now)

    def _change_line(
        self, line: str, change: Callable[[list[_Entry], float], tuple[list[_Entry] | None, Result]]
    ) -> Result:
        """Read ``line``, apply ``change`` (entries -> new entries or None, result) and write
        conditionally, again from a fresh read whenever another writer got there first."""
        key = self._key("line", line)  # checks the name before anything is read
        started = time.monotonic()
        attempt = 0
        while True:
            attempt += 1
            now = self._clock()
            read = self.store.read(key, now=now)
            entries, result = change(_decode_line(read.value, now), now)
            if entries is None:
                return result
            expires_at = math.ceil(max((e.expires_at for e in entries), default=now))
            try:
                self._write("line", line, _encode_line(entries), version=read.version, now=now,
                            expires_at=expires_at)  # fmt: skip
                return result
            except SharedConflict:
                delay = random.random() * min(0.05, 0.002 * 2.0**attempt)  # noqa: S311
                if time.monotonic() - started + delay > LINE_BUDGET_SECONDS:
                    raise SharedConflict(
                        f"line {line!r} kept changing: gave up after {attempt} attempts"
                    ) from None
                self._sleep(delay)

    def _write(
        self, kind: Kind, name: str, text: str, *, version: int, now: float, expires_at: int
    ) -> int:
        # Every backend refuses what DynamoDB would (its 400 KB item limit), so a line that
        # works in a test works deployed; the margin covers the key and the other attributes.
        if len(text.encode("utf-8")) > MAX_ITEM_BYTES - 2048:
            raise SharedStoreError(f"shared {kind} {name!r} would exceed the item size limit")
        key = self._key(kind, name)
        return self.store.write(key, kind, text, version=version, now=now, expires_at=expires_at)

    def _key(self, kind: Kind, name: str) -> str:
        if not NAME_PATTERN.fullmatch(name):
            raise ValueError(f"shared {kind} name {name!r}: 1-200 of letters, digits and _ . : @ -")
        return shared_partition_key(self.customer, kind, name)

    def _ttl(self, now: float) -> int:
        return math.ceil(now) + self.ttl_seconds


@dataclass(frozen=True, slots=True)
class _Entry:
    member: str
    ticket: int  # the order of joining: a member keeps its ticket while it stays
    expires_at: float


def _check_member(member: str) -> None:
    if not member or len(member) > MEMBER_MAX_CHARS:
        raise ValueError(f"a line member is 1-{MEMBER_MAX_CHARS} characters")


def _index(entries: list[_Entry], member: str) -> int | None:
    return next((i for i, entry in enumerate(entries) if entry.member == member), None)


def _decode_line(value: Any, now: float) -> list[_Entry]:
    """The live entries of a stored line, in order (expired ones dropped: pruned at the
    next write, since the write stores only what this returns)."""
    if value is None:
        return []
    entries = [_Entry(str(m), int(t), float(x)) for m, t, x in value]
    return sorted((e for e in entries if e.expires_at > now), key=lambda e: e.ticket)


def _encode_line(entries: list[_Entry]) -> str:
    return json.dumps([[e.member, e.ticket, e.expires_at] for e in entries], separators=(",", ":"))


class InMemorySharedStore:
    """A thread-safe ``SharedStore`` in this process's memory (tests, ``serve --backend
    memory``): the same conditions and expiry as DynamoDB, for one process only."""

    def __init__(self) -> None:
        self._items: dict[str, tuple[Any, int, int]] = {}  # key -> (value, version, expires_at)
        self._lock = threading.Lock()
        self.reads = 0
        self.writes = 0

    def incr(self, key: str, by: int, *, now: float, expires_at: int) -> int:
        with self._lock:
            self.writes += 1
            value, version, _ = self._current(key, now) or (0, 0, 0)
            total = int(value) + by
            self._items[key] = (total, version + 1, expires_at)
            return total

    def read(self, key: str, *, now: float) -> Versioned:
        with self._lock:
            self.reads += 1
            current = self._current(key, now)
        if current is None:
            return Versioned(None, 0)
        return Versioned(json.loads(current[0]), current[1])

    def write(
        self, key: str, kind: Kind, value_json: str, *, version: int, now: float, expires_at: int
    ) -> int:
        with self._lock:
            self.writes += 1
            current = self._current(key, now)
            stored = 0 if current is None else current[1]
            if stored != version:
                raise SharedConflict(f"shared {kind} version is {stored}, expected {version}")
            self._items[key] = (value_json, version + 1, expires_at)
            return version + 1

    def keys(self) -> list[str]:
        """Every stored key, live or not (tests)."""
        with self._lock:
            return list(self._items)

    def _current(self, key: str, now: float) -> tuple[Any, int, int] | None:
        item = self._items.get(key)
        if item is None or item[2] <= now:
            return None
        return item
