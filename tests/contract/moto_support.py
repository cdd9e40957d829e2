"""moto helpers shared by the contract and AWS unit tests: the state table, call counting,
and DynamoDB faults injected through botocore's own event hooks.

Faults are injected on a real (moto-backed) client, so botocore raises its real exception
types while moto keeps the table and a test can check that nothing changed.
"""

from __future__ import annotations

import functools
import json
import os
import threading
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import boto3.session
import pytest
from botocore.awsrequest import AWSResponse
from botocore.exceptions import BotoCoreError
from botocore.parsers import create_parser

from pivotkit.aws.clients import client_config

if TYPE_CHECKING:
    from mypy_boto3_dynamodb.client import DynamoDBClient
    from mypy_boto3_secretsmanager.client import SecretsManagerClient

REGION = "eu-west-1"
TABLE_NAME = "pivotkit-state-test"


def set_fake_aws_env(monkeypatch: pytest.MonkeyPatch, region: str = REGION) -> None:
    """Fake credentials and a region, and no profile or endpoint override (not even one a
    local `pivotkit serve` left in the shell), so nothing can reach a real account."""
    for name, value in {
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_SESSION_TOKEN": "testing",
        "AWS_REGION": region,
        "AWS_DEFAULT_REGION": region,
    }.items():
        monkeypatch.setenv(name, value)
    for name in [n for n in os.environ if n.startswith("AWS_ENDPOINT_URL")] + ["AWS_PROFILE"]:
        monkeypatch.delenv(name, raising=False)


@pytest.fixture
def aws_env(monkeypatch: pytest.MonkeyPatch) -> None:
    set_fake_aws_env(monkeypatch)


@functools.cache
def _session() -> boto3.session.Session:
    # One session for every test client: it loads the service models once, which makes a
    # client ten times cheaper to build. Clients built from it share no state.
    return boto3.session.Session()


def new_dynamodb_client() -> DynamoDBClient:
    """A client configured like the deployed one (one attempt per call, short timeouts)."""
    client: DynamoDBClient = _session().client(
        "dynamodb", region_name=REGION, config=client_config(max_attempts=1)
    )
    return client


def new_secretsmanager_client() -> SecretsManagerClient:
    client: SecretsManagerClient = _session().client(
        "secretsmanager", region_name=REGION, config=client_config()
    )
    return client


def create_state_table(client: DynamoDBClient, name: str = TABLE_NAME) -> str:
    """The table as the CDK stack defines it: string key ``pk``, on-demand, TTL on expires_at."""
    client.create_table(
        TableName=name,
        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
        BillingMode="PAY_PER_REQUEST",
    )
    client.update_time_to_live(
        TableName=name,
        TimeToLiveSpecification={"Enabled": True, "AttributeName": "expires_at"},
    )
    return name


class CallCounter:
    """Counts the API calls a client makes, as botocore sees them (``before-call``)."""

    def __init__(self, client: Any, service: str = "dynamodb") -> None:
        self.calls: Counter[str] = Counter()
        self._lock = threading.Lock()
        client.meta.events.register(f"before-call.{service}.*", self._count)

    def _count(self, model: Any, **_: Any) -> None:
        with self._lock:
            self.calls[model.name] += 1

    def __getitem__(self, operation: str) -> int:
        with self._lock:
            return self.calls[operation]

    def snapshot(self) -> dict[str, int]:
        with self._lock:
            return {name: count for name, count in self.calls.items() if count}

    def reset(self) -> None:
        with self._lock:
            self.calls.clear()


