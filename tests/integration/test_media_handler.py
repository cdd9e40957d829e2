"""The media Lambda end to end on moto S3: every URL form Kazoo uses, read back, and refusals.

Events are built the way API Gateway's HTTP API builds them (rawPath, rawQueryString,
base64 body); URLs the way Kazoo builds them (tests/unit/media/kazoo.py); the audio is a
real WAV file. Every refusal is checked twice: its status, and that the bucket stayed empty.
"""

from __future__ import annotations

import importlib
import json
import re
import sys
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any
from urllib.parse import unquote, urlsplit

import pytest

from pivotkit.aws.composition import FunctionParts
from pivotkit.aws.lambda_entry import LambdaHandler
from pivotkit.aws.media_entry import make_media_handler
from pivotkit.aws.s3_media import S3MediaStore
from pivotkit.customers import StaticTokens
from pivotkit.deferred import QueuedDeferrer
from pivotkit.media.app import run_media_hook
from pivotkit.media.limits import MAX_MEDIA_BYTES
from tests.contract.moto_s3 import fresh_bucket, moto_session, new_s3_client, tamper_response
from tests.unit.media.audio import wav_bytes, wav_duration, wav_of_size
from tests.unit.media.events import http_api_event, response_bytes
from tests.unit.media.example_customer import SLUG, TOKEN, media_customer
from tests.unit.media.kazoo import (
    ACCOUNT_ID,
    OWNER_ID,
    multipart_body,
    read_url,
    record_call_url,
    record_caller_url,
    recording_fields,
    storage_url,
    voicemail_document,
)

if TYPE_CHECKING:
    from mypy_boto3_s3.client import S3Client

BASE = "https://k4z0m3d1a.execute-api.eu-west-1.amazonaws.com"
CALL_ID = "6a5b4c3d-2e1f-4a0b-9c8d-7e6f5a4b3c2d"
DOC = "202405-8c7d6e5f4a3b2c1d0e9f8a7b6c5d4e3f"
RECORDING_KEY = f"{SLUG}/recordings/{ACCOUNT_ID}/2024/05/{CALL_ID}/call_recording_{CALL_ID}.wav"


@dataclass
class MediaStack:
    handler: LambdaHandler
    s3: S3Client
    bucket: str
    posted: list[Mapping[str, Any]] = field(default_factory=list)
    # The hooks the handler sent on, run after each answer as the function's asynchronous
    # invocation of itself runs them deployed.
    deferred: QueuedDeferrer | None = None

    def send(
        self, method: str, url: str, body: bytes = b"", content_type: str | None = None
    ) -> dict[str, Any]:
        answer = self.handler(http_api_event(method, url, body, content_type), None)
        if self.deferred is not None:
            self.deferred.run_pending()
            assert self.deferred.failures == []
        return answer

    def keys(self) -> list[str]:
        listing = self.s3.list_objects_v2(Bucket=self.bucket)
        return sorted(item["Key"] for item in listing.get("Contents", []))


@pytest.fixture(scope="module")
def moto() -> Iterator[None]:
    with pytest.MonkeyPatch.context() as monkeypatch, moto_session(monkeypatch):
        yield


@pytest.fixture
def stack(moto: None) -> MediaStack:
    """The media handler as deployed, on its own bucket and client (event hooks stay local)."""
    s3 = new_s3_client()
    bucket = fresh_bucket(s3)
    posted: list[Mapping[str, Any]] = []
    env = {"PIVOTKIT_MEDIA_BUCKET": bucket, "PIVOTKIT_TOKENS": json.dumps({SLUG: [TOKEN]})}
    customers = {SLUG: media_customer(posted.append)}
    store = S3MediaStore(s3, bucket)
    deferred = QueuedDeferrer(lambda event: run_media_hook(customers, event, lambda: store))
    parts = FunctionParts(StaticTokens({SLUG: [TOKEN]}), None, deferred)
    handler = make_media_handler(env, customers=customers, s3_client=s3, parts=parts)
    return MediaStack(handler, s3, bucket, posted, deferred)


def _fields() -> dict[str, str]:
    return recording_fields(CALL_ID)


@dataclass(frozen=True)
class Form:
    upload: str  # the URL Kazoo sends the PUT/POST to
    key: str  # a regular expression for the S3 key
    read: str = ""  # the URL Kazoo reads the file back from (default: the upload URL)
    multipart: bool = False
    base64: bool = False
    method: str = "PUT"


