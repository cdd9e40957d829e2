"""What only the DynamoDB store has: the item layout on the table, the operator scan, and
how it copes with items it did not write. The shared behaviour is in tests/contract."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest
from moto import mock_aws

from pivotkit.aws import clients
from pivotkit.aws.dynamodb_state import DynamoDBStateStore, RetryPolicy
from pivotkit.errors import StateUnavailable
from pivotkit.state import CallKey, CallRecord
from tests.contract.moto_support import (
    TABLE_NAME,
    CallCounter,
    create_state_table,
    new_dynamodb_client,
)

NOW = 1_750_000_000.5


def record_for(key: CallKey, *, expires_at: int | None = None, **changes: object) -> CallRecord:
    record = CallRecord(
        key=key,
        state={"tries": 1, "name": "Zoë"},
        seq=3,
        version=2,
        created_at=NOW - 20,
        updated_at=NOW,
        expires_at=expires_at if expires_at is not None else int(NOW) + 3600,
        answered_seq=2,
        answered_step="menu@3",
        answer='{"module":"hangup","data":{}}',
        trail=({"step": "start", "hop": 0, "at": NOW - 20},),
    )
    return record.with_updates(**changes)


@pytest.fixture
def store(aws_env: None) -> Iterator[DynamoDBStateStore]:
    with mock_aws():
        client = new_dynamodb_client()
        yield DynamoDBStateStore(client, create_state_table(client))


def test_item_layout_is_the_documented_one(store: DynamoDBStateStore) -> None:
    key = CallKey("acme", "3a1f0e2d4c5b6a7980f1e2d3c4b5a697", "c1@10.0.0.5")
    store.save(record_for(key), expected_version=None)
    item = store.client.get_item(
        TableName=TABLE_NAME, Key={"pk": {"S": "acme#3a1f0e2d4c5b6a7980f1e2d3c4b5a697#c1@10.0.0.5"}}
    )["Item"]
    assert {name: next(iter(value)) for name, value in item.items()} == {
        "pk": "S",
        "state": "S",
        "seq": "N",
        "version": "N",
        "created_at": "N",
        "updated_at": "N",
        "expires_at": "N",
        "answered_seq": "N",
        "answered_step": "S",
        "answer": "S",
        "trail": "S",
    }
    # TTL needs whole epoch seconds; the state is JSON any reader can parse.
    assert item["expires_at"]["N"] == str(int(NOW) + 3600)
    assert json.loads(item["state"]["S"]) == {"tries": 1, "name": "Zoë"}
    assert item["updated_at"]["N"] == "1750000000.5"


def test_scan_lists_one_customers_records_across_pages(store: DynamoDBStateStore) -> None:
    account = "3a1f0e2d4c5b6a7980f1e2d3c4b5a697"
    for n in range(7):
        store.save(record_for(CallKey("acme", account, f"call-{n}")), expected_version=None)
    # A customer whose slug extends "acme" must not leak into acme's scan.
    for n in range(3):
        store.save(record_for(CallKey("acme_two", account, f"call-{n}")), expected_version=None)
    counter = CallCounter(store.client)
    found = list(store.scan_customer("acme", page_size=3))
    assert sorted(r.key.call_id for r in found) == [f"call-{n}" for n in range(7)]
    assert all(r.key == CallKey("acme", account, r.key.call_id) for r in found)
    assert counter["Scan"] >= 4  # ten items, three per page


def test_scan_can_skip_expired_records(store: DynamoDBStateStore) -> None:
    account = "3a1f0e2d4c5b6a7980f1e2d3c4b5a697"
    store.save(record_for(CallKey("acme", account, "live")), expected_version=None)
    store.save(
        record_for(CallKey("acme", account, "over"), expires_at=int(NOW) - 1),
        expected_version=None,
    )
    assert {r.key.call_id for r in store.scan_customer("acme")} == {"live", "over"}
    assert {r.key.call_id for r in store.scan_customer("acme", live_at=NOW)} == {"live"}


def test_call_ids_keep_any_separator_they_contain(store: DynamoDBStateStore) -> None:
    key = CallKey("acme", "3a1f0e2d4c5b6a7980f1e2d3c4b5a697", "odd#call#id")
    store.save(record_for(key), expected_version=None)
    assert store.load(key, now=NOW) == record_for(key)
    assert [r.key for r in store.scan_customer("acme")] == [key]


def test_malformed_item_is_a_store_failure(store: DynamoDBStateStore) -> None:
    key = CallKey("acme", "3a1f0e2d4c5b6a7980f1e2d3c4b5a697", "broken")
    store.client.put_item(
        TableName=TABLE_NAME,
        Item={"pk": {"S": key.partition_key}, "state": {"S": "{not json"}},
    )
    with pytest.raises(StateUnavailable, match="malformed"):
        store.load(key, now=NOW)


def test_from_table_name_uses_the_shared_client(aws_env: None) -> None:
    clients.reset_clients()
    try:
        with mock_aws():
            create_state_table(new_dynamodb_client(), "from-env")
            store = DynamoDBStateStore.from_table_name("from-env")
            assert store.client is clients.dynamodb_client()
            key = CallKey("acme", "3a1f0e2d4c5b6a7980f1e2d3c4b5a697", "c1")
            store.save(record_for(key), expected_version=None)
            assert store.load(key, now=NOW) == record_for(key)
    finally:
        clients.reset_clients()


def test_table_name_is_required() -> None:
    with pytest.raises(ValueError, match="table name"):
        DynamoDBStateStore(object(), "")  # type: ignore[arg-type]


def test_retry_policy_backoff_grows_to_its_cap() -> None:
    policy = RetryPolicy(base_delay_seconds=0.025, max_delay_seconds=0.2)
    assert [policy.backoff_cap(n) for n in range(1, 6)] == [0.025, 0.05, 0.1, 0.2, 0.2]


@pytest.mark.parametrize(
    "options", [{"max_attempts": 0}, {"budget_seconds": 0}, {"base_delay_seconds": -1}]
)
def test_retry_policy_refuses_nonsense(options: dict[str, float]) -> None:
    with pytest.raises(ValueError):
        RetryPolicy(**options)  # type: ignore[arg-type]
