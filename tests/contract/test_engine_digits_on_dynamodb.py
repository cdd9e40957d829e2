"""A tracked flow on the DynamoDB store (moto): no PIN in the stored item, as DynamoDB holds it
(and as point-in-time recovery would restore it)."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest
from moto import mock_aws

from pivotkit.app import PivotApp
from pivotkit.aws.dynamodb_state import DynamoDBStateStore
from pivotkit.customers import StaticTokens
from pivotkit.local.kazoo_encoding import KazooCall
from pivotkit.placeholders import split_stored_answer
from tests.contract.moto_support import create_state_table, new_dynamodb_client
from tests.unit.engine.bank_flow import FIRST_URL, NOW, PIN, TOKEN, customer
from tests.unit.engine.driver import ACCOUNT_ID, Caller


@pytest.fixture
def store(aws_env: None) -> Iterator[DynamoDBStateStore]:
    with mock_aws():
        client = new_dynamodb_client()
        yield DynamoDBStateStore(client, create_state_table(client))


def test_the_stored_item_holds_no_pin(store: DynamoDBStateStore) -> None:
    app = PivotApp({"bank": customer}, store, StaticTokens({"bank": [TOKEN]}), clock=lambda: NOW)
    caller = Caller(app, KazooCall(account_id=ACCOUNT_ID, call_id="call-1@10.0.0.5"))
    caller.first(FIRST_URL)
    caller.press("1")
    assert caller.press(PIN).status == 200

    (item,) = store.client.scan(TableName=store.table_name)["Items"]
    # The stored answer starts with a random token marker (hex): leave that line out.
    item["answer"]["S"] = split_stored_answer(item["answer"]["S"])[1]
    assert PIN not in json.dumps(item)
    trail = json.loads(item["trail"]["S"])
    assert trail[-1] == {
        "step": "pin",
        "hop": 2,
        "at": NOW,
        "choice": "several",
        "digits_length": 4,
    }
