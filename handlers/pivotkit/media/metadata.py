"""Kazoo's description of a media file, turned into S3 object metadata.

S3 carries user metadata as ``x-amz-meta-*`` headers: printable ASCII only and 2 KB in all.
Names here use hyphens (``caller-id-name``; some proxies drop header names with underscores)
and values are percent-encoded outside printable ASCII (``%`` itself included), so a caller
name like ``Zoë`` is stored as ``Zo%C3%AB`` and ``urllib.parse.unquote`` gives it back.
Fields are added in order of usefulness until the budget is spent; the full, unabridged
fields and document still reach the customer's ``on_media_stored`` hook.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Mapping
from typing import Any
from urllib.parse import quote

from pivotkit.media.paths import MediaTarget
from pivotkit.media.store import METADATA_LIMIT_BYTES

MAX_VALUE_BYTES = 256
# Kazoo document fields worth keeping, in this order (the voicemail "metadata" object first).
DOCUMENT_FIELDS: tuple[str, ...] = (
    "call_id",
    "caller_id_number",
    "caller_id_name",
    "from",
    "to",
    "timestamp",
    "length",
    "duration",
    "duration_ms",
    "folder",
    "media_id",
    "owner_id",
    "source_type",
    "source_id",
    "media_source",
    "name",
    "description",
    "utc_seconds",
    "id",
)
_SAFE = "".join(chr(c) for c in range(0x20, 0x7F) if chr(c) != "%")
_NAME_JUNK = re.compile(r"[^a-z0-9-]+")


def object_metadata(
    target: MediaTarget, document: Mapping[str, Any] | None = None
) -> dict[str, str]:
    """Metadata for the object ``target`` names; within S3's limits, most useful first."""
    metadata: dict[str, str] = {}
    budget = METADATA_LIMIT_BYTES
    for name, value in _candidates(target, document):
        meta_name = _NAME_JUNK.sub("-", name.lower().replace("_", "-")).strip("-")[:64]
        if not meta_name or meta_name in metadata:
            continue
        encoded = _encode(value)
        cost = len(meta_name) + len(encoded)
        if cost <= budget:
            metadata[meta_name] = encoded
            budget -= cost
    return metadata


def _candidates(
    target: MediaTarget, document: Mapping[str, Any] | None
) -> Iterator[tuple[str, str]]:
    yield "kazoo-source", target.kind.value
    yield "account-id", target.account_id
    yield "media-name", target.name
    if target.call_id:
        yield "call-id", target.call_id
    if target.owner_id:
        yield "owner-id", target.owner_id
    if target.doc_id:
        yield "doc-id", target.doc_id
    yield from target.fields.items()
    if document is not None:
        nested = document.get("metadata")
        if isinstance(nested, Mapping):
            yield from _scalars(nested, DOCUMENT_FIELDS)
        yield from _scalars(document, DOCUMENT_FIELDS)


def _scalars(source: Mapping[str, Any], names: Iterable[str]) -> Iterator[tuple[str, str]]:
    for name in names:
        value = source.get(name)
        if isinstance(value, bool):
            yield name, "true" if value else "false"
        elif isinstance(value, str | int | float) and value != "":
            yield name, str(value)


def _encode(value: str) -> str:
    encoded = quote(value, safe=_SAFE, encoding="utf-8", errors="surrogatepass")
    if len(encoded) <= MAX_VALUE_BYTES:
        return encoded
    cut = encoded[:MAX_VALUE_BYTES]
    # Never leave half a %XX escape at the end.
    tail = cut.rfind("%", len(cut) - 2)
    return cut[:tail] if tail >= 0 else cut
