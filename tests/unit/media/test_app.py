"""MediaApp on the in-memory store: statuses Kazoo acts on, nothing stored on refusal, hooks."""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping
from dataclasses import replace
from typing import Any
from urllib.parse import urlsplit

import pytest

from pivotkit.customers import StaticTokens
from pivotkit.deferred import DeferredFailed, QueuedDeferrer
from pivotkit.deferred_runner import DeferredWork
from pivotkit.errors import MediaUnavailable
from pivotkit.http import HttpRequest, HttpResponse
from pivotkit.media.app import MediaApp, MediaLimits, StoredMedia
from pivotkit.media.paths import MediaKind
from pivotkit.media.store import FetchedMedia, InMemoryMediaStore, MediaObject, StoredObject
from pivotkit.work import InMemoryJobStore
from tests.unit.media.audio import wav_bytes
from tests.unit.media.example_customer import OTHER_TOKEN, SLUG, TOKEN, media_customer
from tests.unit.media.kazoo import (
    ACCOUNT_ID,
    multipart_body,
    record_call_url,
    recording_fields,
    storage_url,
    voicemail_document,
)

CALL_ID = "5e1d0c9b-8a7f-4e6d-5c4b-3a2f1e0d9c8b"
DOC = "202405-0f0e0d0c0b0a09080706050403020100"
NOW = 1_716_537_600.0


def request(method: str, url: str, body: bytes = b"", content_type: str = "") -> HttpRequest:
    parts = urlsplit(url)
    headers = {"content-type": content_type} if content_type else {}
    return HttpRequest(method, parts.path, parts.query, headers, body, "https://m.example.com")


def record_url(token: str = TOKEN) -> str:
    return record_call_url(
        f"https://m.example.com/media/{SLUG}/recordings?token={token}",
        CALL_ID,
        "wav",
        recording_fields(CALL_ID),
    )


def vm_url(token: str = TOKEN, name: str = "uploaded_file_63883756800.wav") -> str:
    return storage_url(f"https://m.example.com/media/{SLUG}/{token}", DOC, name)


class Harness:
    def __init__(self, store: Any = None, limits: MediaLimits | None = None, **kw: Any) -> None:
        self.posted: list[Mapping[str, Any]] = []
        self.store = store if store is not None else InMemoryMediaStore()
        customer = media_customer(self.posted.append, **kw)
        tokens = StaticTokens({SLUG: [TOKEN, OTHER_TOKEN]})
        self.app = MediaApp(
            {SLUG: customer},
            self.store,
            tokens,
            limits=limits,
            clock=lambda: NOW,
            deferrer=QueuedDeferrer(self._run_deferred),
        )

    def _run_deferred(self, event: Mapping[str, Any]) -> None:
        DeferredWork(self.app.customers, InMemoryJobStore(), media=lambda: self.store).run(event)

    @property
    def deferred(self) -> QueuedDeferrer:
        deferrer = self.app.deferrer
        assert isinstance(deferrer, QueuedDeferrer)
        return deferrer

    def send(
        self, method: str, url: str, body: bytes = b"", content_type: str = ""
    ) -> HttpResponse:
        """The answer, then (as deployed, in another invocation) the deferred hooks."""
        response = self.app.handle(request(method, url, body, content_type))
        self.deferred.run_pending()
        return response


def error_of(response: HttpResponse) -> str:
    return str(json.loads(response.body)["error"])


def test_recording_upload_is_stored_verified_and_readable() -> None:
    h = Harness()
    audio = wav_bytes(0.4)
    response = h.send("PUT", record_url(), audio, "audio/wav")
    assert response.status == 201
    answer = json.loads(response.body)
    key = f"{SLUG}/recordings/{ACCOUNT_ID}/2024/05/{CALL_ID}/call_recording_{CALL_ID}.wav"
    assert answer["stored"] == key and answer["bytes"] == len(audio)
    read = h.send("GET", record_url())
    assert read.status == 200
    assert read.body == audio
    assert read.headers["Content-Type"] == "audio/wav"


def test_post_works_like_put_and_a_retry_overwrites() -> None:
    h = Harness()
    assert h.send("POST", vm_url(), b"first").status == 201
    assert h.send("PUT", vm_url(), b"second").status == 201
    assert h.store.keys() == [f"{SLUG}/storage/{ACCOUNT_ID}/{DOC}/uploaded_file_63883756800.wav"]
    assert h.send("GET", vm_url()).body == b"second"


