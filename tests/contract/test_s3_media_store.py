"""S3MediaStore specifics on moto: encryption, checksums sent and checked, failures -> 503."""

from __future__ import annotations

import base64
from typing import Any

import pytest
from botocore.exceptions import ConnectTimeoutError

from pivotkit.errors import MediaUnavailable
from pivotkit.media.store import MediaObject
from tests.contract.moto_s3 import (
    BUCKET,
    fail_operation,
    moto_s3,
    moto_s3_store,
    s3_error,
    tamper_response,
)

KEY = "acme/storage/4b1c0e9d2a3f4e5d6c7b8a9f0e1d2c3b/doc/uploaded_file_1.mp3"


def obj(body: bytes = b"\xff\xfb\x90\x00audio") -> MediaObject:
    return MediaObject(KEY, body, "audio/mpeg", {"call-id": "c1"})


def test_put_sends_sha256_and_encrypts_with_sse_s3(monkeypatch: pytest.MonkeyPatch) -> None:
    sent: dict[str, Any] = {}
    with moto_s3_store(monkeypatch) as store:
        store.client.meta.events.register(
            "provide-client-params.s3.PutObject", lambda params, **_: sent.update(params)
        )
        confirmation = store.put(obj())
        head = store.client.head_object(Bucket=BUCKET, Key=KEY, ChecksumMode="ENABLED")
    assert sent["ChecksumSHA256"] == obj().sha256
    assert sent["ChecksumAlgorithm"] == "SHA256"
    assert confirmation.encryption == head["ServerSideEncryption"] == "AES256"
    assert head["ChecksumSHA256"] == obj().sha256
    assert head["ContentType"] == "audio/mpeg"
    assert head["Metadata"] == {"call-id": "c1"}


def test_kms_key_selects_sse_kms(monkeypatch: pytest.MonkeyPatch) -> None:
    with moto_s3_store(monkeypatch, kms_key_id="alias/pivotkit-media") as store:
        confirmation = store.put(obj())
        head = store.client.head_object(Bucket=BUCKET, Key=KEY)
    assert confirmation.encryption == head["ServerSideEncryption"] == "aws:kms"
    assert head["SSEKMSKeyId"] == "alias/pivotkit-media"


@pytest.mark.parametrize(
    "fault",
    [s3_error(500, "InternalError"), s3_error(400, "BadDigest"), s3_error(403, "AccessDenied")],
    ids=["internal error", "bad digest", "access denied"],
)
def test_put_failures_are_media_unavailable(monkeypatch: pytest.MonkeyPatch, fault: Any) -> None:
    with moto_s3_store(monkeypatch) as store:
        fail_operation(store.client, "PutObject", fault)
        with pytest.raises(MediaUnavailable):
            store.put(obj())


def test_connection_failure_is_media_unavailable(monkeypatch: pytest.MonkeyPatch) -> None:
    with moto_s3_store(monkeypatch) as store:
        fail_operation(store.client, "PutObject", ConnectTimeoutError(endpoint_url="https://s3"))
        with pytest.raises(MediaUnavailable):
            store.put(obj())


def test_reported_checksum_is_passed_on_unchanged(monkeypatch: pytest.MonkeyPatch) -> None:
    """The adapter reports what S3 said; the app compares (see test_media_handler)."""
    with moto_s3_store(monkeypatch) as store:
        tamper_response(store.client, "PutObject", lambda parsed: parsed.update(ChecksumSHA256="x"))
        assert store.put(obj()).sha256 == "x"


def test_read_failures_are_media_unavailable(monkeypatch: pytest.MonkeyPatch) -> None:
    with moto_s3_store(monkeypatch) as store:
        store.put(obj())
        fail_operation(store.client, "GetObject", s3_error(503, "SlowDown"))
        with pytest.raises(MediaUnavailable):
            store.fetch(KEY, max_bytes=1000)


def test_corrupted_object_fails_the_read(monkeypatch: pytest.MonkeyPatch) -> None:
    """moto keeps a checksum it did not verify; botocore's read-side check catches it."""
    with moto_s3(monkeypatch) as client:
        wrong = base64.b64encode(b"\0" * 32).decode()
        client.put_object(
            Bucket=BUCKET, Key=KEY, Body=b"audio", ChecksumAlgorithm="SHA256", ChecksumSHA256=wrong
        )
        from pivotkit.aws.s3_media import S3MediaStore

        with pytest.raises(MediaUnavailable):
            S3MediaStore(client, BUCKET).fetch(KEY, max_bytes=1000)


def test_large_object_is_not_downloaded(monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[str] = []
    with moto_s3_store(monkeypatch) as store:
        store.put(obj(b"x" * 5000))
        fetched = store.fetch(KEY, max_bytes=100)
        store.client.meta.events.register(
            "before-call.s3.*", lambda model, **_: calls.append(model.name)
        )
        url = store.presigned_url(KEY, expires_in=120)
    assert fetched is not None and fetched.body is None and fetched.info.size == 5000
    assert url is not None and "Expires=" in url and BUCKET in url
    assert calls == []  # presigning is local: no API call
