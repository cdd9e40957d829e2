"""Logs and metrics of the media function, read back from stdout as Lambda's log stream
takes them: one JSON line per request (events refused before routing included), the media
metrics under the customer's dimension, no token anywhere whatever went wrong, and
observability on in Lambda only, as for the Pivot function."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

import pytest

from pivotkit.aws.media_entry import make_media_handler
from pivotkit.http import LambdaHandler
from pivotkit.media.limits import MAX_MEDIA_BYTES
from tests.contract.moto_s3 import (
    fail_operation,
    fresh_bucket,
    moto_session,
    new_s3_client,
    s3_error,
)
from tests.unit.media.events import http_api_event
from tests.unit.media.example_customer import SLUG, media_customer
from tests.unit.media.kazoo import ACCOUNT_ID, record_call_url, recording_fields, storage_url
from tests.unit.security.support import Emitted, read, restored_logging

if TYPE_CHECKING:
    from mypy_boto3_s3.client import S3Client

__all__ = ["restored_logging"]

TOKEN = "Med1a-Obs-Token-5e7c21"
NEXT_TOKEN = "Med1a-Obs-Next-0a9f33"
WRONG_TOKEN = "Med1a-Obs-Stale-77d0b4"
CALL_ID = "1c2d3e4f-5a6b-4c7d-8e9f-0a1b2c3d4e5f"
DOC = "202405-1f2e3d4c5b6a79880f1e2d3c4b5a6978"
BASE = "https://k4z0m3d1a.execute-api.eu-west-1.amazonaws.com"
AUDIO = bytes(range(256)) * 16
Capture = pytest.CaptureFixture[str]


def encodings(token: str) -> set[str]:
    escaped = "".join(f"%{byte:02X}" for byte in token.encode())
    return {token, quote(token, safe=""), escaped, escaped.lower()}


FORBIDDEN = encodings(TOKEN) | encodings(NEXT_TOKEN) | encodings(WRONG_TOKEN)


def environ(bucket: str, **settings: str) -> dict[str, str]:
    return {
        "PIVOTKIT_TOKENS": json.dumps({SLUG: [TOKEN, NEXT_TOKEN]}),
        "PIVOTKIT_MEDIA_BUCKET": bucket,
        "PIVOTKIT_OBSERVABILITY": "on",
        "POWERTOOLS_SERVICE_NAME": "pivotkit-media-test",
        **settings,
    }


@pytest.fixture(scope="module")
def s3_session() -> Iterator[None]:
    with pytest.MonkeyPatch.context() as monkeypatch, moto_session(monkeypatch):
        yield


@pytest.fixture
def s3(s3_session: None) -> S3Client:
    return new_s3_client()


def media_handler(s3: S3Client, **settings: str) -> LambdaHandler:
    bucket = fresh_bucket(s3)
    return make_media_handler(
        environ(bucket, **settings), customers={SLUG: media_customer()}, s3_client=s3
    )


def vm_url(token: str = TOKEN, name: str = "message.mp3") -> str:
    return storage_url(f"{BASE}/media/{SLUG}/{token}", DOC, name)


def record_url(token: str = TOKEN) -> str:
    url = f"{BASE}/media/{SLUG}/recordings?token={quote(token, safe='')}"
    return record_call_url(url, CALL_ID, "mp3", recording_fields(CALL_ID))


def media_lines(emitted: Emitted) -> list[dict[str, Any]]:
    return [line for line in emitted.logs if line["message"].startswith("media ")]


def test_a_json_line_and_the_media_metrics_per_request(
    restored_logging: None, s3: S3Client, capsys: Capture
) -> None:
    handler = media_handler(s3)
    capsys.readouterr()
    stored = handler(http_api_event("PUT", vm_url(), AUDIO, "audio/mpeg"), None)
    read_back = handler(http_api_event("GET", vm_url()), None)
    assert (stored["statusCode"], read_back["statusCode"]) == (201, 200)
    emitted = read(capsys)
    put_line, get_line = media_lines(emitted)
    key = f"{SLUG}/storage/{ACCOUNT_ID}/{DOC}/message.mp3"
    assert put_line["message"] == f"media PUT {key} -> 201"
    assert put_line["service"] == "pivotkit-media-test" and put_line["level"] == "INFO"
    assert (put_line["customer"], put_line["status"], put_line["cold_start"]) == (SLUG, 201, True)
    assert get_line["message"] == f"media GET {key} -> 200" and get_line["cold_start"] is False
    assert emitted.metric("MediaRequests", customer=SLUG) == [1.0, 1.0]
    assert emitted.metric("MediaAnswers2xx", customer=SLUG) == [1.0, 1.0]
    assert emitted.metric("MediaAnswers4xx", customer=SLUG) == [0.0, 0.0]
    assert emitted.metric("MediaBytesStored", customer=SLUG) == [float(len(AUDIO))]
    assert emitted.metric("ColdStarts", customer=SLUG) == [1.0]
    assert all(document["service"] == "pivotkit-media-test" for document in emitted.metrics)
    assert len(emitted.metric("MediaLatency", customer=SLUG)) == 2


def oversized_event() -> dict[str, Any]:
    return http_api_event("PUT", vm_url(), b"\x00" * (MAX_MEDIA_BYTES + 1), "audio/mpeg")


def percent_encoded(token: str) -> str:
    return "".join(f"%{byte:02X}" for byte in token.encode())


GARBAGE_MULTIPART = "multipart/form-data; boundary=zz"
# name: (event, status, error code)
FAILURES: dict[str, tuple[dict[str, Any], int, str]] = {
    "unrecognised path": (
        http_api_event("PUT", f"{BASE}/media/{SLUG}/{TOKEN}/a/b/c/d/e/f.mp3", AUDIO),
        400,
        "bad_request",
    ),
    "traversal": (
        http_api_event("PUT", f"{BASE}/media/{SLUG}/{TOKEN}/{ACCOUNT_ID}/../d/x.mp3", AUDIO),
        400,
        "bad_request",
    ),
    "encoded token, traversal": (
        http_api_event("PUT", f"{BASE}/media/{SLUG}/{percent_encoded(TOKEN)}/%2e%2e/x.mp3", AUDIO),
        400,
        "bad_request",
    ),
    # A fresh function has learned no token yet: only the position mask stands between
    # a token one segment late and the log.
    "token after recordings": (
        http_api_event(
            "PUT", f"{BASE}/media/{SLUG}/recordings/{TOKEN}/call_recording_{CALL_ID}.mp3", AUDIO
        ),
        400,
        "bad_request",
    ),
    "token after storage": (
        http_api_event("PUT", f"{BASE}/media/{SLUG}/storage/{TOKEN}/{ACCOUNT_ID}/d/x.mp3", AUDIO),
        400,
        "bad_request",
    ),
    "encoded token after callers": (
        http_api_event(
            "PUT", f"{BASE}/media/{SLUG}/callers/{percent_encoded(TOKEN)}/{CALL_ID}.mp3", AUDIO
        ),
        400,
        "bad_request",
    ),
    "wrong token (path)": (http_api_event("PUT", vm_url(WRONG_TOKEN), AUDIO), 401, "unauthorized"),
    "wrong token (query)": (
        http_api_event("PUT", record_url(WRONG_TOKEN), AUDIO),
        401,
        "unauthorized",
    ),
    "wrong method": (http_api_event("DELETE", vm_url()), 405, "method_not_allowed"),
    "oversized": (oversized_event(), 413, "payload_too_large"),
    "garbage multipart": (
        http_api_event("PUT", vm_url(), b"\x00garbage", GARBAGE_MULTIPART),
        400,
        "bad_request",
    ),
    "not an HTTP event": ({"rawPath": f"/media/{SLUG}/{TOKEN}/x.mp3"}, 400, "bad_request"),
}


@pytest.mark.parametrize(("event", "status", "error"), FAILURES.values(), ids=FAILURES.keys())
def test_no_failure_writes_a_token_to_stdout(
    restored_logging: None,
    s3: S3Client,
    capsys: Capture,
    event: dict[str, Any],
    status: int,
    error: str,
) -> None:
    handler = media_handler(s3)
    capsys.readouterr()
    result = handler(event, None)
    assert result["statusCode"] == status
    assert json.loads(result["body"])["error"] == error
    emitted = read(capsys)
    (line,) = media_lines(emitted)
    assert line["message"].endswith(f"-> {status}")
    assert emitted.metric(f"MediaAnswers{status // 100}xx") == [1.0]
    leaked = sorted(form for form in FORBIDDEN if form in emitted.text)
    assert not leaked, f"token on stdout as {leaked}"


def test_an_s3_failure_is_a_503_counted_and_logged_without_a_token(
    restored_logging: None, s3_session: None, capsys: Capture
) -> None:
    s3 = new_s3_client()  # a client of its own: the fault stays on it
    handler = media_handler(s3)
    fail_operation(s3, "PutObject", s3_error(503, "SlowDown"))
    capsys.readouterr()
    for url in (vm_url(), record_url()):
        assert handler(http_api_event("PUT", url, AUDIO, "audio/mpeg"), None)["statusCode"] == 503
    emitted = read(capsys)
    assert [line["error"] for line in media_lines(emitted)] == ["media_unavailable"] * 2
    assert emitted.metric("MediaAnswers5xx", customer=SLUG) == [1.0, 1.0]
    assert not [form for form in FORBIDDEN if form in emitted.text]


def test_tokens_it_has_accepted_are_blanked_from_any_line(
    restored_logging: None, s3: S3Client, capsys: Capture
) -> None:
    """The Lambda layer's net: a line some code writes with a URL in it (here a customer's
    hook, which never gets the token, so a contrived one) is redacted on its way out."""
    handler = media_handler(s3)
    handler(http_api_event("PUT", vm_url(), AUDIO, "audio/mpeg"), None)  # learns the tokens
    capsys.readouterr()
    logging.getLogger("pivotkit.media").warning("retrying %s", vm_url(NEXT_TOKEN))
    text = capsys.readouterr().out
    assert "retrying https://" in text and not [form for form in FORBIDDEN if form in text]


def test_observability_is_on_in_lambda_and_off_elsewhere(
    restored_logging: None, s3: S3Client, capsys: Capture
) -> None:
    quiet = media_handler(s3, PIVOTKIT_OBSERVABILITY="")
    capsys.readouterr()
    assert quiet(http_api_event("PUT", vm_url(), AUDIO, "audio/mpeg"), None)["statusCode"] == 201
    assert capsys.readouterr().out == ""  # no JSON lines, no EMF documents
    in_lambda = media_handler(s3, PIVOTKIT_OBSERVABILITY="", AWS_LAMBDA_FUNCTION_NAME="media")
    capsys.readouterr()
    in_lambda(http_api_event("PUT", vm_url(), AUDIO, "audio/mpeg"), None)
    emitted = read(capsys)
    assert len(media_lines(emitted)) == 1 and emitted.metric("MediaRequests") == [1.0]