def _recording_read(upload: str) -> str:
    """What a Crossbar fetch of a record_call recording makes Kazoo GET (see kazoo.read_url)."""
    name = f"call_recording_{CALL_ID}.wav"
    return read_url(upload, _fields()["recording_id"], name, metadata={"call_id": CALL_ID})


def _storage_read(upload: str, owner_id: str | None = None) -> str:
    metadata = {"folder": "new", "length": 4200, "caller_id_name": "Zoë"}
    return read_url(upload, DOC, _VM, owner_id=owner_id, metadata=metadata)


def _caller_key(account: str) -> str:
    # record_caller sends no date: the key's year/month are the arrival time's.
    return rf"{SLUG}/recordings/{account}/\d{{4}}/\d{{2}}/{CALL_ID}/{CALL_ID}\.wav"


_STORAGE_ROOT = f"{BASE}/media/{SLUG}/{TOKEN}"
_VM = "uploaded_file_63883756800.wav"

_RC_QUERY = f"{BASE}/media/{SLUG}/recordings?token={TOKEN}"
_RC_43 = record_call_url(_RC_QUERY, CALL_ID, "wav", _fields())
_RC_MASTER = record_call_url(_RC_QUERY, CALL_ID, "wav", _fields(), version="master")
_RC_GLUED = record_call_url(f"{BASE}/media/{SLUG}?token={TOKEN}&rec=", CALL_ID, "wav", _fields())
_RC_PATH = record_call_url(f"{BASE}/media/{SLUG}/{TOKEN}", CALL_ID, "wav", _fields())
_VM_URL = storage_url(_STORAGE_ROOT, DOC, _VM)
_VM_OWNED = storage_url(_STORAGE_ROOT, DOC, _VM, owner_id=OWNER_ID)
_VM_KEY = re.escape(f"{SLUG}/storage/{ACCOUNT_ID}/{DOC}/{_VM}")

FORMS = {
    "record_call query (4.3)": Form(_RC_43, re.escape(RECORDING_KEY), _recording_read(_RC_43)),
    "record_call query (master)": Form(
        _RC_MASTER, re.escape(RECORDING_KEY), _recording_read(_RC_MASTER)
    ),
    "record_call last parameter glued": Form(
        _RC_GLUED, re.escape(RECORDING_KEY), _recording_read(_RC_GLUED)
    ),
    "record_call path appended": Form(
        _RC_PATH, re.escape(RECORDING_KEY), _recording_read(_RC_PATH), method="POST"
    ),
    "record_caller with account": Form(
        record_caller_url(f"{_STORAGE_ROOT}/callers/{ACCOUNT_ID}", CALL_ID, "wav"),
        _caller_key(ACCOUNT_ID),
    ),
    "record_caller without account": Form(
        record_caller_url(f"{_STORAGE_ROOT}/callers", CALL_ID, "wav"),
        _caller_key("unknown_account"),
    ),
    "storage plan voicemail": Form(_VM_URL, _VM_KEY, _storage_read(_VM_URL)),
    "storage plan with owner": Form(
        _VM_OWNED,
        re.escape(f"{SLUG}/storage/{ACCOUNT_ID}/{OWNER_ID}/{DOC}/{_VM}"),
        _storage_read(_VM_OWNED, OWNER_ID),
        method="POST",
    ),
    "storage plan send_multipart": Form(_VM_URL, _VM_KEY, _storage_read(_VM_URL), multipart=True),
    "storage plan send_multipart + base64_encode_data": Form(
        _VM_URL, _VM_KEY, _storage_read(_VM_URL), multipart=True, base64=True, method="POST"
    ),
}


@pytest.mark.parametrize("form", FORMS.values(), ids=FORMS.keys())
def test_every_url_form_stores_real_audio_and_reads_it_back(stack: MediaStack, form: Form) -> None:
    audio = wav_bytes(0.5)
    body, content_type = audio, "audio/wav"
    if form.multipart:
        content_type, body = multipart_body(
            DOC,
            voicemail_document(DOC, CALL_ID),
            _VM,
            "audio/wav",
            audio,
            base64_encode_data=form.base64,
        )
    stored = stack.send(form.method, form.upload, body, content_type)
    assert stored["statusCode"] == 201, stored["body"]
    (key,) = stack.keys()
    assert re.fullmatch(form.key, key), key
    assert json.loads(stored["body"])["stored"] == key

    read = stack.send("GET", form.read or form.upload)
    assert read["statusCode"] == 200
    assert read["headers"]["Content-Type"] == "audio/wav"
    assert response_bytes(read) == audio
    assert wav_duration(response_bytes(read)) == pytest.approx(0.5)

    head = stack.s3.head_object(Bucket=stack.bucket, Key=key, ChecksumMode="ENABLED")
    assert head["ContentType"] == "audio/wav"
    assert head["ServerSideEncryption"] == "AES256"
    assert head["ContentLength"] == len(audio)
    assert all(value.isascii() for value in head["Metadata"].values())
    assert head["Metadata"]["account-id"] in (ACCOUNT_ID, "unknown_account")
    assert len(stack.posted) == 1  # the example hook ran once


