"""queue: a call queue from plain pieces: positions, hold music, ringing agents, a loop."""

from __future__ import annotations

import pytest

from customers import queue
from customers.queue import HOLD_MUSIC, MAX_LAPS, QUEUE_MAILBOX, make_flow
from customers.queue.line import InProcessLine
from pivotkit import Customer
from pivotkit.app import PivotApp
from pivotkit.local.simulator import DEFAULT_ACCOUNT_ID, Caller
from pivotkit.state import InMemoryStateStore
from tests.examples.support import app_for, bridges, call_app, cli_call, ran, said

AGENTS = f"ring_group [user:{queue.AGENTS[0]}, user:{queue.AGENTS[1]}]"


class Clock:
    def __init__(self) -> None:
        self.now = 1_000_000.0

    def __call__(self) -> float:
        return self.now


def queue_app(
    line: InProcessLine, clock: Clock, store: InMemoryStateStore | None = None
) -> PivotApp:
    return app_for(Customer(slug="queue", flow=make_flow(line, clock)), store)


def test_each_lap_announces_the_position_rings_the_agents_then_plays_music() -> None:
    store = InMemoryStateStore()
    app = queue_app(InProcessLine(150.0), Clock(), store)
    transcript = call_app(app, "queue", bridges=["NO_ANSWER", "NO_ANSWER", "answer"])
    assert transcript["heard"] == [
        "Thank you for calling. Please hold for the next available agent.",
        "You are number 1 in the queue.",
        HOLD_MUSIC,
        "You are number 1 in the queue.",
        HOLD_MUSIC,
        "You are number 1 in the queue.",
    ]
    assert bridges(transcript)[-1] == f"{AGENTS}: answered"
    assert transcript["requests"] == 4  # start and three laps
    (record,) = store.records()
    assert record.state == {"laps": 3}


def test_a_later_caller_is_further_back_until_the_first_one_leaves() -> None:
    line, clock = InProcessLine(150.0), Clock()
    app = queue_app(line, clock)
    first = call_app(app, "queue", bridges=["answer"], caller=Caller(call_id="first@test"))
    assert "You are number 1 in the queue." in said(first)

    clock.now += 30
    second = call_app(app, "queue", bridges=["answer"], caller=Caller(call_id="second@test"))
    assert "You are number 2 in the queue." in said(second)

    # Answered callers stop checking in and are forgotten 150 s after their last lap.
    clock.now += 130  # the first caller's last check-in is 160 s old, the second's 130 s
    third = call_app(app, "queue", bridges=["answer"], caller=Caller(call_id="third@test"))
    assert "You are number 2 in the queue." in said(third)
    clock.now += 160  # the second and third callers stopped checking in long ago
    fourth = call_app(app, "queue", bridges=["answer"], caller=Caller(call_id="fourth@test"))
    assert "You are number 1 in the queue." in said(fourth)


def test_after_the_last_lap_the_caller_leaves_a_message() -> None:
    line = InProcessLine(150.0)
    app = queue_app(line, Clock())
    transcript = call_app(app, "queue", bridges=["NO_ANSWER"] * MAX_LAPS)
    assert transcript["heard"].count("You are number 1 in the queue.") == MAX_LAPS
    assert "We are sorry to keep you waiting. Please leave a message." in said(transcript)
    assert bridges(transcript)[-1] == f"voicemail {QUEUE_MAILBOX}: answered"
    # The caller sent to voicemail left the line at once.
    assert line.check_in(DEFAULT_ACCOUNT_ID, "next-caller@test", 1_000_000.0) == 1


def test_each_kazoo_account_has_its_own_line() -> None:
    line = InProcessLine(60.0)
    assert line.check_in("account-a", "call-1", 0.0) == 1
    assert line.check_in("account-b", "call-2", 1.0) == 1
    assert line.check_in("account-a", "call-3", 2.0) == 2
    assert line.check_in("account-a", "call-1", 3.0) == 1  # checking in keeps one's place
    line.leave("account-a", "call-1")
    assert line.check_in("account-a", "call-3", 4.0) == 1


def test_pivotkit_call_walks_the_queue(capsys: pytest.CaptureFixture[str]) -> None:
    # An account of its own, so other tests' callers are not in this line.
    account = "7e57ca11000000000000000000000001"
    transcript = cli_call(capsys, "queue", "--account-id", account, "--bridge", "NO_ANSWER,answer")
    requests = ran(transcript, "request")
    assert [r["url"].split("step=")[-1][:4] for r in requests[1:]] == ["wait", "wait"]
    assert bridges(transcript) == [f"{AGENTS}: NO_ANSWER (480) -> child '_'", f"{AGENTS}: answered"]
