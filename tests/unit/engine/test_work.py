"""Background jobs (pivotkit.work): dispatched after the state write, polled by a later step."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

import pytest

from pivotkit import Call, Customer, Flow, Job, Node, hangup, hold, tts
from pivotkit.app import PivotApp
from pivotkit.customers import StaticTokens
from pivotkit.deferred import QueuedDeferrer, is_deferred_event
from pivotkit.deferred_runner import DeferredWork
from pivotkit.local.kazoo_encoding import KazooCall
from pivotkit.state import InMemoryStateStore, WriteConflict
from pivotkit.work import InMemoryJobStore, job_event
from tests.unit.engine.driver import ACCOUNT_ID, Caller, find_module

TOKEN = "tok-work"
FIRST_URL = f"https://pivot.example.com/pivot/booker?token={TOKEN}"


def booker(outcome: list[str]) -> Customer:
    flow = Flow()

    @flow.job()
    def book(job: Job) -> dict[str, Any]:
        if outcome[0] == "raise":
            raise RuntimeError("booking service down")
        return {"slot": job.payload["slot"], "ref": "B-1"}

    @flow.step()
    def start(call: Call) -> Node:
        call.state["job"] = call.work.start("book", {"slot": "9am"}, timeout_seconds=10)
        return hold(call, "poll", prompt=tts("Please hold."))

    @flow.step()
    def poll(call: Call) -> Node:
        status = call.work.poll(call.state["job"])
        if status.pending:
            return hold(call, "poll")
        if status.failed:
            return tts(f"Sorry: {status.reason}.").then(hangup())
        return tts(f"Booked {status.result['slot']}, reference {status.result['ref']}.")

    return Customer(slug="booker", flow=flow)


class World:
    def __init__(self, outcome: str = "ok") -> None:
        self.outcome = [outcome]
        self.now = 1_800_000_000.0
        self.customer = booker(self.outcome)
        self.state = InMemoryStateStore()
        self.jobs = InMemoryJobStore()
        work = DeferredWork({"booker": self.customer}, self.jobs, clock=lambda: self.now)
        self.deferred = QueuedDeferrer(work.run)
        self.app = PivotApp(
            {"booker": self.customer},
            self.state,
            StaticTokens({"booker": [TOKEN]}),
            clock=lambda: self.now,
            jobs=self.jobs,
            deferrer=self.deferred,
        )
        self.caller = Caller(self.app, KazooCall(account_id=ACCOUNT_ID, call_id="call-w"))

    def follow(self) -> str:
        pivot = find_module(self.caller.last_tree(), "pivot")
        assert pivot is not None
        response = self.caller._send(pivot["data"]["voice_url"])
        assert response.status == 200
        return said(response.body)


def said(body: bytes) -> str:
    tree = json.loads(body)
    texts = []
    while tree and tree["module"] != "pivot":  # not the pivot's fallback
        if tree["module"] == "tts":
            texts.append(tree["data"]["text"])
        tree = tree.get("children", {}).get("_")
    return " | ".join(texts)


def test_a_job_runs_after_the_answer_and_the_poll_hears_its_result() -> None:
    world = World()
    first = world.caller.first(FIRST_URL)
    assert first.status == 200 and said(first.body) == "Please hold."
    # Dispatched (recorded and deferred), not run: the answer did not wait for it.
    assert len(world.deferred.pending) == 1
    (record,) = world.jobs.records()
    assert record.status == "pending"
    assert world.follow() == ""  # still pending: hold again
    world.deferred.run_pending()
    assert world.follow() == "Booked 9am, reference B-1."


def test_a_job_that_raises_is_failed_and_the_caller_hears_why() -> None:
    world = World("raise")
    world.caller.first(FIRST_URL)
    world.deferred.run_pending()
    assert world.follow() == "Sorry: job_failed."


def test_a_job_past_its_bound_is_timed_out_and_never_run() -> None:
    world = World()
    world.caller.first(FIRST_URL)
    world.now += 11
    assert world.follow() == "Sorry: timed_out."
    world.deferred.run_pending()
    (record,) = world.jobs.records()
    assert (record.status, record.reason) == ("failed", "timed_out")


def test_a_failed_state_write_dispatches_nothing(monkeypatch: pytest.MonkeyPatch) -> None:
    world = World()

    def refuse(record: Any, *, expected_version: int | None) -> None:
        raise WriteConflict("lost")

    monkeypatch.setattr(world.state, "save", refuse)
    response = world.caller.first(FIRST_URL)
    assert response.status != 200
    assert world.deferred.pending == [] and world.jobs.records() == []


def test_racing_duplicates_of_one_transition_start_the_job_once() -> None:
    world = World()
    world.caller.first(FIRST_URL)
    pivot = find_module(world.caller.last_tree(), "pivot")
    assert pivot is not None
    for _ in range(3):  # Kazoo retries the same continuation
        world.caller._send(pivot["data"]["voice_url"])
    assert len(world.deferred.pending) == 1


def test_the_deferred_event_is_never_an_http_event() -> None:
    world = World()
    world.caller.first(FIRST_URL)
    (event,) = world.deferred.pending
    assert is_deferred_event(event)
    forged: Mapping[str, Any] = {**event, "rawPath": "/pivot/booker", "requestContext": {}}
    assert not is_deferred_event(forged)
    assert not is_deferred_event({"body": json.dumps(event)})
    (record,) = world.jobs.records()
    assert job_event(record.job) == event


def test_hold_plays_a_bounded_wait_and_refuses_an_endless_stream() -> None:
    world = World()
    world.caller.first(FIRST_URL)
    play = find_module(world.caller.last_tree(), "play")
    assert play is not None and play["data"] == {"id": "silence_stream://4000"}
    assert find_module(play, "pivot") is not None

    flow = Flow()

    @flow.step()
    def start(call: Call) -> Node:
        return hold(call, "start", music="local_stream://default")

    app = PivotApp(
        {"x": Customer(slug="x", flow=flow)}, InMemoryStateStore(), StaticTokens({"x": [TOKEN]})
    )
    caller = Caller(app, KazooCall(account_id=ACCOUNT_ID, call_id="call-x"))
    assert caller.first(f"https://pivot.example.com/pivot/x?token={TOKEN}").status == 500
