"""One item-size limit in every store (in memory; DynamoDB on moto), and a bounded trail.

DynamoDB refuses an item over 400 KB; the in-memory store must refuse the same records, so
a flow that outgrows its state fails in local tests the way it would deployed, with its own
error code (``state_too_large``) and a log line naming customer and step.
"""

from __future__ import annotations

import json
import logging

import pytest

from pivotkit import Call, Customer, Flow, Node, tts
from pivotkit.app import PivotApp
from pivotkit.customers import StaticTokens
from pivotkit.errors import StateTooLarge
from pivotkit.local.kazoo_encoding import KazooCall
from pivotkit.state import (
    MAX_ITEM_BYTES,
    TRAIL_MAX_ENTRIES,
    CallKey,
    CallRecord,
    item_size,
    record_attributes,
)
from tests.contract.call_records import KEY, NOW, new_record
from tests.contract.conftest import StoreUnderTest
from tests.unit.engine.driver import ACCOUNT_ID, BASE_URL, Caller


def record_of_size(size: int) -> CallRecord:
    """A record whose item is exactly ``size`` bytes as DynamoDB counts them."""
    base = new_record(state={"blob": ""})
    padding = size - item_size(record_attributes(base))
    record = new_record(state={"blob": "x" * padding})
    assert item_size(record_attributes(record)) == size
    return record


def test_a_record_over_the_item_limit_is_refused_before_any_write(
    subject: StoreUnderTest, caplog: pytest.LogCaptureFixture
) -> None:
    # The case: 420 KB of state, which the in-memory store used to accept.
    record = new_record(state={"blob": "x" * 420_000}, answered_step="collect_notes@7")
    with (
        caplog.at_level(logging.ERROR, logger="pivotkit.state"),
        pytest.raises(StateTooLarge) as raised,
    ):
        subject.store.save(record, expected_version=None)
    assert (raised.value.status, raised.value.code) == (500, "state_too_large")
    assert subject.writes() == 0
    assert subject.store.load(KEY, now=NOW) is None
    (line,) = [r.getMessage() for r in caplog.records]
    assert "customer acme at step collect_notes (hop 7)" in line
    assert "state 420" in line  # which part is large, for whoever reads the alarm


def test_the_limit_is_the_same_byte_in_every_store(subject: StoreUnderTest) -> None:
    with pytest.raises(StateTooLarge):
        subject.store.save(record_of_size(MAX_ITEM_BYTES + 1), expected_version=None)
    assert subject.writes() == 0


def test_a_record_under_the_limit_is_stored(subject: StoreUnderTest) -> None:
    # moto refuses items over 405,000 bytes, a little under DynamoDB's 409,600.
    record = record_of_size(400_000)
    subject.store.save(record, expected_version=None)
    assert subject.store.load(KEY, now=NOW) == record


def test_non_ascii_state_counts_as_the_json_stored(subject: StoreUnderTest) -> None:
    # State is stored as ASCII JSON: each "€" is the 6 bytes of "\u20ac", so 70,000 of them
    # (210,000 bytes of UTF-8) are 420,000 bytes stored, and refused.
    with pytest.raises(StateTooLarge):
        subject.store.save(new_record(state={"name": "€" * 70_000}), expected_version=None)
    assert subject.writes() == 0


def test_the_count_of_dropped_trail_entries_round_trips(subject: StoreUnderTest) -> None:
    record = new_record(trail=({"step": "menu", "hop": 900, "at": NOW},), trail_dropped=899)
    subject.store.save(record, expected_version=None)
    loaded = subject.store.load(KEY, now=NOW)
    assert loaded is not None and loaded.trail_dropped == 899


# --- through the engine ------------------------------------------------------------------

TOKEN = "size-token"
FIRST_URL = f"{BASE_URL}/pivot/notes?token={TOKEN}"

flow = Flow(track_path=True)


@flow.step()
def start(call: Call) -> Node:
    return call.gather("more", prompt=tts("Press 1 to add a note."))


@flow.step()
def more(call: Call) -> Node:
    # A flow that keeps appending to its state: each press adds 100 kB.
    call.state["notes"] = str(call.state.get("notes", "")) + "n" * 100_000
    return call.gather("more", prompt=tts("Noted. Press 1 to add another."))


notes = Customer(slug="notes", flow=flow)


def test_the_engine_answers_an_oversize_state_with_its_own_error(
    subject: StoreUnderTest, caplog: pytest.LogCaptureFixture
) -> None:
    app = PivotApp({"notes": notes}, subject.store, StaticTokens({"notes": [TOKEN]}))
    caller = Caller(app, KazooCall(account_id=ACCOUNT_ID, call_id="long-call@10.0.0.5"))
    caller.first(FIRST_URL)
    with caplog.at_level(logging.ERROR, logger="pivotkit.state"):
        statuses = [caller.press("1").status for _ in range(4)]
        refused = caller.press("1")
    assert statuses == [200] * 4
    assert refused.status == 500  # not 200: Kazoo runs the pivot node's fallback
    assert json.loads(refused.body)["error"] == "state_too_large"
    (line,) = [r.getMessage() for r in caplog.records]
    assert "customer notes at step more (hop 5)" in line


def test_a_long_call_keeps_the_last_trail_entries_and_counts_the_rest(
    subject: StoreUnderTest,
) -> None:
    loop = Flow(track_path=True)

    @loop.step()
    def start(call: Call) -> Node:
        return call.gather("start", prompt=tts("Press any key."))

    app = PivotApp(
        {"loop": Customer(slug="loop", flow=loop)}, subject.store, StaticTokens({"loop": [TOKEN]})
    )
    caller = Caller(app, KazooCall(account_id=ACCOUNT_ID, call_id="loop@10.0.0.5"))
    caller.first(f"{BASE_URL}/pivot/loop?token={TOKEN}")
    extra = 25
    for _ in range(TRAIL_MAX_ENTRIES + extra - 1):
        assert caller.press("5").status == 200
    record = subject.store.load(CallKey("loop", ACCOUNT_ID, "loop@10.0.0.5"), now=NOW)
    assert record is not None
    assert len(record.trail) == TRAIL_MAX_ENTRIES
    assert record.trail_dropped == extra
    assert [e["hop"] for e in (record.trail[0], record.trail[-1])] == [
        extra,
        TRAIL_MAX_ENTRIES + extra - 1,
    ]