def test_recording_metadata_reaches_s3(stack: MediaStack) -> None:
    stack.send("PUT", FORMS["record_call query (4.3)"].upload, wav_bytes(0.1), "audio/wav")
    metadata = stack.s3.head_object(Bucket=stack.bucket, Key=RECORDING_KEY)["Metadata"]
    assert unquote(metadata["caller-id-name"]) == "Zoë Müller"
    assert metadata["caller-id-number"] == "+15551239876"
    assert metadata["call-id"] == CALL_ID
    assert metadata["duration-ms"] == "4200"
    assert metadata["cdr-id"] == f"202405-{CALL_ID}"
    assert metadata["kazoo-source"] == "recording"


@pytest.mark.parametrize("base64_encode_data", [False, True], ids=["plain", "base64"])
def test_kazoo_storage_plan_check_succeeds(stack: MediaStack, base64_encode_data: bool) -> None:
    """cb_storage:validate_attachment_setting: PUT a random text file, GET it back, compare."""
    random = "3f2a1b0c9d8e7f6a5b4c3d2e1f0a9b8c"
    name = f"{random}_test_credentials_file.txt"
    content = f"some random content: {random}".encode()
    url = storage_url(_STORAGE_ROOT, "d0c", name)
    content_type, body = multipart_body(
        "d0c", {"att_uuid": "u"}, name, "text/plain", content, base64_encode_data=base64_encode_data
    )
    assert stack.send("POST", url, body, content_type)["statusCode"] == 201
    metadata = {"att_uuid": "u", "content": content.decode(), "request_id": "r1"}
    read = stack.send("GET", read_url(url, "d0c", name, metadata=metadata))
    assert read["statusCode"] == 200  # Kazoo accepts exactly 200 on reads
    assert response_bytes(read) == content


def test_voicemail_hook_posts_a_chat_line(stack: MediaStack) -> None:
    content_type, body = multipart_body(
        DOC, voicemail_document(DOC, CALL_ID), _VM, "audio/wav", wav_bytes(0.2)
    )
    stack.send("PUT", storage_url(_STORAGE_ROOT, DOC, _VM), body, content_type)
    (message,) = stack.posted
    assert message["text"] == (
        f"Voicemail from +15551239876, 4.2 s ({len(wav_bytes(0.2))} bytes): "
        f"{SLUG}/storage/{ACCOUNT_ID}/{DOC}/{_VM}"
    )


def test_largest_accepted_upload_and_first_refused_one(stack: MediaStack) -> None:
    url = storage_url(_STORAGE_ROOT, DOC, _VM)
    assert stack.send("PUT", url, wav_of_size(MAX_MEDIA_BYTES), "audio/wav")["statusCode"] == 201
    stack.s3.delete_object(Bucket=stack.bucket, Key=stack.keys()[0])
    refused = stack.send("PUT", url, wav_of_size(MAX_MEDIA_BYTES + 1), "audio/wav")
    assert refused["statusCode"] == 413
    message = json.loads(refused["body"])["message"]
    assert str(MAX_MEDIA_BYTES) in message and "time_limit" in message
    assert stack.keys() == []


GARBAGE_MULTIPART = b"--zz\r\ncontent-type: audio/wav\r\nno blank line, no end"

