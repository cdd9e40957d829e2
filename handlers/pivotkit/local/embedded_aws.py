"""An AWS on this machine: moto, with the kit's state table and media bucket created.

``pivotkit serve`` runs moto's threaded server (its CloudWatch Logs holds the call journal,
``pivotkit.local.journal_logs``) on 127.0.0.1 and points boto3 at it through
the SDK's standard ``AWS_ENDPOINT_URL_<SERVICE>`` settings, so the handlers reach it through
exactly the boto3 code they run in Lambda: nothing in ``pivotkit.aws`` knows it is local.
``pivotkit replay`` uses moto's in-process ``mock_aws`` instead (no socket needed).

Credentials are dummies and the region is fixed, so a developer's own AWS profile is never
touched by local runs.
"""

from __future__ import annotations

import contextlib
import logging
import os
from collections.abc import Iterator, Mapping, MutableMapping
from dataclasses import dataclass
from typing import Any

from pivotkit.aws.settings import LOCAL_SDK_TIMEOUTS
from pivotkit.local.lambda_context import LOCAL_REGION

# connect,read seconds for the SDK against the embedded moto server.
EMBEDDED_SDK_TIMEOUTS = "2,5"

# Services the handlers use, as botocore names them in AWS_ENDPOINT_URL_<SERVICE>.
ENDPOINT_SERVICES = ("DYNAMODB", "S3", "SECRETSMANAGER", "CLOUDWATCH_LOGS")

OFFLINE_CREDENTIALS: Mapping[str, str] = {
    "AWS_ACCESS_KEY_ID": "local",
    "AWS_SECRET_ACCESS_KEY": "local",
    "AWS_DEFAULT_REGION": LOCAL_REGION,
    "AWS_REGION": LOCAL_REGION,
}
# Variables that would point boto3 at something real (or at another endpoint) if left set.
_MASKED = ("AWS_PROFILE", "AWS_SESSION_TOKEN", "AWS_SECURITY_TOKEN", "AWS_ENDPOINT_URL")


@dataclass(frozen=True)
class LocalResources:
    """Names of the resources the embedded AWS holds (the deployed stack names its own)."""

    state_table: str = "pivotkit-local-state"
    media_bucket: str = "pivotkit-local-media"

    def settings(self) -> dict[str, str]:
        """The handler settings (``pivotkit.aws.settings``) that select these resources."""
        return {
            "PIVOTKIT_STATE_TABLE": self.state_table,
            "PIVOTKIT_MEDIA_BUCKET": self.media_bucket,
        }


def provision(resources: LocalResources, *, endpoints: Mapping[str, str] | None = None) -> None:
    """Create the state table (``pk`` string key, TTL on ``expires_at``) and media bucket.

    Idempotent, so a restarted server or a second replay in one process is fine.
    """
    import boto3

    endpoints = endpoints or {}
    dynamodb = boto3.client(
        "dynamodb", region_name=LOCAL_REGION, endpoint_url=endpoints.get("DYNAMODB")
    )
    existing = dynamodb.list_tables()["TableNames"]
    if resources.state_table not in existing:
        dynamodb.create_table(
            TableName=resources.state_table,
            KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
            AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
            BillingMode="PAY_PER_REQUEST",
        )
        dynamodb.update_time_to_live(
            TableName=resources.state_table,
            TimeToLiveSpecification={"Enabled": True, "AttributeName": "expires_at"},
        )
    s3 = boto3.client("s3", region_name=LOCAL_REGION, endpoint_url=endpoints.get("S3"))
    buckets = {b["Name"] for b in s3.list_buckets().get("Buckets", [])}
    if resources.media_bucket not in buckets:
        s3.create_bucket(Bucket=resources.media_bucket)


class EmbeddedAws:
    """moto's threaded server on 127.0.0.1:<free port>, provisioned for pivotkit.

    Use as a context manager; ``environment()`` gives the variables that point boto3 at it.
    """

    def __init__(self, resources: LocalResources | None = None, *, host: str = "127.0.0.1"):
        self.resources = resources or LocalResources()
        self._host = host
        self._server: Any = None
        self.endpoint = ""

    def start(self) -> None:
        from moto.server import ThreadedMotoServer

        # moto's server logs every AWS call through werkzeug at INFO; the local server
        # logs one line per Pivot request itself, so keep only warnings from moto.
        logging.getLogger("werkzeug").setLevel(logging.WARNING)
        # Port 0: the OS picks a free port, so two local servers never collide.
        server = ThreadedMotoServer(ip_address=self._host, port=0, verbose=False)
        server.start()
        host, port = server.get_host_and_port()
        self._server = server
        self.endpoint = f"http://{host}:{port}"
        with applied_environment(self.environment()):
            provision(self.resources, endpoints=self.endpoints())

    def stop(self) -> None:
        if self._server is not None:
            self._server.stop()
            self._server = None

    def endpoints(self) -> dict[str, str]:
        return dict.fromkeys(ENDPOINT_SERVICES, self.endpoint)

    def environment(self) -> dict[str, str]:
        """SDK endpoints, dummy credentials and the handler settings for the resources."""
        env = {f"AWS_ENDPOINT_URL_{service}": url for service, url in self.endpoints().items()}
        # moto on a busy laptop pauses for longer than DynamoDB's fail-fast timeouts allow.
        env[LOCAL_SDK_TIMEOUTS] = EMBEDDED_SDK_TIMEOUTS
        return {**env, **OFFLINE_CREDENTIALS, **self.resources.settings()}

    def __enter__(self) -> EmbeddedAws:
        self.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.stop()


@contextlib.contextmanager
def in_process_aws(resources: LocalResources | None = None) -> Iterator[dict[str, str]]:
    """moto's ``mock_aws`` with the resources provisioned; yields the handler settings.

    Endpoint overrides are removed while it is active: mock_aws intercepts requests inside
    botocore, and a custom endpoint would send them to a socket instead.
    """
    from moto import mock_aws

    resources = resources or LocalResources()
    masked = {f"AWS_ENDPOINT_URL_{service}" for service in ENDPOINT_SERVICES}
    with applied_environment(dict(OFFLINE_CREDENTIALS), remove=masked), mock_aws():
        provision(resources)
        yield resources.settings()


@contextlib.contextmanager
def applied_environment(
    values: Mapping[str, str],
    *,
    remove: set[str] | frozenset[str] = frozenset(),
    environ: MutableMapping[str, str] | None = None,
) -> Iterator[None]:
    """Set ``values`` (and unset ``remove`` and anything naming real AWS) for the block.

    boto3 reads its settings from ``os.environ`` when a client is created, so this is how
    an in-process handler is pointed at the embedded AWS; the previous values come back
    afterwards.
    """
    target = os.environ if environ is None else environ
    touched = {*_MASKED, *remove, *values}
    saved = {name: target[name] for name in touched if name in target}
    for name in touched:
        target.pop(name, None)
    target.update(values)
    try:
        yield
    finally:
        for name in touched:
            target.pop(name, None)
        target.update(saved)
