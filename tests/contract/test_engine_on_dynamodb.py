"""The Pivot engine on the DynamoDB store (moto), driven the way Kazoo drives it.

Each request is what Kazoo's pivot sends (``pivotkit.local.kazoo_encoding``): a GET to the
``voice_url`` of the nested pivot node in the previous answer, with the call's parameters
appended, ``Digits[<collection>]=...`` included and accumulated over the call. DynamoDB
calls are counted by botocore (``before-call``), per request.

The flow, defined here, has every kind of request: a stateless first answer, a stateless
continuation, the step that first writes state, and steps that read and write it.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from urllib.parse import parse_qs

import pytest
from moto import mock_aws

from pivotkit.app import Outcome, PivotApp
from pivotkit.aws.dynamodb_state import DynamoDBStateStore
from pivotkit.customers import StaticTokens
from pivotkit.http import HttpResponse
from pivotkit.local.kazoo_encoding import KazooCall
from tests.contract.demo_call import (
    ACCOUNT_ID,
    FIRST_URL,
    TOKEN,
    TTL_SECONDS,
    Clock,
    Exchange,
    Kazoo,
    customer,
    find,
    menu_gate,
    to_http,
)
from tests.contract.moto_support import (
    THROTTLED,
    CallCounter,
    FaultInjector,
    SerialisedRequests,
    create_state_table,
    new_dynamodb_client,
)


@pytest.fixture
def kazoo(aws_env: None) -> Iterator[Kazoo]:
    with mock_aws():
        client = new_dynamodb_client()
        store = DynamoDBStateStore(client, create_state_table(client))
        SerialisedRequests(client)  # DynamoDB's per-item atomicity, which moto lacks
        outcomes: list[Outcome] = []
        app = PivotApp(
            {"demo": customer},
            store,
            StaticTokens({"demo": [TOKEN]}),
            clock=Clock(),
            observers=(outcomes.append,),
        )
        yield Kazoo(app, store, CallCounter(client), outcomes)


def walk_to_menu(kazoo: Kazoo) -> list[Exchange]:
    return [kazoo.send(FIRST_URL), kazoo.press("5"), kazoo.press("0000"), kazoo.press("1234")]


def test_dynamodb_calls_per_request_type(kazoo: Kazoo) -> None:
    first, stateless, first_write, stateful = walk_to_menu(kazoo)
    assert [e.response.status for e in (first, stateless, first_write, stateful)] == [200] * 4
    # Requests as Kazoo sends them: voice_url's query, then the call's parameters.
    query = parse_qs(stateful.request.raw_query)
    assert query["step"] == ["pin"] and query["Account-ID"] == [ACCOUNT_ID]
    assert query["Digits[pin_3]"] == ["1234"] and query["Digits[hello_1]"] == ["5"]

    assert first.calls == {}  # first request of a stateless step
    assert stateless.calls == {}  # continuation of a call with no state yet
    assert first_write.calls == {"PutItem": 1}  # state appears: nothing to read yet
    assert stateful.calls == {"GetItem": 1, "PutItem": 1}

    again = kazoo.press("2")  # a menu step on stored state
    assert again.calls == {"GetItem": 1, "PutItem": 1}
    replay = kazoo.send(again.url)  # Kazoo sends the same continuation once more
    assert replay.calls == {"GetItem": 1}
    assert replay.response.status == 200
    assert replay.response.body == again.response.body
    assert replay.outcome.replayed
    # The engine's own account agrees with what botocore saw.
    for exchange in kazoo.log:
        reported = (exchange.outcome.state_reads, exchange.outcome.state_writes)
        assert reported == (exchange.calls.get("GetItem", 0), exchange.calls.get("PutItem", 0))

    record = kazoo.stored()
    assert record is not None
    assert record.state == {"tries": 2, "choices": ["2"]}
    assert record.seq == 3


def test_replay_of_the_request_that_created_the_state(kazoo: Kazoo) -> None:
    """Its URL carries seq=0, so the engine cannot know to read first: the step runs again,
    its create fails the condition, and the re-read finds the answer to replay."""
    kazoo.send(FIRST_URL)
    kazoo.press("5")
    created = kazoo.press("0000")
    record = kazoo.stored()
    replay = kazoo.send(created.url)
    assert replay.response.status == 200
    assert replay.response.body == created.response.body
    assert replay.outcome.replayed
    assert replay.calls == {"PutItem": 1, "GetItem": 1}
    assert kazoo.stored() == record


def test_concurrent_duplicate_continuations_get_one_answer(kazoo: Kazoo) -> None:
    walk_to_menu(kazoo)
    before = kazoo.stored()
    assert before is not None
    tree = kazoo.log[-1].tree
    kazoo.call = kazoo.call.with_digits(find(tree, "collect_dtmf")["data"]["collection_name"], "1")
    url = find(tree, "pivot")["data"]["voice_url"]
    responses: list[HttpResponse] = []

    def duplicate() -> None:
        responses.append(kazoo.app.handle(to_http(kazoo.call, url)))

    # Both requests read the record before either writes, so their saves collide.
    menu_gate.append(threading.Barrier(2))
    try:
        workers = [threading.Thread(target=duplicate) for _ in range(2)]
        for worker in workers:
            worker.start()
        for worker in workers:
            worker.join(timeout=30)
    finally:
        menu_gate.clear()
    assert [r.status for r in responses] == [200, 200]
    assert responses[0].body == responses[1].body
    # The winner wrote; the loser's write conflicted, it re-read and replayed the answer.
    races = sorted(
        (o.replayed, o.conflicts, o.state_reads, o.state_writes) for o in kazoo.outcomes[-2:]
    )
    assert races == [(False, 0, 1, 1), (True, 1, 2, 1)]
    after = kazoo.stored()
    assert after is not None
    assert (after.seq, after.version) == (before.seq + 1, before.version + 1)
    assert after.state["choices"] == ["1"]


def test_stale_continuation_is_refused(kazoo: Kazoo) -> None:
    exchanges = walk_to_menu(kazoo)
    kazoo.press("1")
    before = kazoo.stored()
    stale = kazoo.send(exchanges[-1].url)  # the PIN continuation, two answers ago
    assert stale.response.status == 409
    assert json.loads(stale.response.body)["error"] == "stale_continuation"
    assert stale.calls == {"GetItem": 1}
    assert kazoo.stored() == before


def test_expired_call_is_gone(kazoo: Kazoo) -> None:
    walk_to_menu(kazoo)
    clock = kazoo.app.clock
    assert isinstance(clock, Clock)
    clock.now += TTL_SECONDS + 1
    gone = kazoo.press("1")
    assert gone.response.status == 410
    assert json.loads(gone.response.body)["error"] == "call_state_expired"
    assert gone.calls == {"GetItem": 1}


@pytest.mark.parametrize("operation", ["GetItem", "PutItem"])
def test_throttled_store_answers_503_inside_the_budget(kazoo: Kazoo, operation: str) -> None:
    walk_to_menu(kazoo)
    before = kazoo.stored()
    injector = FaultInjector(kazoo.store.client, operation, THROTTLED)
    started = time.perf_counter()
    failed = kazoo.press("1")
    took = time.perf_counter() - started
    assert failed.response.status == 503
    assert json.loads(failed.response.body)["error"] == "state_unavailable"
    assert injector.attempts == kazoo.store.retry.max_attempts
    assert took < kazoo.store.retry.budget_seconds
    injector.remaining = 0
    assert kazoo.stored() == before


def test_a_foreign_continuation_is_refused_without_a_dynamodb_call(kazoo: Kazoo) -> None:
    """Issue 16 item 4: call X's menu URL on call Y is a 403 decided from the request alone."""
    walk_to_menu(kazoo)
    menu_url = find(kazoo.log[-1].tree, "pivot")["data"]["voice_url"]
    kazoo.call = KazooCall(account_id=ACCOUNT_ID, call_id="y@10.0.0.5").with_digits("menu_4", "1")
    refused = kazoo.send(menu_url)
    assert refused.response.status == 403
    assert json.loads(refused.response.body)["error"] == "bad_continuation"
    assert refused.calls == {}
