from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass

import pytest
from moto import mock_aws

from pivotkit.aws.dynamodb_state import DynamoDBStateStore
from pivotkit.state import InMemoryStateStore, StateStore
from tests.contract.moto_support import (
    CallCounter,
    SerialisedRequests,
    aws_env,
    create_state_table,
    new_dynamodb_client,
)

__all__ = ["aws_env"]


@dataclass
class StoreUnderTest:
    """A store plus how many reads and writes it has sent to its backend."""

    name: str
    store: StateStore
    reads: Callable[[], int]
    writes: Callable[[], int]


@pytest.fixture
def moto_dynamodb(aws_env: None) -> Iterator[DynamoDBStateStore]:
    with mock_aws():
        client = new_dynamodb_client()
        table = create_state_table(client)
        SerialisedRequests(client)
        yield DynamoDBStateStore(client, table)


def _memory() -> Iterator[StoreUnderTest]:
    store = InMemoryStateStore()
    yield StoreUnderTest("memory", store, lambda: store.reads, lambda: store.writes)


def _dynamodb(store: DynamoDBStateStore) -> Iterator[StoreUnderTest]:
    counter = CallCounter(store.client)
    yield StoreUnderTest("dynamodb", store, lambda: counter["GetItem"], lambda: counter["PutItem"])


@pytest.fixture(params=["memory", "dynamodb"])
def subject(request: pytest.FixtureRequest) -> Iterator[StoreUnderTest]:
    if request.param == "memory":
        yield from _memory()
    else:
        yield from _dynamodb(request.getfixturevalue("moto_dynamodb"))
