"""One contract for every ``MediaStore``: the in-memory store and S3 (on moto)."""

from __future__ import annotations

from collections.abc import Iterator
from urllib.parse import urlsplit

import pytest

from pivotkit.aws.s3_media import S3MediaStore
from pivotkit.media.store import InMemoryMediaStore, MediaObject, MediaStore, sha256_b64
from tests.contract.moto_s3 import fresh_bucket, moto_session, new_s3_client
from tests.unit.media.audio import wav_bytes

KEY = "acme/recordings/4b1c0e9d2a3f4e5d6c7b8a9f0e1d2c3b/2024/05/call-1/call_recording_call-1.wav"


@pytest.fixture(scope="module")
def moto() -> Iterator[None]:
    with pytest.MonkeyPatch.context() as monkeypatch, moto_session(monkeypatch):
        yield


@pytest.fixture(params=["memory", "s3"])
def store(request: pytest.FixtureRequest) -> MediaStore:
    if request.param == "memory":
        return InMemoryMediaStore()
    request.getfixturevalue("moto")
    client = new_s3_client()
    return S3MediaStore(client, fresh_bucket(client))


def audio_object(key: str = KEY, body: bytes | None = None) -> MediaObject:
    data = body if body is not None else wav_bytes(0.25)
    return MediaObject(key, data, "audio/wav", {"call-id": "call-1", "caller-id-name": "Zo%C3%AB"})


def test_put_confirms_with_the_backend_checksum(store: MediaStore) -> None:
    obj = audio_object()
    confirmation = store.put(obj)
    assert confirmation.key == KEY
    assert confirmation.size == obj.size
    assert confirmation.sha256 == sha256_b64(obj.body) == obj.sha256


def test_fetch_returns_exact_bytes_type_and_metadata(store: MediaStore) -> None:
    obj = audio_object()
    store.put(obj)
    fetched = store.fetch(KEY, max_bytes=10_000_000)
    assert fetched is not None and fetched.body == obj.body
    assert fetched.info.size == obj.size
    assert fetched.info.content_type == "audio/wav"
    assert dict(fetched.info.metadata) == {"call-id": "call-1", "caller-id-name": "Zo%C3%AB"}


def test_put_replaces_the_object(store: MediaStore) -> None:
    store.put(audio_object(body=b"first"))
    store.put(audio_object(body=b"second"))
    fetched = store.fetch(KEY, max_bytes=100)
    assert fetched is not None and fetched.body == b"second"


def test_fetch_of_missing_key_is_none(store: MediaStore) -> None:
    assert store.fetch("acme/storage/none", max_bytes=100) is None


def test_fetch_over_max_bytes_gives_size_but_no_body(store: MediaStore) -> None:
    obj = audio_object()
    store.put(obj)
    fetched = store.fetch(KEY, max_bytes=obj.size - 1)
    assert fetched is not None
    assert fetched.body is None
    assert fetched.info.size == obj.size


def test_unicode_keys_round_trip(store: MediaStore) -> None:
    key = "acme/storage/4b1c0e9d2a3f4e5d6c7b8a9f0e1d2c3b/doc/Zoë message.mp3"
    store.put(MediaObject(key, b"\xff\xfb\x90audio", "audio/mpeg"))
    fetched = store.fetch(key, max_bytes=100)
    assert fetched is not None and fetched.body == b"\xff\xfb\x90audio"


@pytest.mark.parametrize(
    "metadata",
    [{"name": "Zoë"}, {"Upper": "x"}, {"name": "a\r\nb"}, {"big": "x" * 3000}],
    ids=["non-ascii value", "upper-case name", "control characters", "over 2 KB"],
)
def test_metadata_s3_would_refuse_is_refused(store: MediaStore, metadata: dict[str, str]) -> None:
    with pytest.raises(ValueError):
        store.put(MediaObject(KEY, b"x", "audio/wav", metadata))
    assert store.fetch(KEY, max_bytes=100) is None


def test_presigned_url_is_absent_or_points_at_the_object(store: MediaStore) -> None:
    store.put(audio_object())
    url = store.presigned_url(KEY, expires_in=300)
    if isinstance(store, InMemoryMediaStore):
        assert url is None
    else:
        assert url is not None
        parts = urlsplit(url)
        assert parts.scheme == "https"
        assert parts.path.endswith("/call_recording_call-1.wav")