REFUSALS = {
    "wrong token (query)": (
        "PUT",
        FORMS["record_call query (4.3)"].upload.replace(TOKEN, "bad"),
        401,
    ),
    "wrong token (path)": ("PUT", storage_url(f"{BASE}/media/{SLUG}/bad", DOC, _VM), 401),
    "missing token": (
        "PUT",
        FORMS["record_call query (4.3)"].upload.replace(f"token={TOKEN}&", ""),
        401,
    ),
    "unknown customer": ("PUT", storage_url(f"{BASE}/media/nobody/{TOKEN}", DOC, _VM), 404),
    "traversal": ("PUT", f"{_STORAGE_ROOT}/{ACCOUNT_ID}/../../etc/passwd", 400),
    "encoded traversal": ("PUT", f"{_STORAGE_ROOT}/{ACCOUNT_ID}/%2e%2e/{DOC}/{_VM}", 400),
    "encoded slash": ("PUT", f"{_STORAGE_ROOT}/{ACCOUNT_ID}/{DOC}/..%2F..%2F{_VM}", 400),
    "backslash": ("PUT", f"{_STORAGE_ROOT}/{ACCOUNT_ID}/{DOC}/..%5C{_VM}", 400),
    "empty segment": ("PUT", f"{_STORAGE_ROOT}/{ACCOUNT_ID}//{_VM}", 400),
    "control character": ("PUT", f"{_STORAGE_ROOT}/{ACCOUNT_ID}/{DOC}/a%0Db.wav", 400),
    "wrong method DELETE": ("DELETE", storage_url(_STORAGE_ROOT, DOC, _VM), 405),
    "wrong method PATCH": ("PATCH", storage_url(_STORAGE_ROOT, DOC, _VM), 405),
}


@pytest.mark.parametrize(("method", "url", "status"), REFUSALS.values(), ids=REFUSALS.keys())
def test_refusals_store_nothing(stack: MediaStack, method: str, url: str, status: int) -> None:
    result = stack.send(method, url, wav_bytes(0.1), "audio/wav")
    assert result["statusCode"] == status
    assert json.loads(result["body"])["error"]
    assert stack.keys() == []
    assert stack.posted == []


def test_empty_body_stores_nothing(stack: MediaStack) -> None:
    result = stack.send("PUT", storage_url(_STORAGE_ROOT, DOC, _VM), b"", "audio/wav")
    assert result["statusCode"] == 400
    assert stack.keys() == []


def test_garbage_multipart_stores_nothing(stack: MediaStack) -> None:
    result = stack.send(
        "PUT",
        storage_url(_STORAGE_ROOT, DOC, _VM),
        GARBAGE_MULTIPART,
        "multipart/form-data; boundary=zz",
    )
    assert result["statusCode"] == 400
    assert stack.keys() == []


def test_checksum_s3_does_not_confirm_is_not_acknowledged(stack: MediaStack) -> None:
    tamper_response(stack.s3, "PutObject", lambda parsed: parsed.update(ChecksumSHA256="AAAA"))
    result = stack.send("PUT", storage_url(_STORAGE_ROOT, DOC, _VM), wav_bytes(0.1), "audio/wav")
    assert result["statusCode"] == 503  # Kazoo retries; the hook did not run
    assert stack.posted == []


def test_object_too_large_to_return_inline_is_redirected_to_s3(stack: MediaStack) -> None:
    key = f"{SLUG}/storage/{ACCOUNT_ID}/{DOC}/{_VM}"
    stack.s3.put_object(Bucket=stack.bucket, Key=key, Body=b"\0" * (MAX_MEDIA_BYTES + 1))
    result = stack.send("GET", _storage_read(_VM_URL))
    assert result["statusCode"] == 302  # kz_att_http:fetch_attachment follows 301/302
    location = urlsplit(result["headers"]["Location"])
    assert stack.bucket in location.netloc + location.path
    assert location.path.endswith(f"/{DOC}/{_VM}")


def test_functions_media_module_is_the_composed_handler(monkeypatch: pytest.MonkeyPatch) -> None:
    """The deployed entry point builds its handler from the environment at import."""
    monkeypatch.setenv("PIVOTKIT_TOKENS", json.dumps({SLUG: [TOKEN]}))
    for name in ("PIVOTKIT_MEDIA_BUCKET", "PIVOTKIT_CUSTOMER", "PIVOTKIT_TOKENS_SECRETS"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.delitem(sys.modules, "functions.media", raising=False)
    module = importlib.import_module("functions.media")
    result = module.handler(
        http_api_event("PUT", storage_url(f"{BASE}/media/zz_none/t", DOC, _VM), b"x"), None
    )
    assert result["statusCode"] == 404  # no customer by that name is deployed
    oversized = module.handler(
        http_api_event("PUT", storage_url(_STORAGE_ROOT, DOC, _VM), b"x" * (MAX_MEDIA_BYTES + 1)),
        None,
    )
    assert oversized["statusCode"] == 413
