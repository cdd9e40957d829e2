"""The shared boto3 clients: built once, in the configured region, failing fast, and (for
DynamoDB) leaving retries to the state store. Attempts are counted at ``before-send``,
where each HTTP attempt the SDK makes passes."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from io import BytesIO
from typing import Any

import pytest
from botocore.awsrequest import AWSResponse
from botocore.exceptions import ReadTimeoutError
from moto import mock_aws

from pivotkit.aws import clients, settings
from tests.contract.hung_endpoint import hung_endpoint
from tests.contract.moto_support import REGION


class _Body(BytesIO):
    def stream(self, **_: Any) -> Iterator[bytes]:
        yield self.read()


def answer_every_attempt(client: Any, event: str, status: int, error: dict[str, str]) -> list[int]:
    """Answer each HTTP attempt of ``event`` with an error; returns the attempt log."""
    attempts: list[int] = []

    def respond(**_: Any) -> AWSResponse:
        attempts.append(1)
        body = _Body(json.dumps(error).encode())
        headers = {"Content-Type": "application/x-amz-json-1.1"}
        return AWSResponse("https://aws.invalid", status, headers, body)  # type: ignore[arg-type]

    client.meta.events.register_first(event, respond)
    return attempts


@pytest.fixture
def fresh_clients(aws_env: None) -> Iterator[None]:
    clients.reset_clients()
    with mock_aws():
        yield
    clients.reset_clients()


def test_clients_are_built_once_per_process_in_the_lambda_region(fresh_clients: None) -> None:
    dynamodb = clients.dynamodb_client()
    assert clients.dynamodb_client() is dynamodb
    assert dynamodb.meta.region_name == REGION
    assert clients.secretsmanager_client() is clients.secretsmanager_client()


def test_region_prefers_lambdas_variable() -> None:
    env = {"AWS_REGION": "ap-south-1", "AWS_DEFAULT_REGION": "us-east-1"}
    assert settings.region_from_env(env) == "ap-south-1"
    assert settings.region_from_env({"AWS_DEFAULT_REGION": "us-east-1"}) == "us-east-1"
    assert settings.region_from_env({}) is None


def test_an_endpoint_that_never_answers_costs_one_read_timeout(
    aws_env: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Measured on a real socket (no moto): the SDK gives up after its read timeout and
    does not try again."""
    clients.reset_clients()
    with hung_endpoint() as endpoint:
        monkeypatch.setenv("AWS_ENDPOINT_URL_DYNAMODB", endpoint.url)
        client = clients.dynamodb_client()
        started = time.perf_counter()
        with pytest.raises(ReadTimeoutError):
            client.get_item(TableName="t", Key={"pk": {"S": "k"}})
        took = time.perf_counter() - started
    clients.reset_clients()
    assert clients.READ_TIMEOUT_SECONDS <= took < clients.READ_TIMEOUT_SECONDS + 0.25
    assert endpoint.requests == 1


def test_dynamodb_client_makes_one_attempt_when_throttled(fresh_clients: None) -> None:
    client = clients.dynamodb_client()
    attempts = answer_every_attempt(
        client,
        "before-send.dynamodb.GetItem",
        400,
        {"__type": "com.amazonaws.dynamodb.v20120810#ThrottlingException", "message": "slow"},
    )
    with pytest.raises(client.exceptions.ClientError, match="ThrottlingException"):
        client.get_item(TableName="t", Key={"pk": {"S": "k"}})
    assert len(attempts) == 1


def test_secrets_client_retries_a_server_error_once(fresh_clients: None) -> None:
    client = clients.secretsmanager_client()
    attempts = answer_every_attempt(
        client,
        "before-send.secrets-manager.GetSecretValue",
        500,
        {"__type": "InternalServiceError", "message": "boom"},
    )
    with pytest.raises(client.exceptions.InternalServiceError):
        client.get_secret_value(SecretId="s")
    assert len(attempts) == clients.SDK_MAX_ATTEMPTS == 2


def test_local_servers_can_widen_the_sdk_timeouts_and_the_store_follows() -> None:
    from pivotkit.aws.dynamodb_state import RetryPolicy

    assert settings.sdk_timeouts({}) is None
    assert settings.sdk_timeouts({settings.LOCAL_SDK_TIMEOUTS: "2,5"}) == (2.0, 5.0)
    with pytest.MonkeyPatch.context() as patch:
        patch.delenv(settings.LOCAL_SDK_TIMEOUTS, raising=False)
        assert clients.sdk_timeouts() == (
            clients.CONNECT_TIMEOUT_SECONDS,
            clients.READ_TIMEOUT_SECONDS,
        )
        patch.setenv(settings.LOCAL_SDK_TIMEOUTS, "2,5")
        assert clients.sdk_timeouts() == (2.0, 5.0)
        assert clients.client_config().read_timeout == 5.0
        assert RetryPolicy().attempt_timeout_seconds == 7.0
    assert RetryPolicy().attempt_timeout_seconds == clients.ATTEMPT_TIMEOUT_SECONDS
