"""DynamoDB failing under a whole Pivot request (the Lambda handler on moto): throttling,
conditional-check storms, timeouts, lost answers, an endpoint that is down or hung.

For each: the answer Kazoo gets (a 200 callflow, or a 503 so it runs the pivot node's
fallback at once), how long it took (well inside Kazoo's 5 s), and that the call's last
acknowledged state is intact and was never applied twice.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from typing import Any

import pytest
from botocore.exceptions import EndpointConnectionError, ReadTimeoutError
from moto import mock_aws

from pivotkit.aws import clients
from pivotkit.aws.lambda_entry import make_pivot_handler
from pivotkit.budget import STATE_CALL_WORST_SECONDS
from pivotkit.local.kazoo_encoding import KazooCall
from tests.contract.hung_endpoint import hung_endpoint
from tests.contract.moto_support import (
    THROTTLED,
    FaultInjector,
    SerialisedRequests,
    create_state_table,
)
from tests.faults.conftest import record
from tests.faults.injection import AnswerLost, ErrorAnswer
from tests.signing import signed
from tests.unit.security.support import (
    ACCOUNT_ID,
    CUSTOMERS,
    FIRST_URL,
    TOKENS,
    invoke,
    kazoo_call,
    next_request,
)

TABLE = "faults-state"
# A load and a save, each bounded by STATE_CALL_WORST_SECONDS (pivotkit.budget), plus slack for a
# busy 2-core runner.
STATE_BUDGET = 2 * STATE_CALL_WORST_SECONDS
SLACK = 0.4


@pytest.fixture
def aws(aws_env: None) -> Iterator[Any]:
    clients.reset_clients()
    with mock_aws():
        client = clients.dynamodb_client()
        create_state_table(client, TABLE)
        yield client
    clients.reset_clients()


def pivot_handler() -> Any:
    settings = {"PIVOTKIT_TOKENS": json.dumps(TOKENS), "PIVOTKIT_STATE_TABLE": TABLE}
    return make_pivot_handler(settings, customers=CUSTOMERS)


def stored(client: Any, call_id: str = "probe-call@10.0.0.5") -> dict[str, Any] | None:
    """The call's item as DynamoDB holds it (read around any fault injection)."""
    key = {"pk": {"S": f"probe#{ACCOUNT_ID}#{call_id}"}}
    item = client.get_item(TableName=TABLE, Key=key, ConsistentRead=True).get("Item")
    if item is None:
        return None
    return {"state": json.loads(item["state"]["S"]), "seq": int(item["seq"]["N"])}


class Call:
    """A call that has been answered once (its state stored) and waits at the menu."""

    def __init__(self, handler: Any, call_id: str = "probe-call@10.0.0.5") -> None:
        self.handler = handler
        self.kazoo: KazooCall = kazoo_call(call_id)
        first = invoke(handler, self.kazoo, FIRST_URL)
        assert first["statusCode"] == 200
        self.collection, self.menu_url = next_request(first)

    def press(self, digits: str = "1") -> tuple[dict[str, Any], float]:
        started = time.perf_counter()
        result = invoke(
            self.handler, self.kazoo.with_digits(self.collection, digits), self.menu_url
        )
        return result, time.perf_counter() - started


def outcome(result: dict[str, Any]) -> str:
    if result["statusCode"] == 200:
        return "200 callflow"
    return f"{result['statusCode']} {json.loads(result['body'])['error']}"


def test_throttling_that_clears_is_absorbed(aws: Any) -> None:
    call = Call(pivot_handler())
    throttle = FaultInjector(aws, "PutItem", THROTTLED, times=2)
    result, took = call.press()
    assert result["statusCode"] == 200 and throttle.injected == 2
    assert stored(aws) == {"state": {"visits": 1, "choice": "1"}, "seq": 2}
    assert took < 1.2
    record("PutItem throttled twice", outcome(result), took, "saved after 2 retries")


@pytest.mark.parametrize("operation", ["GetItem", "PutItem"])
def test_throttling_that_persists_is_a_fast_503_and_loses_nothing(aws: Any, operation: str) -> None:
    call = Call(pivot_handler())
    before = stored(aws)
    throttle = FaultInjector(aws, operation, THROTTLED)
    result, took = call.press()
    throttle.remaining = 0
    assert outcome(result) == "503 state_unavailable"
    assert took < STATE_BUDGET + SLACK
    assert stored(aws) == before  # the last acknowledged state, untouched
    # The fault clears: the same request (the caller pressed again) goes through.
    retried, _ = call.press()
    assert retried["statusCode"] == 200 and stored(aws)["seq"] == 2  # type: ignore[index]
    record(f"{operation} throttled throughout", outcome(result), took, "previous state intact")


