"""queue: a call queue from plain pieces: positions, hold music, ringing agents, a loop."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from examples import queue
from examples.queue import HOLD_MUSIC, MAX_LAPS, QUEUE_MAILBOX, make_flow
from examples.queue.line import InProcessLine
from pivotkit import Customer
from pivotkit.local.simulator import DEFAULT_ACCOUNT_ID
from pivotkit.testing import Caller, Harness
from tests.examples.support import bridges, cli_call, ran

AGENTS = f"ring_group [user:{queue.AGENTS[0]}, user:{queue.AGENTS[1]}]"
START = datetime.fromtimestamp(1_000_000.0, UTC)


def queue_line(line: InProcessLine) -> Harness:
    """The queue on its own ``line`` (not the module's), its clock stopped at ``START``."""
    return Harness(Customer(slug="queue", flow=make_flow(line)), now=START)


def test_each_lap_announces_the_position_rings_the_agents_then_plays_music() -> None:
    result = queue_line(InProcessLine(150.0)).call(bridges=["NO_ANSWER", "NO_ANSWER", "answer"])
    assert result.heard == [
        "Thank you for calling. Please hold for the next available agent.",
        "You are number 1 in the queue.",
        HOLD_MUSIC,
        "You are number 1 in the queue.",
        HOLD_MUSIC,
        "You are number 1 in the queue.",
    ]
    assert result.bridges[-1].text == f"{AGENTS}: answered"
    assert len(result.requests) == 4  # start and three laps
    assert result.state == {"laps": 3}


def test_a_later_caller_is_further_back_until_the_first_one_leaves() -> None:
    harness = queue_line(InProcessLine(150.0))
    first = harness.call(bridges=["answer"], caller=Caller(call_id="first@test"))
    first.assert_heard("You are number 1 in the queue.")

    harness.advance(timedelta(seconds=30))
    second = harness.call(bridges=["answer"], caller=Caller(call_id="second@test"))
    second.assert_heard("You are number 2 in the queue.")

    # Answered callers stop checking in and are forgotten 150 s after their last lap.
    harness.advance(timedelta(seconds=130))  # first's last check-in is 160 s old, second's 130
    third = harness.call(bridges=["answer"], caller=Caller(call_id="third@test"))
    third.assert_heard("You are number 2 in the queue.")
    harness.advance(timedelta(seconds=160))  # the second and third stopped checking in long ago
    fourth = harness.call(bridges=["answer"], caller=Caller(call_id="fourth@test"))
    fourth.assert_heard("You are number 1 in the queue.")


def test_after_the_last_lap_the_caller_leaves_a_message() -> None:
    line = InProcessLine(150.0)
    result = queue_line(line).call(bridges=["NO_ANSWER"] * MAX_LAPS)
    assert result.heard.count("You are number 1 in the queue.") == MAX_LAPS
    result.assert_heard("We are sorry to keep you waiting. Please leave a message.")
    result.assert_voicemail(QUEUE_MAILBOX)
    # The caller sent to voicemail left the line at once.
    assert line.check_in(DEFAULT_ACCOUNT_ID, "next-caller@test", START.timestamp()) == 1


def test_each_kazoo_account_has_its_own_line() -> None:
    line = InProcessLine(60.0)
    assert line.check_in("account-a", "call-1", 0.0) == 1
    assert line.check_in("account-b", "call-2", 1.0) == 1
    assert line.check_in("account-a", "call-3", 2.0) == 2
    assert line.check_in("account-a", "call-1", 3.0) == 1  # checking in keeps one's place
    line.leave("account-a", "call-1")
    assert line.check_in("account-a", "call-3", 4.0) == 1


def test_pivotkit_call_walks_the_queue(capsys: pytest.CaptureFixture[str]) -> None:
    # The kit's CLI on the deployed module. An account of its own, so other tests' callers
    # are not in this line.
    account = "7e57ca11000000000000000000000001"
    transcript = cli_call(capsys, "queue", "--account-id", account, "--bridge", "NO_ANSWER,answer")
    requests = ran(transcript, "request")
    assert [r["url"].split("step=")[-1][:4] for r in requests[1:]] == ["wait", "wait"]
    assert bridges(transcript) == [f"{AGENTS}: NO_ANSWER (480) -> child '_'", f"{AGENTS}: answered"]
