"""S3 on moto for media tests: credentials that cannot reach AWS, a bucket, and fault hooks."""

from __future__ import annotations

import functools
import itertools
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from io import BytesIO
from typing import TYPE_CHECKING, Any, Final

import boto3.session
import pytest
from botocore.awsrequest import AWSResponse
from botocore.config import Config
from moto import mock_aws

from pivotkit.aws.s3_media import S3MediaStore
from tests.contract.moto_support import set_fake_aws_env

if TYPE_CHECKING:
    from mypy_boto3_s3.client import S3Client

REGION: Final = "eu-west-1"
BUCKET = "pivotkit-media-test"


def fake_aws_env(monkeypatch: pytest.MonkeyPatch) -> None:
    set_fake_aws_env(monkeypatch, REGION)


@functools.cache
def _session() -> boto3.session.Session:
    # One session: its loader caches the S3 service model, which is slow to parse.
    return boto3.session.Session()


def new_s3_client() -> S3Client:
    """One attempt per call: an injected fault must not be retried with back-off sleeps."""
    config = Config(retries={"mode": "standard", "total_max_attempts": 1})
    client: S3Client = _session().client("s3", region_name=REGION, config=config)
    return client


def create_bucket(client: S3Client, name: str = BUCKET) -> str:
    client.create_bucket(Bucket=name, CreateBucketConfiguration={"LocationConstraint": REGION})
    return name


@contextmanager
def moto_session(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Fake credentials and moto for as long as the context lasts (start-up is the slow part,
    so test modules share one session and give each test a bucket of its own)."""
    fake_aws_env(monkeypatch)
    with mock_aws():
        yield


_bucket_numbers = itertools.count(1)


def fresh_bucket(client: S3Client) -> str:
    return create_bucket(client, f"{BUCKET}-{next(_bucket_numbers)}")


@contextmanager
def moto_s3(monkeypatch: pytest.MonkeyPatch) -> Iterator[S3Client]:
    """A moto-backed S3 client with the media bucket created (a session of its own)."""
    with moto_session(monkeypatch):
        client = new_s3_client()
        create_bucket(client)
        yield client


@contextmanager
def moto_s3_store(
    monkeypatch: pytest.MonkeyPatch, *, kms_key_id: str | None = None
) -> Iterator[S3MediaStore]:
    with moto_s3(monkeypatch) as client:
        yield S3MediaStore(client, BUCKET, kms_key_id=kms_key_id)


class _Body(BytesIO):
    def stream(self, **_: Any) -> Iterator[bytes]:
        yield self.read()


def s3_error(status: int, code: str) -> AWSResponse:
    """An S3 error answer, as S3 sends it (REST-XML)."""
    xml = f"<Error><Code>{code}</Code><Message>injected</Message></Error>".encode()
    headers = {"Content-Type": "application/xml"}
    return AWSResponse("https://s3.test", status, headers, _Body(xml))  # type: ignore[arg-type]


def fail_operation(client: S3Client, operation: str, answer: AWSResponse | Exception) -> None:
    """Every ``operation`` call fails before reaching moto (first in line of before-send)."""

    def intercept(**_: Any) -> AWSResponse:
        if isinstance(answer, Exception):
            raise answer
        return answer

    client.meta.events.register_first(f"before-send.s3.{operation}", intercept)  # type: ignore[arg-type]


def tamper_response(
    client: S3Client, operation: str, change: Callable[[dict[str, Any]], None]
) -> None:
    """Alter what botocore hands back for ``operation`` (a backend reporting nonsense)."""

    def after(parsed: dict[str, Any], **_: Any) -> None:
        change(parsed)

    client.meta.events.register(f"after-call.s3.{operation}", after)
