"""The deployed composition on moto: ``make_pivot_handler`` with ``PIVOTKIT_STATE_TABLE``
and ``PIVOTKIT_TOKENS_SECRETS`` set builds the DynamoDB store and the Secrets Manager token
source on the shared clients, and requests through the Lambda entry use them."""

from __future__ import annotations

import json

from pivotkit.aws import clients
from pivotkit.aws.lambda_entry import make_pivot_handler
from pivotkit.local.events import endpoint_url
from pivotkit.local.kazoo_encoding import KazooCall
from tests.contract.moto_support import CallCounter
from tests.integration.deployed_acme import (
    ACCOUNT_ID,
    SECRET,
    SEED,
    TOKEN,
    aws,
    continuation,
    environ,
    invoke,
)

__all__ = ["aws"]  # the fixture, re-used


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
