"""Per-call state across Pivot round trips: the ``StateStore`` port and its in-memory store.

One record per call (customer + Kazoo Account-ID + Call-ID). Writes are conditional on the
version the writer read (optimistic locking), so two requests racing on one call can never
lose an update: the loser gets ``WriteConflict`` and re-reads. Records expire; a store treats
an expired record as absent even if the backend has not deleted it yet (DynamoDB's TTL sweep
runs late, moto's never).

Bounds. Every store refuses a record larger than DynamoDB's item limit (``MAX_ITEM_BYTES``,
counted by ``item_size`` over the attributes ``record_attributes`` gives, the way DynamoDB
counts), so a state that works in memory works deployed. Such a record is
``StateTooLarge``: a 500 that Kazoo answers with the pivot node's fallback, logged with the
customer and the step. A trail keeps the last ``TRAIL_MAX_ENTRIES`` steps and counts the
ones it dropped (``trail_dropped``), so a long call never grows its record toward the limit.
"""

from __future__ import annotations

import copy
import json
import logging
import math
import threading
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Any, Protocol

from pivotkit.errors import StateNotJSONSafe, StateTooLarge, WriteConflict

logger = logging.getLogger("pivotkit.state")

# The separator cannot occur in a customer slug; Account-IDs are hex and Call-IDs are
# opaque, so the customer prefix of a key is unambiguous (IAM LeadingKeys relies on it).
KEY_SEPARATOR = "#"
# The item's attribute names that are not plain field names (the table's key and TTL).
PARTITION_KEY = "pk"
TTL_ATTRIBUTE = "expires_at"
# The attribute a background job's record carries (pivotkit.work; its Job as JSON), and
# the marker the stats scan skips it by.
JOB_ATTRIBUTE = "job"

# DynamoDB refuses an item over 400 KB (its KB is 1024 bytes), counting attribute names and
# values: docs.aws.amazon.com/amazondynamodb/latest/developerguide/Constraints.html, and
# .../CapacityUnitCalculations.html for how each type is counted (see item_size).
MAX_ITEM_BYTES = 400 * 1024
# About 62-90 bytes an entry: 200 cost under 20 KB, and cover any call a person sits through
# (a menu loop re-asked 200 times has long lost its caller); older entries are counted only.
TRAIL_MAX_ENTRIES = 200


@dataclass(frozen=True, slots=True)
class CallKey:
    customer: str
    account_id: str
    call_id: str

    @property
    def partition_key(self) -> str:
        return KEY_SEPARATOR.join((self.customer, self.account_id, self.call_id))


@dataclass(frozen=True, slots=True)
class CallRecord:
    """Everything stored about one call.

    ``seq`` counts the answers that changed this record; a continuation URL carries the
    ``seq`` it expects, which is how a stale or repeated request is told apart. The last
    answer is kept (``answered_seq``/``answered_step``/``answer``) so that a repeated request
    gets the same callflow back without running the step again.
    """

    key: CallKey
    state: Mapping[str, Any]
    seq: int
    version: int
    created_at: float
    updated_at: float
    expires_at: int
    answered_seq: int | None = None
    answered_step: str | None = None
    # The last answer as ``pivotkit.placeholders.stored_answer`` keeps it (no token in it).
    answer: str | None = None
    trail: tuple[Mapping[str, Any], ...] = field(default=())
    # Trail entries dropped from the front to keep the trail at TRAIL_MAX_ENTRIES.
    trail_dropped: int = 0

    def is_expired(self, now: float) -> bool:
        return self.expires_at <= now

    def with_updates(self, **changes: Any) -> CallRecord:
        return replace(self, **changes)

    def with_trail_entry(self, entry: Mapping[str, Any]) -> CallRecord:
        """This record with ``entry`` at the end of its trail, the oldest entries dropped
        (and counted) past ``TRAIL_MAX_ENTRIES``."""
        trail = (*self.trail, entry)
        excess = max(0, len(trail) - TRAIL_MAX_ENTRIES)
        return replace(self, trail=trail[excess:], trail_dropped=self.trail_dropped + excess)


class StateStore(Protocol):
    """Where call records live. Implementations: in memory, DynamoDB (``pivotkit.aws``)."""

    def load(self, key: CallKey, *, now: float) -> CallRecord | None:
        """The record, or ``None`` when absent or expired. Raises ``StateUnavailable``."""
        ...

    def save(self, record: CallRecord, *, expected_version: int | None) -> None:
        """Write ``record`` if the stored version is ``expected_version``.

        ``expected_version=None`` means the record must not exist yet (an expired record
        counts as absent). Raises ``WriteConflict`` when the condition fails and
        ``StateUnavailable`` when the store cannot be reached in time.
        """
        ...


class InMemoryStateStore:
    """A thread-safe store for tests, local serving and single-process use."""

    def __init__(self) -> None:
        self._records: dict[str, CallRecord] = {}
        self._lock = threading.Lock()
        self.reads = 0
        self.writes = 0

    def load(self, key: CallKey, *, now: float) -> CallRecord | None:
        with self._lock:
            self.reads += 1
            record = self._records.get(key.partition_key)
        if record is None or record.is_expired(now):
            return None
        return _detached(record)

    def save(self, record: CallRecord, *, expected_version: int | None) -> None:
        # Keep what a JSON-backed store would give back (a fresh copy, so the caller's
        # objects are not shared): a value or a size DynamoDB cannot hold fails here too,
        # and a tuple comes back as a list, as it would there.
        attributes = checked_attributes(record)
        record = replace(
            record,
            state=json.loads(str(attributes["state"])),
            trail=tuple(json.loads(str(attributes["trail"]))),
        )
        with self._lock:
            self.writes += 1
            current = self._records.get(record.key.partition_key)
            if current is not None and current.is_expired(record.updated_at):
                current = None
            current_version = None if current is None else current.version
            if current_version != expected_version:
                raise WriteConflict(
                    f"call record version is {current_version}, expected {expected_version}"
                )
            self._records[record.key.partition_key] = record

    def records(self) -> list[CallRecord]:
        """Every stored record (for stats and tests)."""
        with self._lock:
            return [_detached(r) for r in self._records.values()]


