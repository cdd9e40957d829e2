"""A call of 10,000 steps, or a flood under one Call-ID, keeps its journal bounded."""

from __future__ import annotations

import json
from typing import Any

from pivotkit import Call, Customer, Flow, Node
from pivotkit.app import EngineSettings, Outcome, PivotApp
from pivotkit.customers import StaticTokens
from pivotkit.journal import (
    MAX_ENTRY_BYTES,
    MAX_FAILURES_PAST,
    MAX_REQUESTS_PER_CALL,
    CallJournal,
    is_journal_line,
)
from pivotkit.local.kazoo_encoding import KazooCall
from pivotkit.redaction import Redactor
from pivotkit.state import InMemoryStateStore
from tests.unit.engine.driver import ACCOUNT_ID, find_module, to_http

TOKEN = "loop-token-0123456789"
STEPS = 10_000


def _loop_customer() -> Customer:
    flow = Flow()

    @flow.step()
    def start(call: Call) -> Node:
        return call.goto("loop")

    @flow.step()
    def loop(call: Call) -> Node:
        return call.goto("loop")

    return Customer(slug="looper", flow=flow)


def _entries(lines: list[str]) -> list[dict[str, Any]]:
    entries = [is_journal_line(line) for line in lines]
    assert all(entry is not None for entry in entries)
    return [entry for entry in entries if entry is not None]


def test_ten_thousand_steps_write_a_bounded_journal_with_one_truncated_entry() -> None:
    customer = _loop_customer()
    lines: list[str] = []
    journal = CallJournal(lines.append, Redactor([TOKEN]), lambda value, is_number: "masked")
    app = PivotApp(
        {"looper": customer},
        InMemoryStateStore(),
        StaticTokens({"looper": (TOKEN,)}),
        settings=EngineSettings(step_time_limit_seconds=None),
        observers=(lambda outcome: journal.observe(outcome, customer),),
    )
    kazoo = KazooCall(account_id=ACCOUNT_ID, call_id="long-call", caller_id_name="X" * 5000)
    url = f"https://pivot.example.com/pivot/looper?token={TOKEN}"
    for _ in range(STEPS):
        response = app.handle(to_http(kazoo, url))
        assert response.status == 200
        pivot = find_module(json.loads(response.body), "pivot")
        assert pivot is not None
        url = pivot["data"]["voice_url"]
    entries = _entries(lines)
    assert len(entries) == MAX_REQUESTS_PER_CALL + 1
    assert all(len(line) <= MAX_ENTRY_BYTES for line in lines)
    assert [e["kind"] for e in entries].count("truncated") == 1
    assert entries[-1]["kind"] == "truncated" and entries[-1]["hop"] == MAX_REQUESTS_PER_CALL
    assert not any(TOKEN in line for line in lines)


def test_a_flood_under_one_call_id_stops_but_keeps_failures_a_while_longer() -> None:
    """First requests (hop 0) say nothing of how far a call went: the count bounds them."""
    lines: list[str] = []
    journal = CallJournal(lines.append, Redactor(), lambda value, is_number: None)
    for _ in range(MAX_REQUESTS_PER_CALL + 10):
        journal.observe(Outcome("acme", "start", 200, 1.0, call_id="c", hop=0), None)
    for _ in range(MAX_FAILURES_PAST + 10):
        journal.observe(
            Outcome("acme", "start", 503, 1.0, call_id="c", hop=0, error="step_timed_out"), None
        )
    journal.call_ended(
        customer="acme",
        call_id="c",
        account_id=None,
        hangup_cause="NORMAL_CLEARING",
        duration_seconds=1.0,
        ended_at=1.0,
    )
    kinds = [e["kind"] for e in _entries(lines)]
    assert kinds.count("request") == MAX_REQUESTS_PER_CALL + MAX_FAILURES_PAST
    assert kinds.count("truncated") == 1 and kinds[-1] == "call_end"
    statuses = [e.get("status") for e in _entries(lines) if e["kind"] == "request"]
    assert statuses[-MAX_FAILURES_PAST:] == [503] * MAX_FAILURES_PAST
    # Other calls are counted apart.
    journal.observe(Outcome("acme", "start", 200, 1.0, call_id="other", hop=0), None)
    assert _entries(lines)[-1]["call_id"] == "other"
