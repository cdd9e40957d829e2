"""DynamoDB failing in each way it can, one fault at a time, on a real moto-backed client.

For every fault: what the store raises, how many attempts it made (as the HTTP layer saw
them, so retries the SDK might add on its own would show), how long it took against its
budget, and that the stored record did not change.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from botocore.exceptions import (
    BotoCoreError,
    ConnectionClosedError,
    ConnectTimeoutError,
    EndpointConnectionError,
    NoCredentialsError,
    ReadTimeoutError,
)
from moto import mock_aws

from pivotkit.aws import clients
from pivotkit.aws.dynamodb_state import DynamoDBStateStore, RetryPolicy
from pivotkit.errors import StateTooLarge, StateUnavailable, WriteConflict
from pivotkit.state import CallKey, CallRecord
from tests.contract.hung_endpoint import hung_endpoint
from tests.contract.moto_support import (
    ACCESS_DENIED,
    REQUEST_LIMIT,
    SERVER_ERROR,
    TABLE_MISSING,
    THROTTLED,
    THROTTLING,
    FaultInjector,
    ServiceFault,
    create_state_table,
    elapsed,
    new_dynamodb_client,
)

NOW = 1_750_000_000.0
KEY = CallKey("acme", "3a1f0e2d4c5b6a7980f1e2d3c4b5a697", "fault-call@10.0.0.5")
ENDPOINT = "https://dynamodb.eu-west-1.amazonaws.com"
# Slack for moto and botocore doing the work of each attempt on a busy 2-core runner.
OVERHEAD = 0.15


@dataclass
class Rig:
    store: DynamoDBStateStore
    stored: CallRecord
    sleeps: list[float]


def make_rig(retry: RetryPolicy | None = None, jitter: float | None = None) -> Rig:
    client = new_dynamodb_client()
    sleeps: list[float] = []

    def sleep(seconds: float) -> None:
        sleeps.append(seconds)
        time.sleep(seconds)

    store = DynamoDBStateStore(
        client,
        create_state_table(client),
        retry=retry,
        sleep=sleep,
        **({"jitter": lambda: jitter} if jitter is not None else {}),
    )
    stored = CallRecord(
        key=KEY,
        state={"pin_tries": 1},
        seq=1,
        version=1,
        created_at=NOW,
        updated_at=NOW,
        expires_at=int(NOW) + 3600,
        answered_seq=0,
        answered_step="start@0",
        answer="{}",
    )
    store.save(stored, expected_version=None)
    return Rig(store, stored, sleeps)


def update_of(record: CallRecord) -> CallRecord:
    return record.with_updates(
        state={"pin_tries": 2}, seq=2, version=2, updated_at=NOW + 4, answered_seq=1
    )


@pytest.fixture
def moto(aws_env: None) -> Iterator[None]:
    with mock_aws():
        yield


def assert_unchanged(rig: Rig) -> None:
    assert rig.store.load(KEY, now=NOW) == rig.stored


FAST_TRANSIENT_FAULTS: dict[str, ServiceFault | BotoCoreError] = {
    "ProvisionedThroughputExceeded": THROTTLED,
    "ThrottlingException": THROTTLING,
    "RequestLimitExceeded": REQUEST_LIMIT,
    "InternalServerError 500": SERVER_ERROR,
    "ServiceUnavailable 503": ServiceFault(503, "ServiceUnavailable"),
    "unmodelled 502": ServiceFault(502, "BadGateway"),
    "connection refused": EndpointConnectionError(endpoint_url=ENDPOINT),
    "connection reset": ConnectionClosedError(endpoint_url=ENDPOINT),
}


@pytest.mark.parametrize("operation", ["PutItem", "GetItem"])
@pytest.mark.parametrize("fault", FAST_TRANSIENT_FAULTS.values(), ids=FAST_TRANSIENT_FAULTS)
def test_fast_transient_fault_is_retried_to_the_attempt_limit(
    moto: None, operation: str, fault: ServiceFault | BotoCoreError
) -> None:
    rig = make_rig()
    injector = FaultInjector(rig.store.client, operation, fault)
    policy = rig.store.retry
    with pytest.raises(StateUnavailable, match="after 4 attempts") as raised, elapsed() as took:
        if operation == "PutItem":
            rig.store.save(update_of(rig.stored), expected_version=1)
        else:
            rig.store.load(KEY, now=NOW)
    assert raised.value.status == 503
    assert injector.attempts == policy.max_attempts == 4
    assert len(rig.sleeps) == 3
    # Full jitter: each pause is somewhere below its exponentially growing cap.
    assert all(0 <= s <= policy.backoff_cap(n) for n, s in enumerate(rig.sleeps, start=1))
    assert took[0] < sum(policy.backoff_cap(n) for n in (1, 2, 3)) + OVERHEAD
    assert took[0] < policy.budget_seconds
    injector.remaining = 0
    assert_unchanged(rig)


def test_throttling_that_clears_lets_the_write_through(moto: None) -> None:
    rig = make_rig()
    injector = FaultInjector(rig.store.client, "PutItem", THROTTLED, times=2)
    rig.store.save(update_of(rig.stored), expected_version=1)
    assert (injector.attempts, injector.injected) == (3, 2)
    assert rig.store.load(KEY, now=NOW) == update_of(rig.stored)


TIMEOUT_FAULTS: dict[str, BotoCoreError] = {
    "read timeout": ReadTimeoutError(endpoint_url=ENDPOINT),
    "connect timeout": ConnectTimeoutError(endpoint_url=ENDPOINT),
}


@pytest.mark.parametrize("operation", ["PutItem", "GetItem"])
@pytest.mark.parametrize("fault", TIMEOUT_FAULTS.values(), ids=TIMEOUT_FAULTS)
def test_timeouts_stop_at_the_time_budget(moto: None, operation: str, fault: BotoCoreError) -> None:
    # Each attempt runs into a 0.2 s timeout. With the largest backoff (jitter 1.0) the
    # second attempt ends at 0.41 s; a third could not end before the 0.5 s budget.
    policy = RetryPolicy(
        max_attempts=10, budget_seconds=0.5, attempt_timeout_seconds=0.2, base_delay_seconds=0.01
    )
    rig = make_rig(policy, jitter=1.0)
    injector = FaultInjector(rig.store.client, operation, fault, delay=0.2)
    with pytest.raises(StateUnavailable, match="after 2 attempts") as raised, elapsed() as took:
        if operation == "PutItem":
            rig.store.save(update_of(rig.stored), expected_version=1)
        else:
            rig.store.load(KEY, now=NOW)
    assert type(fault).__name__ in raised.value.message
    assert injector.attempts == 2  # the SDK added no attempt of its own
    assert rig.sleeps == [0.01]
    assert 0.41 <= took[0] < policy.budget_seconds
    injector.remaining = 0
    assert_unchanged(rig)


def test_default_policy_keeps_a_timing_out_write_inside_its_budget(moto: None) -> None:
    """With the deployed defaults every attempt times out after the client's 0.5 s."""
    rig = make_rig()
    policy = rig.store.retry
    injector = FaultInjector(
        rig.store.client,
        "PutItem",
        ReadTimeoutError(endpoint_url=ENDPOINT),
        delay=policy.attempt_timeout_seconds,
    )
    with pytest.raises(StateUnavailable), elapsed() as took:
        rig.store.save(update_of(rig.stored), expected_version=1)
    assert injector.attempts == 2
    assert took[0] < policy.budget_seconds <= 1.2
    injector.remaining = 0
    assert_unchanged(rig)


