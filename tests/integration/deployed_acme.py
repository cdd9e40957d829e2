"""Acme deployed on moto (its state table and seed secret on the shared clients) and the
requests of one call through the Lambda entry."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
from moto import mock_aws

from pivotkit.aws import clients
from pivotkit.customers import derive_credentials
from pivotkit.local.events import lambda_event
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