def _detached(record: CallRecord) -> CallRecord:
    """A copy sharing no mutable state with the stored one."""
    return replace(record, state=copy.deepcopy(dict(record.state)), trail=tuple(record.trail))


# -- the stored item and its size --------------------------------------------------------

Attribute = str | int | float


def record_attributes(record: CallRecord) -> dict[str, Attribute]:
    """The item a store keeps for ``record``: attribute names and values, state and trail
    as JSON. Fields that are unset (no answer yet, nothing dropped) are left out."""
    attributes: dict[str, Attribute] = {
        PARTITION_KEY: record.key.partition_key,
        "state": state_to_json(record.state),
        "seq": record.seq,
        "version": record.version,
        "created_at": float(record.created_at),
        "updated_at": float(record.updated_at),
        TTL_ATTRIBUTE: int(record.expires_at),
        "trail": state_to_json(list(record.trail), what="trail"),
    }
    optional: dict[str, Attribute | None] = {
        "trail_dropped": record.trail_dropped or None,
        "answered_seq": record.answered_seq,
        "answered_step": record.answered_step,
        "answer": record.answer,
    }
    attributes.update({name: value for name, value in optional.items() if value is not None})
    return attributes


def number_text(value: int | float) -> str:
    """A number as a store writes it. ``repr`` of a float is the shortest text that reads
    back to the same float."""
    return str(value) if isinstance(value, int) else repr(float(value))


def item_size(attributes: Mapping[str, Attribute]) -> int:
    """The size DynamoDB counts for an item: each attribute name's UTF-8 bytes plus its
    value's: a string's UTF-8 bytes; a number's 1 byte per two significant digits, plus 1
    (rounded up, so never less than DynamoDB counts)."""
    return sum(_text_size(name) + _value_size(value) for name, value in attributes.items())


def _text_size(text: str) -> int:
    # Most text is ASCII (state and trail always: their JSON escapes the rest): its length
    # is its size, without encoding a copy. A lone surrogate is counted, never raised on.
    return len(text) if text.isascii() else len(text.encode("utf-8", "surrogatepass"))


def _value_size(value: Attribute) -> int:
    if isinstance(value, str):
        return _text_size(value)
    text = number_text(value)
    significant = text.lstrip("-").replace(".", "").partition("e")[0].strip("0")
    return (max(1, len(significant)) + 1) // 2 + 1 + text.startswith("-")


def checked_attributes(record: CallRecord) -> dict[str, Attribute]:
    """``record_attributes(record)``, or ``StateTooLarge`` (logged) when they exceed
    ``MAX_ITEM_BYTES``: the one size check every store makes before it writes."""
    attributes = record_attributes(record)
    size = item_size(attributes)
    if size > MAX_ITEM_BYTES:
        raise state_too_large(record, size)
    return attributes


def state_too_large(record: CallRecord, size: int | None) -> StateTooLarge:
    """Log that ``record`` cannot be stored (``size`` in bytes, ``None`` when the backend
    refused it without saying) and return the error to raise."""
    step, _, hop = (record.answered_step or "?").partition("@")
    attributes = record_attributes(record)
    parts = {name: _value_size(attributes.get(name, "")) for name in ("state", "trail", "answer")}
    logger.error(
        "call state of customer %s at step %s (hop %s) not stored: %s bytes, over the"
        " %d-byte item limit (state %d, trail %d, answer %d bytes)",
        record.key.customer,
        step,
        hop or "?",
        "?" if size is None else size,
        MAX_ITEM_BYTES,
        parts["state"],
        parts["trail"],
        parts["answer"],
    )
    return StateTooLarge(f"the call's state is over the {MAX_ITEM_BYTES}-byte item limit")


def state_to_json(value: Any, *, what: str = "state") -> str:
    """Encode call state (or a trail) as compact JSON, refusing what JSON cannot carry.

    ``json.dumps`` alone would turn ``{1: "a"}`` into ``{"1": "a"}`` and write ``NaN``,
    which no JSON parser reads back; both are refused here with the offending path.
    """
    _check_json_safe(value, what)
    return json.dumps(value, separators=(",", ":"), allow_nan=False)


def _check_json_safe(value: Any, path: str) -> None:
    if value is None or isinstance(value, str | bool | int):
        return
    if isinstance(value, float):
        if not math.isfinite(value):
            raise StateNotJSONSafe(f"{path} is {value!r}; JSON has no NaN or infinity")
        return
    if isinstance(value, Mapping):
        for key, item in value.items():
            if not isinstance(key, str):
                raise StateNotJSONSafe(f"{path} has a {type(key).__name__} key; use str keys")
            _check_json_safe(item, f"{path}.{key}")
        return
    if isinstance(value, list | tuple):
        for index, item in enumerate(value):
            _check_json_safe(item, f"{path}[{index}]")
        return
    raise StateNotJSONSafe(
        f"{path} is a {type(value).__name__}; call state holds JSON values only"
        " (str, int, float, bool, None, lists and dicts with str keys)"
    )