def test_hung_endpoint_fails_inside_the_budget_on_real_sockets(
    aws_env: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    """No moto: a real socket that never answers, the deployed client and default policy."""
    clients.reset_clients()
    with hung_endpoint() as endpoint:
        monkeypatch.setenv("AWS_ENDPOINT_URL_DYNAMODB", endpoint.url)
        store = DynamoDBStateStore.from_table_name("pivotkit-state")
        assert store.client is not None  # built once per cold start, outside any budget
        with pytest.raises(StateUnavailable, match="ReadTimeoutError"), elapsed() as took:
            store.load(KEY, now=NOW)
    clients.reset_clients()
    # Each attempt waits out the 0.3 s read timeout; whether a third fits depends on the
    # jitter drawn, never on running past the budget.
    assert endpoint.requests in (2, 3)
    assert took[0] < store.retry.budget_seconds


PERMANENT_FAULTS: dict[str, ServiceFault | BotoCoreError] = {
    "access denied": ACCESS_DENIED,
    "table missing": TABLE_MISSING,
    "validation": ServiceFault(
        400, "ValidationException", "One or more parameter values were invalid: Item size 0"
    ),
    "no credentials": NoCredentialsError(),
}


@pytest.mark.parametrize("operation", ["PutItem", "GetItem"])
@pytest.mark.parametrize("fault", PERMANENT_FAULTS.values(), ids=PERMANENT_FAULTS)
def test_permanent_fault_fails_at_once(
    moto: None, operation: str, fault: ServiceFault | BotoCoreError
) -> None:
    rig = make_rig()
    injector = FaultInjector(rig.store.client, operation, fault)
    with pytest.raises(StateUnavailable) as raised, elapsed() as took:
        if operation == "PutItem":
            rig.store.save(update_of(rig.stored), expected_version=1)
        else:
            rig.store.load(KEY, now=NOW)
    assert injector.attempts == 1
    assert rig.sleeps == []
    assert took[0] < OVERHEAD
    # The answer Kazoo gets names the failure, never AWS's message (ARNs, account ids).
    assert "not authorized" not in raised.value.message
    assert "Item size" not in raised.value.message
    injector.remaining = 0
    assert_unchanged(rig)


def test_dynamodb_refusing_the_item_size_is_state_too_large(
    moto: None, caplog: pytest.LogCaptureFixture
) -> None:
    # Should the size check before the write ever count less than DynamoDB does.
    rig = make_rig()
    refusal = ServiceFault(
        400, "ValidationException", "Item size has exceeded the maximum allowed size"
    )
    injector = FaultInjector(rig.store.client, "PutItem", refusal)
    with (
        caplog.at_level(logging.ERROR, logger="pivotkit.state"),
        pytest.raises(StateTooLarge) as raised,
    ):
        rig.store.save(
            update_of(rig.stored).with_updates(answered_step="pin@1"), expected_version=1
        )
    assert injector.attempts == 1 and rig.sleeps == []
    assert raised.value.code == "state_too_large"
    assert "Item size" not in raised.value.message
    (line,) = [r.getMessage() for r in caplog.records]
    assert "customer acme at step pin (hop 1) not stored" in line
    injector.remaining = 0
    assert_unchanged(rig)


def test_missing_table_on_real_moto_fails_at_once(moto: None) -> None:
    store = DynamoDBStateStore(new_dynamodb_client(), "no-such-table")
    with pytest.raises(StateUnavailable, match="ResourceNotFoundException"):
        store.load(KEY, now=NOW)


def test_failed_condition_is_a_conflict_not_a_retry(moto: None) -> None:
    rig = make_rig()
    injector = FaultInjector(rig.store.client, "PutItem", THROTTLED, times=0)
    with pytest.raises(WriteConflict):
        rig.store.save(update_of(rig.stored), expected_version=7)
    assert injector.attempts == 1
    assert rig.sleeps == []
    assert_unchanged(rig)


def test_lost_answer_to_an_applied_write_surfaces_as_a_conflict(moto: None) -> None:
    """DynamoDB applied the write, but its answer never arrived (read timeout): the
    retry fails the version condition, so the write is not applied twice. The engine
    then re-reads and replays its own stored answer."""
    rig = make_rig(jitter=0.0)
    update = update_of(rig.stored)
    applied = {"done": False}

    def apply_then_time_out(**_: object) -> None:
        if not applied["done"]:
            applied["done"] = True
            rig.store.client.meta.events.unregister(
                "before-send.dynamodb.PutItem", apply_then_time_out
            )
            # What DynamoDB did before its answer got lost.
            rig.store.save(update, expected_version=1)
            raise ReadTimeoutError(endpoint_url=ENDPOINT)

    rig.store.client.meta.events.register_first("before-send.dynamodb.PutItem", apply_then_time_out)
    with pytest.raises(WriteConflict):
        rig.store.save(update, expected_version=1)
    assert len(rig.sleeps) == 1
    assert rig.store.load(KEY, now=NOW) == update
