"""One call's record and its next version at a fixed time: what the state store suites
write and read."""

from __future__ import annotations

from typing import Any

from pivotkit.state import CallKey, CallRecord

NOW = 1_750_000_000.25
TTL = 3600
KEY = CallKey("acme", "3a1f0e2d4c5b6a7980f1e2d3c4b5a697", "5f3c2a1b7d6e4f80@10.0.0.5")


def new_record(key: CallKey = KEY, **changes: Any) -> CallRecord:
    record = CallRecord(
        key=key,
        state={"attempts": 0},
        seq=1,
        version=1,
        created_at=NOW,
        updated_at=NOW,
        expires_at=int(NOW) + TTL,
        answered_seq=0,
        answered_step="start@0",
        answer='{"module":"tts","data":{"text":"hi"}}',
    )
    return record.with_updates(**changes)


def next_version(record: CallRecord, **changes: Any) -> CallRecord:
    bumped: dict[str, Any] = {
        "version": record.version + 1,
        "seq": record.seq + 1,
        "updated_at": record.updated_at + 1,
    }
    return record.with_updates(**{**bumped, **changes})
