"""The deployed S3 client's timeouts, on real sockets through the whole media handler.

``make_media_handler`` builds the client exactly as in Lambda (``S3MediaStore.from_bucket``),
with ``AWS_ENDPOINT_URL_S3`` pointing it at a local endpoint: one that accepts connections
and never answers (a hung S3), or one that answers like S3 but slowly. The largest upload
the function accepts must end in a 503 well inside the function's timeout when S3 hangs,
so Kazoo retries it, and must never be cut short when S3 is merely slow.
"""

from __future__ import annotations

import ast
import base64
import hashlib
import json
import time
from pathlib import Path
from typing import Any

import pytest

from pivotkit.aws import s3_media
from pivotkit.aws.media_entry import make_media_handler
from pivotkit.http import LambdaHandler
from pivotkit.media.limits import MAX_MEDIA_BYTES
from tests.contract.hung_endpoint import hung_endpoint
from tests.contract.moto_s3 import fake_aws_env
from tests.integration.slow_s3 import slow_s3
from tests.unit.media.events import http_api_event
from tests.unit.media.example_customer import SLUG, media_customer
from tests.unit.media.kazoo import ACCOUNT_ID, record_caller_url

PROJECT_ROOT = Path(__file__).resolve().parents[2]
TOKEN = "s3-timeouts-token-4d2b9e"
BUCKET = "pivotkit-media-timeouts"
# The largest body the function accepts, as FreeSWITCH uploads a record_caller file.
LARGEST = bytes(range(256)) * (MAX_MEDIA_BYTES // 256) + b"\x00" * (MAX_MEDIA_BYTES % 256)
# What the rest of a request may need besides S3: a first read of the tokens secret (at most
# about 1.1 s with the shared client settings), base64 and SHA-256 of 4.45 MB, the log line.
REST_OF_REQUEST_SECONDS = 5.0
# Slack for this 2-core runner: building the 6 MB event, decoding it, thread wake-ups.
OVERHEAD_SECONDS = 0.75

pytestmark = pytest.mark.slow  # real timeouts run out: several seconds


def media_function_timeout_seconds() -> float:
    """``TIMEOUT`` of the customer function (infra/customer_stack.py), read without importing
    the CDK (seconds)."""
    tree = ast.parse((PROJECT_ROOT / "infra" / "customer_stack.py").read_text())
    for node in tree.body:
        if isinstance(node, ast.Assign) and ast.unparse(node.targets[0]) == "TIMEOUT":
            value = node.value
            assert isinstance(value, ast.Call) and ast.unparse(value.func) == "Duration.seconds"
            (seconds,) = value.args
            assert isinstance(seconds, ast.Constant) and isinstance(seconds.value, int | float)
            return float(seconds.value)
    raise AssertionError("infra/customer_stack.py no longer sets TIMEOUT = Duration.seconds(n)")


def handler_against(endpoint_url: str, monkeypatch: pytest.MonkeyPatch) -> LambdaHandler:
    fake_aws_env(monkeypatch)
    monkeypatch.setenv("AWS_ENDPOINT_URL_S3", endpoint_url)
    environ = {"PIVOTKIT_TOKENS": json.dumps({SLUG: [TOKEN]}), "PIVOTKIT_MEDIA_BUCKET": BUCKET}
    return make_media_handler(environ, customers={SLUG: media_customer()})


def upload_largest(handler: LambdaHandler) -> tuple[dict[str, Any], float]:
    url = record_caller_url(
        f"https://m.example.com/media/{SLUG}/{TOKEN}/callers/{ACCOUNT_ID}",
        "c0ffee00-1111-4222-8333-944455556666",
        "wav",
    )
    event = http_api_event("PUT", url, LARGEST, "audio/wav")
    started = time.perf_counter()
    result = handler(event, None)
    return result, time.perf_counter() - started


def test_a_stalled_upload_ends_well_inside_the_function_timeout() -> None:
    """The bound the numbers in s3_media were chosen for: every attempt running out every
    clock, plus the backoffs, plus the rest of the request, stays inside the timeout."""
    bound = s3_media.stalled_upload_seconds()
    assert bound == pytest.approx(3 * (1.0 + 1.0 + 2.0) + 0.05 + 0.10)
    assert bound + REST_OF_REQUEST_SECONDS <= media_function_timeout_seconds()


def test_a_hung_s3_answers_the_largest_upload_with_a_503_in_time(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    with hung_endpoint() as endpoint:
        handler = handler_against(endpoint.url, monkeypatch)
        result, took = upload_largest(handler)
    assert result["statusCode"] == 503  # Kazoo retries the upload later
    assert json.loads(result["body"])["error"] == "media_unavailable"
    assert endpoint.requests == s3_media.MAX_ATTEMPTS  # each attempt reached the endpoint
    assert took < s3_media.stalled_upload_seconds() + OVERHEAD_SECONDS


def sha256_b64(data: bytes) -> str:
    return base64.b64encode(hashlib.sha256(data).digest()).decode()


def test_a_slow_link_that_keeps_moving_is_never_cut_short(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """3 MB/s: the transfer takes longer than the connect timeout that bounds each stalled
    send, and even a body the kernel buffered whole drains inside the read timeout."""
    rate = 3_000_000
    assert MAX_MEDIA_BYTES / rate < s3_media.READ_TIMEOUT_SECONDS
    with slow_s3(read_rate=rate) as endpoint:
        result, took = upload_largest(handler_against(endpoint.url, monkeypatch))
    assert result["statusCode"] == 201, result["body"]
    assert endpoint.requests == 1  # no attempt was cut and retried
    assert took > s3_media.CONNECT_TIMEOUT_SECONDS
    (received,) = endpoint.bodies
    assert received == LARGEST
    assert json.loads(result["body"])["sha256"] == sha256_b64(LARGEST)


def test_a_late_answer_inside_the_read_timeout_is_waited_for(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    delay = 0.6 * s3_media.READ_TIMEOUT_SECONDS
    with slow_s3(answer_delay=delay) as endpoint:
        result, took = upload_largest(handler_against(endpoint.url, monkeypatch))
    assert result["statusCode"] == 201, result["body"]
    assert endpoint.requests == 1 and took >= delay