class SerialisedRequests:
    """Makes moto apply one request at a time, as DynamoDB applies each write atomically.

    moto checks a ``ConditionExpression`` and then writes, with no lock between: two threads
    can both pass ``version = :expected`` and both write (seen in 4 of 40 runs of the
    eight-thread contract test). Holding a lock from ``before-call`` to ``after-call`` of
    every request on ``client`` restores the per-item atomicity the store relies on.
    """

    def __init__(self, client: Any, service: str = "dynamodb") -> None:
        self._lock = threading.Lock()
        self._holding = threading.local()
        events = client.meta.events
        events.register(f"before-call.{service}.*", self._enter)
        events.register(f"after-call.{service}.*", self._leave)
        events.register(f"after-call-error.{service}.*", self._leave)

    def _enter(self, **_: Any) -> None:
        self._lock.acquire()
        self._holding.value = True

    def _leave(self, **_: Any) -> None:
        # A handler ahead of ours (a fault injector) may have answered without us.
        if getattr(self._holding, "value", False):
            self._holding.value = False
            self._lock.release()


@dataclass(frozen=True)
class ServiceFault:
    """An error answer from DynamoDB: HTTP status and the error code in its JSON body."""

    status: int
    code: str
    message: str = "injected fault"

    def parsed(self, model: Any) -> tuple[AWSResponse, dict[str, Any]]:
        """What botocore makes of such an answer, by botocore's own parser."""
        body = json.dumps(
            {"__type": f"com.amazonaws.dynamodb.v20120810#{self.code}", "message": self.message}
        ).encode()
        headers = {"Content-Type": "application/x-amz-json-1.0", "x-amzn-RequestId": "fault"}
        parser = create_parser(model.service_model.resolved_protocol)
        parsed = parser.parse(
            {"status_code": self.status, "headers": headers, "body": body}, model.output_shape
        )
        return AWSResponse("https://dynamodb.invalid", self.status, headers, None), parsed  # type: ignore[arg-type]


THROTTLED = ServiceFault(400, "ProvisionedThroughputExceededException")
THROTTLING = ServiceFault(400, "ThrottlingException")
REQUEST_LIMIT = ServiceFault(400, "RequestLimitExceeded")
SERVER_ERROR = ServiceFault(500, "InternalServerError")
ACCESS_DENIED = ServiceFault(400, "AccessDeniedException", "not authorized to perform")
TABLE_MISSING = ServiceFault(400, "ResourceNotFoundException", "Requested resource not found")


class FaultInjector:
    """Makes the next ``times`` calls of ``operation`` on ``client`` fail, after ``delay`` s.

    A ``ServiceFault`` is answered at ``before-call``, so moto never sees the request (an
    error answer means DynamoDB did not apply it). An exception (timeouts, refused
    connections) is raised at ``before-send``, where the HTTP layer raises it, so it passes
    through botocore's retry handler: the test sees any attempt the SDK adds on its own.
    ``attempts`` counts every call of ``operation`` that reached the hook, failed or not.
    """

    def __init__(
        self,
        client: Any,
        operation: str,
        fault: ServiceFault | BotoCoreError,
        *,
        times: int = 1_000_000,
        delay: float = 0.0,
    ) -> None:
        self.fault = fault
        self.remaining = times
        self.delay = delay
        self.attempts = 0
        self.injected = 0
        self._lock = threading.Lock()
        hook = "before-call" if isinstance(fault, ServiceFault) else "before-send"
        # First in line: ahead of call counters and of moto's own before-send handler.
        client.meta.events.register_first(f"{hook}.dynamodb.{operation}", self._intercept)

    def _intercept(self, model: Any = None, **_: Any) -> tuple[AWSResponse, dict[str, Any]] | None:
        with self._lock:
            self.attempts += 1
            if self.remaining <= 0:
                return None
            self.remaining -= 1
            self.injected += 1
        if self.delay:
            time.sleep(self.delay)
        if isinstance(self.fault, ServiceFault):
            return self.fault.parsed(model)
        raise self.fault


@contextmanager
def elapsed() -> Iterator[list[float]]:
    """``with elapsed() as took: ...`` then ``took[0]`` is the wall time in seconds."""
    took: list[float] = []
    started = time.perf_counter()
    try:
        yield took
    finally:
        took.append(time.perf_counter() - started)