def test_both_tokens_of_a_rotation_are_accepted() -> None:
    h = Harness()
    assert h.send("PUT", vm_url(OTHER_TOKEN), b"x").status == 201


REFUSALS = {
    "wrong token (query)": ("PUT", record_url("nope"), b"audio", "", 401),
    "wrong token (path)": ("PUT", vm_url("nope"), b"audio", "", 401),
    "missing token": (
        "PUT",
        f"https://m/media/{SLUG}/recordings?recording=call_recording_{CALL_ID}.wav",
        b"audio",
        "",
        401,
    ),
    "unknown customer": ("PUT", vm_url().replace(f"/{SLUG}/", "/other/"), b"audio", "", 404),
    "empty body": ("PUT", record_url(), b"", "", 400),
    "wrong method": ("DELETE", vm_url(), b"", "", 405),
    "traversal": ("PUT", f"https://m/media/{SLUG}/{TOKEN}/{ACCOUNT_ID}/../x/y.wav", b"a", "", 400),
    "encoded slash": (
        "PUT",
        f"https://m/media/{SLUG}/{TOKEN}/{ACCOUNT_ID}/d/a%2Fb.wav",
        b"a",
        "",
        400,
    ),
    "garbage multipart": ("PUT", vm_url(), b"\x00garbage", "multipart/form-data; boundary=zz", 400),
}


@pytest.mark.parametrize(
    ("method", "url", "body", "content_type", "status"), REFUSALS.values(), ids=REFUSALS.keys()
)
def test_refusals_store_nothing(
    method: str, url: str, body: bytes, content_type: str, status: int
) -> None:
    h = Harness()
    response = h.send(method, url, body, content_type)
    assert response.status == status
    assert h.store.keys() == []
    assert h.posted == []


def test_wrong_method_lists_the_allowed_ones() -> None:
    response = Harness().send("DELETE", vm_url())
    assert response.headers["Allow"] == "GET, POST, PUT"
    assert error_of(response) == "method_not_allowed"


def test_account_outside_the_customer_list_is_forbidden() -> None:
    h = Harness(allowed_account_ids=frozenset({"f" * 32}))
    response = h.send("PUT", record_url(), b"audio")
    assert response.status == 403
    assert h.store.keys() == []


def test_oversized_body_is_413_with_the_limit_and_advice() -> None:
    h = Harness(limits=MediaLimits(max_upload_bytes=1000))
    response = h.send("PUT", record_url(), b"a" * 1001)
    assert response.status == 413
    message = json.loads(response.body)["message"]
    assert "1001 bytes" in message and "time_limit" in message
    assert h.store.keys() == []


def test_multipart_attachment_that_is_empty_is_refused() -> None:
    h = Harness()
    content_type, body = multipart_body(DOC, {"id": DOC}, "uploaded_file_1.wav", "audio/wav", b"")
    response = h.send("PUT", vm_url(name="uploaded_file_1.wav"), body, content_type)
    assert response.status == 400
    assert h.store.keys() == []


def test_voicemail_multipart_reaches_the_hook_with_its_document() -> None:
    h = Harness()
    audio = wav_bytes(0.2)
    content_type, body = multipart_body(
        DOC,
        voicemail_document(DOC, CALL_ID),
        "uploaded_file_1.wav",
        "audio/wav",
        audio,
        base64_encode_data=True,
    )
    assert h.send("PUT", vm_url(name="uploaded_file_1.wav"), body, content_type).status == 201
    assert h.send("GET", vm_url(name="uploaded_file_1.wav")).body == audio
    assert len(h.posted) == 1
    assert h.posted[0]["text"].startswith("Voicemail from +15551239876, 4.2 s")


def test_hook_receives_stored_media() -> None:
    seen: list[StoredMedia] = []
    h = Harness()
    h.app.customers[SLUG] = replace(h.app.customers[SLUG], on_media_stored=seen.append)
    audio = wav_bytes(0.1)
    h.send("PUT", record_url(), audio, "audio/wav")
    (media,) = seen
    assert media.kind is MediaKind.RECORDING
    assert media.read() == audio and media.size == len(audio)
    assert media.call_id == CALL_ID and media.account_id == ACCOUNT_ID
    assert media.fields["caller_id_name"] == "Zoë Müller"
    assert media.content_type == "audio/wav"


