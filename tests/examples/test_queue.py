"""queue: a call queue from plain pieces: positions, hold music, ringing agents, a loop.

The line lives in ``call.shared``: the in-memory twin by default, DynamoDB (moto) where a
test says so, with twenty callers at once on either.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from moto import mock_aws

from examples import queue
from examples.queue import FORGET_AFTER_SECONDS, HOLD_MUSIC, MAX_LAPS, QUEUE_MAILBOX
from pivotkit.aws.dynamodb_shared import DynamoDBSharedStore
from pivotkit.call_events import CHANNEL_DESTROY
from pivotkit.customers import StaticTokens
from pivotkit.http import from_lambda_event
from pivotkit.local.gateway import GatewayRequest, http_api_event
from pivotkit.local.kazoo_webhooks import channel_event, webhook_request
from pivotkit.local.simulator import DEFAULT_ACCOUNT_ID
from pivotkit.shared import Shared, SharedStore
from pivotkit.testing import Caller, CallResult, Harness
from pivotkit.webhooks import WebhookApp
from tests.contract.moto_support import (
    SerialisedRequests,
    aws_env,
    create_state_table,
    new_dynamodb_client,
)
from tests.examples.support import bridges, cli_call, ran

__all__ = ["aws_env"]

AGENTS = f"ring_group [user:{queue.AGENTS[0]}, user:{queue.AGENTS[1]}]"
START = datetime.fromtimestamp(1_000_000.0, UTC)
LINE = f"waiting:{DEFAULT_ACCOUNT_ID}"
CALLERS = 20


def queue_line(shared: SharedStore | None = None) -> Harness:
    """The queue on a fresh shared store, its clock stopped at ``START``."""
    return Harness(queue.customer, now=START, shared=shared)


def line_of(harness: Harness) -> Shared:
    return Shared(harness.shared_store, "queue", clock=lambda: harness.now.timestamp())  # noqa: PLW0108 - read at each call


@pytest.fixture
def moto_shared(aws_env: None) -> Iterator[SharedStore]:
    with mock_aws():
        client = new_dynamodb_client()
        SerialisedRequests(client)  # moto checks a condition and writes without a lock
        yield DynamoDBSharedStore(client, create_state_table(client))


def test_each_lap_announces_the_position_rings_the_agents_then_plays_music() -> None:
    result = queue_line().call(bridges=["NO_ANSWER", "NO_ANSWER", "answer"])
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
    harness = queue_line()
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


def test_after_the_last_lap_the_caller_leaves_a_message_and_frees_the_place() -> None:
    harness = queue_line()
    result = harness.call(bridges=["NO_ANSWER"] * MAX_LAPS, caller=Caller(call_id="long@test"))
    assert result.heard.count("You are number 1 in the queue.") == MAX_LAPS
    result.assert_heard("We are sorry to keep you waiting. Please leave a message.")
    result.assert_voicemail(QUEUE_MAILBOX)
    # The caller sent to voicemail left the line at once, long before its place expired.
    assert line_of(harness).members(LINE) == []
    harness.call(bridges=["answer"]).assert_heard("You are number 1 in the queue.")


def test_a_caller_leaving_moves_the_ones_behind_forward() -> None:
    harness = queue_line()
    harness.call(bridges=["answer"], caller=Caller(call_id="first@test"))
    harness.call(bridges=["answer"], caller=Caller(call_id="second@test"))
    line = line_of(harness)
    line.leave(LINE, "first@test")
    assert line.position_of(LINE, "second@test") == 1  # its next lap announces 1
    third = harness.call(bridges=["answer"], caller=Caller(call_id="third@test"))
    third.assert_heard("You are number 2 in the queue.")  # not 3: the first one's place is free
    assert line.members(LINE) == ["second@test", "third@test"]


def test_each_kazoo_account_has_its_own_line() -> None:
    harness = queue_line()
    other = "7e57ca11000000000000000000000002"
    harness.call(bridges=["answer"], caller=Caller(call_id="a@test"))
    elsewhere = harness.call(bridges=["answer"], caller=Caller(call_id="b@test", account_id=other))
    elsewhere.assert_heard("You are number 1 in the queue.")
    assert line_of(harness).members(f"waiting:{other}") == ["b@test"]


def twenty_callers_at_once(harness: Harness) -> None:
    """Twenty calls placed from twenty threads released together: each is told a distinct
    place, and the place it was told is the one it holds in the one shared line."""
    results: dict[str, CallResult] = {}
    errors: list[BaseException] = []
    start = threading.Barrier(CALLERS)

    def place(i: int) -> None:
        call_id = f"caller-{i}@test"
        start.wait()
        try:
            results[call_id] = harness.call(bridges=["answer"], caller=Caller(call_id=call_id))
        except BaseException as error:  # reported below, not lost in a thread
            errors.append(error)

    threads = [threading.Thread(target=place, args=(i,)) for i in range(CALLERS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert errors == []
    told = {
        call_id: int(next(h for h in r.heard if h.startswith("You are number")).split()[3])
        for call_id, r in results.items()
    }
    line = line_of(harness).members(LINE)
    assert sorted(line) == sorted(told)  # every caller is in it, once
    assert sorted(told.values()) == list(range(1, CALLERS + 1))  # no place told twice
    assert all(line[position - 1] == call_id for call_id, position in told.items())


def test_twenty_concurrent_callers_see_one_line_in_memory() -> None:
    twenty_callers_at_once(queue_line())


def test_twenty_concurrent_callers_see_one_line_on_dynamodb(moto_shared: SharedStore) -> None:
    twenty_callers_at_once(queue_line(moto_shared))


def test_places_expire_on_dynamodb_too(moto_shared: SharedStore) -> None:
    harness = queue_line(moto_shared)
    harness.call(bridges=["answer"], caller=Caller(call_id="first@test"))
    harness.call(bridges=["answer"], caller=Caller(call_id="second@test")).assert_heard(
        "You are number 2 in the queue."
    )
    harness.advance(timedelta(seconds=FORGET_AFTER_SECONDS + 1))
    harness.call(bridges=["answer"]).assert_heard("You are number 1 in the queue.")


def test_pivotkit_call_walks_the_queue(capsys: pytest.CaptureFixture[str]) -> None:
    # The kit's CLI on the deployed module (embedded moto). An account of its own, so other
    # tests' callers are not in this line.
    account = "7e57ca11000000000000000000000001"
    transcript = cli_call(capsys, "queue", "--account-id", account, "--bridge", "NO_ANSWER,answer")
    requests = ran(transcript, "request")
    assert [r["url"].split("step=")[-1][:4] for r in requests[1:]] == ["wait", "wait"]
    assert bridges(transcript) == [f"{AGENTS}: NO_ANSWER (480) -> child '_'", f"{AGENTS}: answered"]


def _hung_up(harness: Harness, call_id: str, direction: str = "inbound") -> int:
    """Kazoo's channel_destroy of ``call_id`` through the queue's webhook route."""
    token = "queue-hooks-token"
    app = WebhookApp(
        {"queue": queue.customer},
        StaticTokens({"queue": (token,)}),
        shared=harness.shared_store,
        clock=lambda: harness.now.timestamp(),  # noqa: PLW0108 - read at each call
    )
    fields = channel_event(
        CHANNEL_DESTROY,
        call_id=call_id,
        account_id=DEFAULT_ACCOUNT_ID,
        at=harness.now.timestamp(),
        direction=direction,
        hangup_cause="ORIGINATOR_CANCEL",
        duration_seconds=40,
    )
    sent = webhook_request(fields, f"https://hooks.example.com/hooks/queue?token={token}")
    event = http_api_event(GatewayRequest.for_url(sent.method, sent.url, sent.headers, sent.body))
    return app.handle(from_lambda_event(event)).status


def test_a_caller_who_hung_up_is_dropped_at_once_by_the_call_webhook() -> None:
    harness = queue_line()
    harness.call(bridges=["answer"], caller=Caller(call_id="first@test"))
    harness.call(bridges=["answer"], caller=Caller(call_id="second@test"))
    line = line_of(harness)
    # An agent's leg ending (outbound) is not the caller hanging up.
    assert _hung_up(harness, "first@test", direction="outbound") == 200
    assert line.members(LINE) == ["first@test", "second@test"]
    harness.advance(timedelta(seconds=5))  # long before a missed check-in (150 s) counts
    assert _hung_up(harness, "first@test") == 200
    assert line.members(LINE) == ["second@test"]
    third = harness.call(bridges=["answer"], caller=Caller(call_id="third@test"))
    third.assert_heard("You are number 2 in the queue.")  # not 3: the first one's place is free
