"""S3 failing while Kazoo uploads a recording (the media Lambda handler on moto S3).

Kazoo retries an upload that does not get a 2xx, so the rule is: 201 only once S3 has the
bytes (checksum confirmed), anything else a non-2xx. For each fault: the answer, the time,
and that every acknowledged upload is in the bucket byte for byte.
"""

from __future__ import annotations

import base64
import hashlib
import json
import time
from collections.abc import Iterator
from typing import Any

import boto3.session
import pytest
from botocore.config import Config
from botocore.exceptions import ConnectionClosedError, ReadTimeoutError
from moto import mock_aws

from pivotkit import Customer, Flow
from pivotkit.aws import s3_media
from pivotkit.aws.media_entry import make_media_handler
from tests.contract.moto_support import REGION
from tests.faults.conftest import record
from tests.faults.injection import AnswerLost, ErrorAnswer, RaiseOnSend

BUCKET = "pivotkit-faults-media"
TOKEN = "media-token-6a2f9d0b4e"
ACCOUNT_ID = "3a1f0e2d4c5b6a7980f1e2d3c4b5a697"
AUDIO = bytes(range(256)) * 64  # 16 KiB standing in for an mp3
UPLOAD_SECONDS = 5.0


@pytest.fixture
def s3(aws_env: None) -> Iterator[Any]:
    with mock_aws():
        # The deployed client's settings (S3MediaStore.from_bucket): timeouts, 3 attempts.
        config = Config(
            connect_timeout=s3_media.CONNECT_TIMEOUT_SECONDS,
            read_timeout=s3_media.READ_TIMEOUT_SECONDS,
            retries={"mode": "standard", "total_max_attempts": s3_media.MAX_ATTEMPTS},
        )
        client = boto3.session.Session().client("s3", region_name=REGION, config=config)
        client.create_bucket(
            Bucket=BUCKET, CreateBucketConfiguration={"LocationConstraint": "eu-west-1"}
        )
        yield client


def media_handler(s3: Any) -> Any:
    return make_media_handler(
        {"PIVOTKIT_TOKENS": json.dumps({"studio": [TOKEN]}), "PIVOTKIT_MEDIA_BUCKET": BUCKET},
        customers={"studio": Customer(slug="studio", flow=Flow())},
        s3_client=s3,
    )


def upload(handler: Any, call_id: str) -> tuple[dict[str, Any], float]:
    """What FreeSWITCH sends for a record_caller recording (the token as a path segment)."""
    path = f"/media/studio/{TOKEN}/callers/{ACCOUNT_ID}/{call_id}.mp3"
    event = {
        "version": "2.0",
        "rawPath": path,
        "rawQueryString": "",
        "headers": {"content-type": "audio/mpeg", "host": "media.example.com"},
        "requestContext": {"http": {"method": "PUT"}, "domainName": "media.example.com"},
        "body": base64.b64encode(AUDIO).decode(),
        "isBase64Encoded": True,
    }
    started = time.perf_counter()
    result: dict[str, Any] = handler(event, None)
    return result, time.perf_counter() - started


def bucket(s3: Any) -> dict[str, bytes]:
    keys = [o["Key"] for o in s3.list_objects_v2(Bucket=BUCKET).get("Contents", [])]
    return {key: s3.get_object(Bucket=BUCKET, Key=key)["Body"].read() for key in keys}


def acknowledged(result: dict[str, Any], s3: Any) -> str:
    """For a 201: the key it names holds exactly the uploaded bytes."""
    body = json.loads(result["body"])
    assert result["statusCode"] == 201, body
    stored = bucket(s3)[body["stored"]]
    assert stored == AUDIO
    digest = base64.b64encode(hashlib.sha256(AUDIO).digest()).decode()
    assert body["sha256"] == digest
    return str(body["stored"])


def test_connection_resets_are_retried_by_the_sdk(s3: Any) -> None:
    reset = RaiseOnSend(s3, "PutObject", ConnectionClosedError(endpoint_url="https://s3"), times=2)
    result, took = upload(media_handler(s3), "reset-call")
    acknowledged(result, s3)
    assert reset.attempts == 3 and took < UPLOAD_SECONDS
    record("S3 PutObject reset twice", "201 stored", took, "bytes verified")


def test_s3_refusing_writes_is_a_503_and_the_retry_stores_it(s3: Any) -> None:
    handler = media_handler(s3)
    slow_down = ErrorAnswer(s3, "PutObject", 503, "SlowDown")
    result, took = upload(handler, "slow-call")
    slow_down.remaining = 0
    assert result["statusCode"] == 503
    assert json.loads(result["body"])["error"] == "media_unavailable"
    assert bucket(s3) == {} and took < UPLOAD_SECONDS
    record("S3 PutObject 503 SlowDown", "503 media_unavailable", took, "nothing acknowledged")
    retried, _ = upload(handler, "slow-call")  # Kazoo retries a non-2xx upload
    acknowledged(retried, s3)


def test_a_stored_upload_whose_answer_was_lost_is_retried_harmlessly(s3: Any) -> None:
    handler = media_handler(s3)
    lost = AnswerLost(s3, "PutObject")
    result, took = upload(handler, "lost-call")
    assert lost.fired == 1 and result["statusCode"] == 503
    assert took < UPLOAD_SECONDS
    record("S3 PutObject applied, answer lost", "503 media_unavailable", took, "retry overwrites")
    retried, _ = upload(handler, "lost-call")
    key = acknowledged(retried, s3)
    assert list(bucket(s3)) == [key]  # the same key, once


def test_s3_timing_out_is_a_503_once_the_sdk_gives_up(s3: Any) -> None:
    """Each attempt here times out after 0.4 s; the deployed client waits up to
    READ_TIMEOUT_SECONDS per attempt, so a hung S3 costs MAX_ATTEMPTS times that."""
    handler = media_handler(s3)
    timeout = ReadTimeoutError(endpoint_url="https://s3")
    stuck = RaiseOnSend(s3, "PutObject", timeout, times=s3_media.MAX_ATTEMPTS, delay=0.4)
    result, took = upload(handler, "stuck-call")
    assert result["statusCode"] == 503 and stuck.attempts == s3_media.MAX_ATTEMPTS
    assert bucket(s3) == {} and 1.2 <= took < UPLOAD_SECONDS
    record("S3 read timeouts (0.4 s x 3 tries)", "503 media_unavailable", took, "nothing acked")
