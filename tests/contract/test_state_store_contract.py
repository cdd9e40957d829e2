"""The StateStore contract, run against every implementation (in memory; DynamoDB on moto).

Each test also checks what the store sent to its backend: one read per ``load`` and one
write per ``save`` (for DynamoDB, ``GetItem`` and ``PutItem`` as botocore counts them).
"""

from __future__ import annotations

import threading
from typing import Any

import pytest

from pivotkit.errors import StateNotJSONSafe, WriteConflict
from pivotkit.state import CallKey
from tests.contract.call_records import KEY, NOW, TTL, new_record, next_version
from tests.contract.conftest import StoreUnderTest


def test_absent_record_loads_as_none(subject: StoreUnderTest) -> None:
    assert subject.store.load(KEY, now=NOW) is None
    assert (subject.reads(), subject.writes()) == (1, 0)


def test_create_then_load_returns_every_field(subject: StoreUnderTest) -> None:
    record = new_record()
    subject.store.save(record, expected_version=None)
    assert subject.store.load(KEY, now=NOW) == record
    assert (subject.reads(), subject.writes()) == (1, 1)


def test_record_without_an_answer_round_trips(subject: StoreUnderTest) -> None:
    record = new_record(answered_seq=None, answered_step=None, answer=None)
    subject.store.save(record, expected_version=None)
    assert subject.store.load(KEY, now=NOW) == record


def test_creating_twice_conflicts_and_keeps_the_first(subject: StoreUnderTest) -> None:
    first = new_record(state={"who": "first"})
    subject.store.save(first, expected_version=None)
    with pytest.raises(WriteConflict):
        subject.store.save(new_record(state={"who": "second"}), expected_version=None)
    assert subject.store.load(KEY, now=NOW) == first
    assert subject.writes() == 2


def test_versioned_update_replaces_the_record(subject: StoreUnderTest) -> None:
    first = new_record()
    subject.store.save(first, expected_version=None)
    second = next_version(first, state={"attempts": 1}, answered_seq=1, answered_step="pin@1")
    subject.store.save(second, expected_version=first.version)
    loaded = subject.store.load(KEY, now=NOW)
    assert loaded == second
    assert loaded is not None and loaded.version == 2


def test_stale_version_conflicts_and_changes_nothing(subject: StoreUnderTest) -> None:
    first = new_record()
    subject.store.save(first, expected_version=None)
    second = next_version(first, state={"attempts": 1})
    subject.store.save(second, expected_version=1)
    # A writer that read version 1 and lost the race.
    with pytest.raises(WriteConflict):
        subject.store.save(next_version(first, state={"attempts": 99}), expected_version=1)
    assert subject.store.load(KEY, now=NOW) == second


def test_update_of_an_absent_record_conflicts(subject: StoreUnderTest) -> None:
    with pytest.raises(WriteConflict):
        subject.store.save(new_record(version=2), expected_version=1)
    assert subject.store.load(KEY, now=NOW) is None


def test_expired_record_is_absent_for_reads(subject: StoreUnderTest) -> None:
    record = new_record()
    subject.store.save(record, expected_version=None)
    assert subject.store.load(KEY, now=record.expires_at - 1) == record
    assert subject.store.load(KEY, now=record.expires_at) is None
    assert subject.store.load(KEY, now=record.expires_at + 86400) is None


def test_expired_record_can_be_created_again(subject: StoreUnderTest) -> None:
    old = new_record(state={"generation": 1})
    subject.store.save(old, expected_version=None)
    later = old.expires_at + 5.5
    fresh = new_record(
        state={"generation": 2}, created_at=later, updated_at=later, expires_at=int(later) + TTL
    )
    subject.store.save(fresh, expected_version=None)
    assert subject.store.load(KEY, now=later) == fresh


def test_expired_record_cannot_be_updated_by_version(subject: StoreUnderTest) -> None:
    old = new_record()
    subject.store.save(old, expected_version=None)
    late = next_version(old, updated_at=float(old.expires_at + 1))
    with pytest.raises(WriteConflict):
        subject.store.save(late, expected_version=old.version)


def test_nested_json_state_round_trips(subject: StoreUnderTest) -> None:
    state = {
        "name": 'Zoë 📞 Ωmega \u2013 «quoted» "\\ \n',
        "empty": "",
        "ints": [0, -1, 2**63 + 5, 10**30],
        "floats": [0.1, -2.5, 1e-300, 1.7976931348623157e308],
        "flags": {"yes": True, "no": False, "unknown": None},
        "nested": {"menu": {"tries": [1, 2, {"deep": ["x", [], {}]}]}},
    }
    subject.store.save(new_record(state=state), expected_version=None)
    loaded = subject.store.load(KEY, now=NOW)
    assert loaded is not None
    assert loaded.state == state
    assert type(loaded.state["ints"][2]) is int
    assert type(loaded.state["flags"]["yes"]) is bool


