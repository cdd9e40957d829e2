"""The ``MediaStore`` port: where media bytes live, and the in-memory implementation.

A store writes one object per key and must only return from ``put`` once the bytes are
durable, reporting the SHA-256 the backend itself computed or verified (``StoredObject``).
The media app compares that with its own digest before it answers Kazoo with a 2xx, so a
2xx always means "stored and checked". Any backend failure raises ``MediaUnavailable``
(a 503, which Kazoo retries).
"""

from __future__ import annotations

import base64
import hashlib
import re
import threading
from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Protocol

from pivotkit.errors import MediaUnavailable

DEFAULT_CONTENT_TYPE = "application/octet-stream"
# By file extension: what Kazoo records (mp3, wav), faxes (tiff, pdf), and the text file
# Kazoo writes and reads back when a storage plan is created (``*_test_credentials_file.txt``).
CONTENT_TYPES: Mapping[str, str] = MappingProxyType(
    {
        "mp3": "audio/mpeg",
        "wav": "audio/wav",
        "tif": "image/tiff",
        "tiff": "image/tiff",
        "pdf": "application/pdf",
        "txt": "text/plain",
    }
)


# S3 sends user metadata as HTTP headers: names are lower-case tokens, values printable ASCII,
# and all names and values together may hold at most 2 KB.
METADATA_LIMIT_BYTES = 2048
_METADATA_NAME = re.compile(r"^[a-z0-9][a-z0-9_-]{0,63}$")
_METADATA_VALUE = re.compile(r"^[\x20-\x7e]*$")


def check_metadata(metadata: Mapping[str, str]) -> None:
    """Refuse metadata S3 would refuse (or silently mangle), so every store behaves alike."""
    total = 0
    for name, value in metadata.items():
        if not _METADATA_NAME.match(name):
            raise ValueError(f"metadata name {name!r} is not a lower-case token")
        if not _METADATA_VALUE.match(value):
            raise ValueError(f"metadata {name!r} is not printable ASCII")
        total += len(name) + len(value)
    if total > METADATA_LIMIT_BYTES:
        raise ValueError(f"metadata is {total} bytes, over S3's {METADATA_LIMIT_BYTES}")


def content_type_for(name: str) -> str:
    _, dot, extension = name.rpartition(".")
    if not dot:
        return DEFAULT_CONTENT_TYPE
    return CONTENT_TYPES.get(extension.lower(), DEFAULT_CONTENT_TYPE)


def sha256_b64(data: bytes) -> str:
    """SHA-256 in the form S3 uses for ``ChecksumSHA256`` (base64 of the digest)."""
    return base64.b64encode(hashlib.sha256(data).digest()).decode("ascii")


@dataclass(frozen=True, slots=True)
class MediaObject:
    """What to store: the bytes and how to describe them."""

    key: str
    body: bytes = field(repr=False)
    content_type: str
    metadata: Mapping[str, str] = field(default_factory=dict)
    sha256: str = ""  # base64 SHA-256 of body; computed when left empty

    def __post_init__(self) -> None:
        if not self.sha256:
            object.__setattr__(self, "sha256", sha256_b64(self.body))
        object.__setattr__(self, "metadata", MappingProxyType(dict(self.metadata)))

    @property
    def size(self) -> int:
        return len(self.body)


@dataclass(frozen=True, slots=True)
class StoredObject:
    """The backend's confirmation of a write."""

    key: str
    size: int
    sha256: str | None  # as the backend reported it; None when it reported none
    version: str | None = None  # ETag or version id, for logs
    encryption: str | None = None  # e.g. "AES256" or "aws:kms"


@dataclass(frozen=True, slots=True)
class MediaInfo:
    key: str
    size: int
    content_type: str
    metadata: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class FetchedMedia:
    """A read: ``body`` is None when the object is larger than the caller's ``max_bytes``."""

    info: MediaInfo
    body: bytes | None = field(default=None, repr=False)


class MediaStore(Protocol):
    def put(self, obj: MediaObject) -> StoredObject:
        """Store ``obj`` (replacing any object under its key); return once it is durable."""
        ...

    def fetch(self, key: str, *, max_bytes: int) -> FetchedMedia | None:
        """The object under ``key`` (None if there is none); the body only up to ``max_bytes``."""
        ...

    def presigned_url(self, key: str, *, expires_in: int) -> str | None:
        """A short-lived URL that serves the object directly, or None if the store has none."""
        ...


class InMemoryMediaStore:
    """A dict of objects: tests and local serving. Thread-safe (the local server is threaded)."""

    def __init__(self) -> None:
        self._objects: dict[str, MediaObject] = {}
        self._lock = threading.Lock()
        self.writes = 0
        # Set to make the next writes fail, as a backend outage would.
        self.fail_writes = False

    def put(self, obj: MediaObject) -> StoredObject:
        check_metadata(obj.metadata)
        with self._lock:
            if self.fail_writes:
                raise MediaUnavailable("media store is unavailable")
            self.writes += 1
            self._objects[obj.key] = obj
        return StoredObject(obj.key, obj.size, sha256_b64(obj.body), version=str(self.writes))

    def fetch(self, key: str, *, max_bytes: int) -> FetchedMedia | None:
        with self._lock:
            obj = self._objects.get(key)
        if obj is None:
            return None
        info = MediaInfo(key, obj.size, obj.content_type, obj.metadata)
        return FetchedMedia(info, obj.body if obj.size <= max_bytes else None)

    def presigned_url(self, key: str, *, expires_in: int) -> str | None:
        return None

    def keys(self) -> list[str]:
        with self._lock:
            return sorted(self._objects)