def test_failing_hook_is_logged_and_changes_nothing(caplog: pytest.LogCaptureFixture) -> None:
    def broken(media: StoredMedia) -> None:
        raise RuntimeError("chat is down")

    h = Harness()
    h.app.customers[SLUG] = replace(h.app.customers[SLUG], on_media_stored=broken)
    with caplog.at_level(logging.ERROR, logger="pivotkit.deferred"):
        answer = h.app.handle(request("PUT", record_url(), b"audio"))
        # Answered 2xx with the object stored before the hook ran at all.
        assert answer.status == 201 and len(h.store.keys()) == 1
        assert len(h.deferred.pending) == 1
        h.deferred.run_pending()
    assert len(h.store.keys()) == 1
    # The failure goes where deployed Lambda would retry and then dead-letter it.
    ((event, error),) = h.deferred.failures
    assert isinstance(error, DeferredFailed)
    assert event["media"]["key"] == h.store.keys()[0]
    assert "on_media_stored hook of mediatest failed" in caplog.text


def test_store_outage_is_503_and_skips_the_hook() -> None:
    store = InMemoryMediaStore()
    store.fail_writes = True
    h = Harness(store)
    response = h.send("PUT", record_url(), b"audio")
    assert response.status == 503
    assert error_of(response) == "media_unavailable"
    assert h.posted == []


class LyingStore(InMemoryMediaStore):
    """Stores, then reports a confirmation that does not match what was sent."""

    def __init__(self, report: dict[str, Any]) -> None:
        super().__init__()
        self.report = report

    def put(self, obj: MediaObject) -> StoredObject:
        return replace(super().put(obj), **self.report)


@pytest.mark.parametrize(
    "report",
    [{"sha256": "AAAA"}, {"sha256": None}, {"size": 1}, {"key": "elsewhere"}],
    ids=["checksum differs", "no checksum", "size differs", "other key"],
)
def test_unconfirmed_write_is_never_acknowledged(report: dict[str, Any]) -> None:
    h = Harness(LyingStore(report))
    response = h.send("PUT", record_url(), b"audio")
    assert response.status == 503
    assert h.posted == []


class PresigningStore(InMemoryMediaStore):
    def presigned_url(self, key: str, *, expires_in: int) -> str | None:
        return f"https://bucket.s3.example.com/{key}?X-Amz-Expires={expires_in}"


def test_large_object_read_redirects_when_the_store_can_presign() -> None:
    h = Harness(PresigningStore(), limits=MediaLimits(max_inline_bytes=10))
    h.send("PUT", vm_url(), b"0123456789ABCDEF")
    response = h.send("GET", vm_url())
    assert response.status == 302
    assert response.headers["Location"].endswith("X-Amz-Expires=300")


def test_large_object_read_is_413_without_presigning() -> None:
    h = Harness(limits=MediaLimits(max_inline_bytes=10))
    h.send("PUT", vm_url(), b"0123456789ABCDEF")
    response = h.send("GET", vm_url())
    assert response.status == 413
    assert "16 bytes" in json.loads(response.body)["message"]


def test_read_of_missing_object_is_404() -> None:
    assert Harness().send("GET", vm_url()).status == 404


def test_text_that_is_not_utf8_is_served_as_binary() -> None:
    h = Harness()
    h.send("PUT", vm_url(name="x_test_credentials_file.txt"), b"\xff\xfe not utf-8")
    response = h.send("GET", vm_url(name="x_test_credentials_file.txt"))
    assert response.headers["Content-Type"] == "application/octet-stream"
    assert response.to_lambda_result()["isBase64Encoded"] is True


class ExplodingStore(InMemoryMediaStore):
    def fetch(self, key: str, *, max_bytes: int) -> FetchedMedia | None:
        raise KeyError("a bug")

    def put(self, obj: MediaObject) -> StoredObject:
        raise MediaUnavailable("down")


def test_unexpected_errors_are_5xx() -> None:
    assert Harness(ExplodingStore()).send("GET", vm_url()).status == 500