def test_tuples_come_back_as_lists(subject: StoreUnderTest) -> None:
    subject.store.save(new_record(state={"pair": (1, 2)}), expected_version=None)
    loaded = subject.store.load(KEY, now=NOW)
    assert loaded is not None and loaded.state == {"pair": [1, 2]}


@pytest.mark.parametrize(
    ("state", "names"),
    [
        ({"choices": {1, 2}}, "state.choices is a set"),
        ({"score": float("nan")}, "state.score is nan"),
        ({"by_digit": {1: "sales"}}, "state.by_digit has a int key"),
        ({"when": object()}, "state.when is a object"),
    ],
)
def test_state_that_json_cannot_hold_is_refused_before_writing(
    subject: StoreUnderTest, state: dict[str, Any], names: str
) -> None:
    with pytest.raises(StateNotJSONSafe, match=names):
        subject.store.save(new_record(state=state), expected_version=None)
    assert subject.writes() == 0
    assert subject.store.load(KEY, now=NOW) is None


def test_trail_round_trips_in_order(subject: StoreUnderTest) -> None:
    trail = (
        {"step": "start", "hop": 0, "at": NOW},
        {"step": "pin", "hop": 1, "at": NOW + 3.5, "digits": ""},
        {"step": "menu", "hop": 2, "at": NOW + 9.125, "digits": "0042"},
    )
    subject.store.save(new_record(trail=trail), expected_version=None)
    loaded = subject.store.load(KEY, now=NOW)
    assert loaded is not None and loaded.trail == trail


def test_loaded_state_is_a_copy(subject: StoreUnderTest) -> None:
    subject.store.save(new_record(state={"items": [1]}), expected_version=None)
    loaded = subject.store.load(KEY, now=NOW)
    assert loaded is not None
    loaded.state["items"].append(2)
    again = subject.store.load(KEY, now=NOW)
    assert again is not None and again.state == {"items": [1]}


def test_calls_are_kept_apart(subject: StoreUnderTest) -> None:
    other_call = CallKey(KEY.customer, KEY.account_id, "another-call")
    other_customer = CallKey("globex", KEY.account_id, KEY.call_id)
    subject.store.save(new_record(state={"who": "a"}), expected_version=None)
    subject.store.save(new_record(other_call, state={"who": "b"}), expected_version=None)
    subject.store.save(new_record(other_customer, state={"who": "c"}), expected_version=None)
    states = [subject.store.load(k, now=NOW) for k in (KEY, other_call, other_customer)]
    assert [s.state["who"] if s else None for s in states] == ["a", "b", "c"]


def test_one_backend_call_per_load_and_per_save(subject: StoreUnderTest) -> None:
    record = new_record()
    subject.store.save(record, expected_version=None)
    for _ in range(3):
        subject.store.load(KEY, now=NOW)
    subject.store.save(next_version(record), expected_version=1)
    with pytest.raises(WriteConflict):
        subject.store.save(next_version(record), expected_version=1)
    assert (subject.reads(), subject.writes()) == (3, 3)


def test_concurrent_increments_lose_no_update(subject: StoreUnderTest) -> None:
    """Real threads race load + modify + conditional save on one call's counter."""
    threads_count = 8
    start = threading.Barrier(threads_count)
    conflicts: list[int] = []
    errors: list[BaseException] = []

    def increment() -> None:
        start.wait()
        lost = 0
        for _ in range(200):
            current = subject.store.load(KEY, now=NOW)
            if current is None:
                candidate = new_record(state={"counter": 1})
                expected = None
            else:
                candidate = next_version(current, state={"counter": current.state["counter"] + 1})
                expected = current.version
            try:
                subject.store.save(candidate, expected_version=expected)
            except WriteConflict:
                lost += 1
                continue
            conflicts.append(lost)
            return
        raise AssertionError("no write succeeded in 200 attempts")

    def run() -> None:
        try:
            increment()
        except BaseException as error:  # surfaced in the main thread below
            errors.append(error)

    workers = [threading.Thread(target=run) for _ in range(threads_count)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(timeout=60)
    assert errors == []
    final = subject.store.load(KEY, now=NOW)
    assert final is not None
    assert final.state["counter"] == threads_count
    assert final.version == threads_count
    # Every failed save was a conflict the thread saw and retried; none went unnoticed.
    assert subject.writes() == threads_count + sum(conflicts)