def test_a_conditional_check_storm_ends_in_a_bounded_503(aws: Any) -> None:
    """Every write loses to another writer (as if the call were hammered)."""
    call = Call(pivot_handler())
    before = stored(aws)
    storm = ErrorAnswer(aws, "PutItem", 400, "ConditionalCheckFailedException")
    result, took = call.press()
    storm.remaining = 0
    assert outcome(result) == "503 state_unavailable"
    assert storm.fired == 4  # EngineSettings.max_attempts writes, each after a re-read
    assert took < STATE_BUDGET + SLACK and stored(aws) == before
    record("every PutItem loses its condition", outcome(result), took, "previous state intact")


def test_duplicate_requests_racing_apply_once_and_answer_alike(aws: Any) -> None:
    """Kazoo and a retrying proxy send one continuation eight times at once: one write
    wins, the others find it and replay its answer."""
    SerialisedRequests(aws)  # DynamoDB applies each conditional write atomically; moto must
    call = Call(pivot_handler())
    results: list[tuple[dict[str, Any], float]] = []
    gate = threading.Barrier(8)

    def press() -> None:
        gate.wait()
        results.append(call.press())

    threads = [threading.Thread(target=press) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    bodies = {result["body"] for result, _ in results}
    slowest = max(took for _, took in results)
    assert [r["statusCode"] for r, _ in results] == [200] * 8 and len(bodies) == 1
    assert stored(aws) == {"state": {"visits": 1, "choice": "1"}, "seq": 2}
    assert slowest < STATE_BUDGET + SLACK
    record("8 identical requests at once", "200 x8, same callflow", slowest, "applied once")


def test_a_write_whose_answer_was_lost_is_not_applied_twice(aws: Any) -> None:
    call = Call(pivot_handler())
    lost = AnswerLost(aws, "PutItem")
    result, took = call.press()
    assert lost.fired == 1 and result["statusCode"] == 200
    # The retried PutItem failed its version condition; the engine re-read, found its own
    # answer stored, and replayed it: seq moved by one, not two.
    assert stored(aws) == {"state": {"visits": 1, "choice": "1"}, "seq": 2}
    assert took < STATE_BUDGET + SLACK
    record("PutItem applied, answer lost", outcome(result), took, "applied once, replayed")


@pytest.mark.parametrize(
    ("fault", "label"),
    [
        (ReadTimeoutError(endpoint_url="https://dynamodb.invalid"), "read timeouts"),
        (EndpointConnectionError(endpoint_url="https://dynamodb.invalid"), "connection refused"),
    ],
)
def test_an_unreachable_table_is_a_503_inside_the_budget(
    aws: Any, fault: Exception, label: str
) -> None:
    call = Call(pivot_handler())
    before = stored(aws)
    down = FaultInjector(aws, "GetItem", fault, delay=0.3 if "timeout" in label else 0.0)  # type: ignore[arg-type]
    result, took = call.press()
    down.remaining = 0
    assert outcome(result) == "503 state_unavailable"
    assert took < STATE_BUDGET + SLACK and stored(aws) == before
    record(f"DynamoDB {label}", outcome(result), took, "previous state intact")


def test_a_hung_endpoint_is_a_503_inside_the_budget(
    aws_env: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A real socket that accepts and never answers: the SDK's own read timeouts fire."""
    with hung_endpoint() as endpoint:
        monkeypatch.setenv("AWS_ENDPOINT_URL_DYNAMODB", endpoint.url)
        clients.reset_clients()
        try:
            handler = pivot_handler()
            started = time.perf_counter()
            call = kazoo_call().with_digits("menu_1", "1")
            url = signed(f"{FIRST_URL}&step=menu&hop=1&seq=1&g=menu_1", call)
            result = invoke(handler, call, url)
            took = time.perf_counter() - started
        finally:
            clients.reset_clients()
    assert outcome(result) == "503 state_unavailable"
    assert endpoint.requests >= 1 and took < STATE_BUDGET + SLACK
    record("DynamoDB endpoint hung", outcome(result), took, "nothing written")
