"""The Pivot function's logs and metrics with its state in DynamoDB (moto): what the store's
SDK calls add to the request's line and metrics."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from moto import mock_aws

from pivotkit.aws import clients
from tests.contract.moto_support import THROTTLED, FaultInjector, create_state_table
from tests.unit.security.support import (
    FIRST_URL,
    Build,
    build,
    invoke,
    kazoo_call,
    read,
    restored_logging,
)

__all__ = ["build", "restored_logging"]  # the fixtures, re-used
Capture = pytest.CaptureFixture[str]


@pytest.fixture
def moto_table(aws_env: None) -> Iterator[str]:
    clients.reset_clients()
    with mock_aws():
        create_state_table(clients.dynamodb_client(), "probe-state")
        yield "probe-state"
    clients.reset_clients()


def test_store_retries_are_counted_from_the_sdk_calls(
    build: Build, moto_table: str, capsys: Capture
) -> None:
    handler = build(PIVOTKIT_STATE_TABLE=moto_table)
    throttle = FaultInjector(clients.dynamodb_client(), "PutItem", THROTTLED, times=2)
    capsys.readouterr()
    assert invoke(handler, kazoo_call(), FIRST_URL)["statusCode"] == 200
    emitted = read(capsys)
    assert throttle.injected == 2
    assert emitted.metric("StateRetries", step="start") == [2.0]
    (line,) = emitted.requests()
    assert (line["state_writes"], line["state_retries"]) == (1, 2)
