"""The deployed composition on moto: ``make_pivot_handler`` with ``PIVOTKIT_STATE_TABLE``
and ``PIVOTKIT_TOKENS_SECRETS`` set builds the DynamoDB store and the Secrets Manager token
source on the shared clients, and requests through the Lambda entry use them."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
from moto import mock_aws

from pivotkit.aws import clients
from pivotkit.aws.lambda_entry import make_pivot_handler
from pivotkit.customers import derive_credentials
from pivotkit.local.events import endpoint_url, lambda_event
from pivotkit.local.kazoo_encoding import KazooCall, pivot_http_request
from tests.contract.moto_support import CallCounter, create_state_table

ACCOUNT_ID = "3a1f0e2d4c5b6a7980f1e2d3c4b5a697"
SEED = "acme-lambda-seed"
TOKEN = derive_credentials(SEED).token
SECRET = "pivotkit/acme/tokens"


@pytest.fixture
def aws(aws_env: None) -> Iterator[dict[str, CallCounter]]:
    clients.reset_clients()
    with mock_aws():
        dynamodb, secrets = clients.dynamodb_client(), clients.secretsmanager_client()
        create_state_table(dynamodb, "acme-state")
        yield {
            "dynamodb": CallCounter(dynamodb),
            "secrets": CallCounter(secrets, "secrets-manager"),
        }
    clients.reset_clients()


def environ() -> dict[str, str]:
    return {
        "PIVOTKIT_CUSTOMER": "acme",
        "PIVOTKIT_STATE_TABLE": "acme-state",
        "PIVOTKIT_TOKENS_SECRETS": json.dumps({"acme": SECRET}),
    }


def invoke(handler: Any, call: KazooCall, url: str) -> dict[str, Any]:
    result: dict[str, Any] = handler(lambda_event(pivot_http_request(call, url), "v2"), None)
    return result


def continuation(result: dict[str, Any]) -> tuple[str, str]:
    """(collection name, voice_url) of the answer's collect_dtmf and nested pivot."""
    node = json.loads(result["body"])
    collection = ""
    while node["module"] != "pivot":
        if node["module"] == "collect_dtmf":
            collection = node["data"]["collection_name"]
        node = node["children"]["_"]
    return collection, node["data"]["voice_url"]


def test_requests_use_dynamodb_and_the_secret_read_once(aws: dict[str, CallCounter]) -> None:
    clients.secretsmanager_client().create_secret(
        Name=SECRET, SecretString=json.dumps({"seed": SEED, "previous_seed": "acme-before"})
    )
    handler = make_pivot_handler(environ())
    assert aws["secrets"]["GetSecretValue"] == 0  # nothing read at build time

    call = KazooCall(account_id=ACCOUNT_ID, call_id="lambda-call@10.0.0.5")
    first = invoke(handler, call, f"{endpoint_url('v2', 'acme')}?token={TOKEN}")
    assert first["statusCode"] == 200
    assert aws["dynamodb"].snapshot() == {}

    collection, url = continuation(first)
    wrong_pin = invoke(handler, call.with_digits(collection, "0000"), url)
    assert wrong_pin["statusCode"] == 200
    assert aws["dynamodb"].snapshot() == {"PutItem": 1}
    assert aws["secrets"]["GetSecretValue"] == 1
    item = clients.dynamodb_client().get_item(
        TableName="acme-state", Key={"pk": {"S": f"acme#{ACCOUNT_ID}#lambda-call@10.0.0.5"}}
    )["Item"]
    assert json.loads(item["state"]["S"]) == {"pin_tries": 1}


def test_unreadable_secret_answers_503_and_stores_nothing(aws: dict[str, CallCounter]) -> None:
    handler = make_pivot_handler(environ())
    call = KazooCall(account_id=ACCOUNT_ID, call_id="lambda-call@10.0.0.5")
    result = invoke(handler, call, f"{endpoint_url('v2', 'acme')}?token={TOKEN}")
    assert result["statusCode"] == 503
    assert json.loads(result["body"])["error"] == "tokens_unavailable"
    assert aws["dynamodb"].snapshot() == {}
