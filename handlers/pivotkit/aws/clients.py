"""boto3 clients for the Lambda functions: built lazily, once per cold start, with short timeouts.

Every AWS call the kit makes sits on a Pivot request that Kazoo abandons after
``req_timeout_ms`` (at most 5 s, cold start included), so the SDK must fail fast rather than
wait out its 60 s defaults. All clients share one ``botocore`` configuration:

- connect and read timeouts of a few hundred milliseconds (in-region DynamoDB and Secrets
  Manager answer in single-digit to tens of milliseconds; anything slower is a fault);
- ``standard`` retry mode with a small attempt count.

DynamoDB is the exception to the last point: ``DynamoDBStateStore`` retries on its own inside
a time budget, so its client makes exactly one attempt per call. Left to the SDK, throttling
is retried with backoff of up to a second per attempt (standard mode) or ten times (legacy
mode), which no Pivot request can afford.

The region comes from ``AWS_REGION`` (set by Lambda) or ``AWS_DEFAULT_REGION``; endpoints
from the SDK's own ``AWS_ENDPOINT_URL_<SERVICE>`` variables (``pivotkit serve`` sets them).
boto3 and botocore are imported on first use, never at module import.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TypeVar, cast

from pivotkit.aws import settings

if TYPE_CHECKING:
    from botocore.config import Config
    from mypy_boto3_dynamodb.client import DynamoDBClient
    from mypy_boto3_secretsmanager.client import SecretsManagerClient

CONNECT_TIMEOUT_SECONDS = 0.2
READ_TIMEOUT_SECONDS = 0.3
# The longest a single SDK attempt can take before botocore gives up on it.
ATTEMPT_TIMEOUT_SECONDS = CONNECT_TIMEOUT_SECONDS + READ_TIMEOUT_SECONDS
# Standard-mode total attempts (first try included) for services that let the SDK retry.
SDK_MAX_ATTEMPTS = 2

Client = TypeVar("Client")

_lock = threading.Lock()
_clients: dict[str, Any] = {}


def sdk_timeouts() -> tuple[float, float]:
    """(connect, read) timeouts: the fail-fast defaults unless a local server widened them."""
    return settings.sdk_timeouts() or (CONNECT_TIMEOUT_SECONDS, READ_TIMEOUT_SECONDS)


def attempt_timeout_seconds() -> float:
    """The longest one SDK attempt can take with the timeouts in force."""
    return sum(sdk_timeouts())


def client_config(*, max_attempts: int = SDK_MAX_ATTEMPTS) -> Config:
    """The shared client configuration; ``max_attempts`` counts the first try."""
    from botocore.config import Config

    connect, read = sdk_timeouts()
    return Config(
        connect_timeout=connect,
        read_timeout=read,
        retries={"mode": "standard", "total_max_attempts": max_attempts},
        region_name=settings.region_from_env(),
    )


def dynamodb_client() -> DynamoDBClient:
    """The process's DynamoDB client: one attempt per call (the state store retries)."""
    client: DynamoDBClient = _cached(
        "dynamodb", lambda: new_client("dynamodb", client_config(max_attempts=1))
    )
    return client


def secretsmanager_client() -> SecretsManagerClient:
    """The process's Secrets Manager client, with the SDK's small standard-mode retry."""
    client: SecretsManagerClient = _cached(
        "secretsmanager", lambda: new_client("secretsmanager", client_config())
    )
    return client


def lambda_client() -> Any:
    """The process's Lambda client (the function invoking itself asynchronously,
    ``pivotkit.aws.self_invoke``), with the SDK's small standard-mode retry: an ``Event``
    invocation is queued by Lambda and answered in tens of milliseconds. Typed ``Any``: the
    kit has no Lambda stubs, and one call is made through it."""
    return _cached("lambda", lambda: new_client("lambda", client_config()))


def reset_clients() -> None:
    """Forget cached clients (tests that change the environment between cases)."""
    with _lock:
        _clients.clear()


def new_client(service: str, config: Config) -> Any:
    """A client straight from botocore: importing boto3 as well (for its resources and
    s3transfer, which the kit does not use) costs a cold start some 50-100 ms more.

    A session of its own per client: a shared default session is not safe to build clients
    from concurrently (the local server answers on several threads). Its data loader looks
    for this service's models alone (``pivotkit.aws.service_loader``)."""
    import botocore.session

    from pivotkit.aws.service_loader import ServiceLoader

    session = botocore.session.Session()
    loader = ServiceLoader(service, data_path=session.get_config_variable("data_path"))
    session.register_component("data_loader", loader)
    return session.create_client(service, config=config)


def _cached(service: str, build: Callable[[], Client]) -> Client:
    with _lock:
        cached = _clients.get(service)
        if cached is None:
            cached = build()
            _clients[service] = cached
        return cast("Client", cached)
