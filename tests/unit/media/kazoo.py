"""What Kazoo sends to a media URL, rebuilt from its source for tests.

- ``record_call_url``: ``kzc_recording:handler_fields_for_protocol`` (4.3) and
  ``media_recording`` (master) with ``kz_att_http:put_attachment``'s base separator;
- ``record_caller_url``: ``ecallmgr_fs_recordings`` (``<url>/<media name>``);
- ``storage_url``: ``kz_att_util:default_format_url_fields`` and, for reads, the document
  metadata appended as a query (``kz_att_http:fetch_attachment``);
- ``multipart_body``: ``kz_att_http:build_multipart_body`` + ``kz_http_util:encode_multipart``.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Mapping
from typing import Any
from urllib.parse import quote, urlencode, urlsplit

ACCOUNT_ID = "4b1c0e9d2a3f4e5d6c7b8a9f0e1d2c3b"
OWNER_ID = "0123456789abcdef0123456789abcdef"
# cowlib's boundary is base64 of random bytes: '+' and '/' are fair game.
BOUNDARY = "Zx9/k+TQ2bLr0mV8wq3NhYc4sJd6pEfGaU1oIiK7tXyRzW5lC0vB2nM8eHjA+/ab"

FIELDS_43 = (
    "from",
    "to",
    "caller_id_name",
    "caller_id_number",
    "call_id",
    "cdr_id",
    "interaction_id",
    "owner_id",
    "account_id",
    "start",
    "duration_ms",
    "recording_id",
)
FIELDS_MASTER = (*FIELDS_43[:7], "account_id")


def http_uri_encode(value: str) -> str:
    """OTP's ``http_uri:encode``: unreserved characters stay, everything else is %XX."""
    return quote(value, safe="-_.!~*'()")


def recording_fields(call_id: str, **overrides: str) -> dict[str, str]:
    fields = {
        "from": "1001@acme.sip.example.com",
        "to": "+15551230000@acme.sip.example.com",
        "caller_id_name": "Zoë Müller",
        "caller_id_number": "+15551239876",
        "call_id": call_id,
        "cdr_id": f"202405-{call_id}",
        "interaction_id": "63883756800-a1b2c3d4",
        "owner_id": "",
        "account_id": ACCOUNT_ID,
        "start": "63883756800",  # gregorian seconds: 2024-05-... UTC
        "duration_ms": "4200",
        "recording_id": "202405-0f0e0d0c0b0a09080706050403020100",
    }
    fields.update(overrides)
    return fields


def record_call_url(
    url: str, call_id: str, ext: str, fields: Mapping[str, str], *, version: str = "4.3"
) -> str:
    """The URL Kazoo PUTs a ``record_call`` recording to, for a node whose ``url`` is ``url``."""
    base = url.rstrip("/")
    query = urlsplit(base).query
    if not query:
        glue, joiner, separator = "", "?", "/"
    else:
        _name, eq, value = query.split("&")[-1].partition("=")
        glue = "=" if not eq else ("" if value == "" else "&recording=")
        joiner, separator = "&", ""
    names = FIELDS_43 if version == "4.3" else FIELDS_MASTER
    pairs = "&".join(f"{n}={http_uri_encode(fields.get(n, ''))}" for n in names)
    segment = f"{glue}call_recording_{http_uri_encode(call_id)}.{ext}{joiner}{pairs}"
    return f"{base}{separator}{segment}"


def record_caller_url(url: str, call_id: str, ext: str) -> str:
    return f"{url.rstrip('/')}/{call_id}.{ext}"


def storage_url(
    url: str,
    doc_id: str,
    name: str,
    *,
    account_id: str = ACCOUNT_ID,
    owner_id: str | None = None,
    metadata: Mapping[str, Any] | None = None,
) -> str:
    parts = [account_id, *([owner_id] if owner_id else []), doc_id, name]
    full = url.rstrip("/") + "/" + "/".join(http_uri_encode(p) for p in parts)
    if metadata:
        full += "?" + urlencode({k: str(v) for k, v in metadata.items()})
    return full


def read_url(
    stored_url: str,
    doc_id: str,
    name: str,
    *,
    account_id: str = ACCOUNT_ID,
    owner_id: str | None = None,
    metadata: Mapping[str, Any] | None = None,
) -> str:
    """The URL Kazoo GETs to read back a file it stored at ``stored_url`` (4.3 and master
    since 2020, ``kz_att_http:fetch_attachment``): the stored URL (as the attachment stub
    keeps it) plus the default URL fields again, then the document's metadata as a query."""
    base = stored_url.rstrip("/")
    query = urlsplit(base).query
    parts = [account_id, *([owner_id] if owner_id else []), doc_id, name]
    url = base + ("" if query else "/") + "/".join(http_uri_encode(p) for p in parts)
    if metadata:
        url += ("&" if query else "?") + urlencode({k: str(v) for k, v in metadata.items()})
    return url


def multipart_body(
    doc_id: str,
    document: Mapping[str, Any],
    name: str,
    content_type: str,
    data: bytes,
    *,
    base64_encode_data: bool = False,
    boundary: str = BOUNDARY,
) -> tuple[str, bytes]:
    """(Content-Type header, body) exactly as Kazoo's http storage handler builds them."""
    payload = base64.b64encode(data) if base64_encode_data else data
    parts = [
        (
            json.dumps(document, separators=(",", ":")).encode(),
            [
                ("content-disposition", f"form-data; name={doc_id}"),
                ("content-type", "application/json"),
            ],
        ),
        (
            payload,
            [("content-disposition", f"form-data; name={name}"), ("content-type", content_type)],
        ),
    ]
    body = b""
    for part_body, headers in parts:
        head = "".join(f"{k}: {v}\r\n" for k, v in headers).encode() + b"\r\n"
        body += b"\r\n--" + boundary.encode() + b"\r\n" + head + part_body
    body += b"\r\n--" + boundary.encode() + b"--"
    return f"multipart/form-data; boundary={boundary}", body


def voicemail_document(doc_id: str, call_id: str) -> dict[str, Any]:
    """A mailbox message document's public fields, shaped like storage.http.md shows."""
    return {
        "name": "mailbox 1010 message 05-14-2024 09:30:00",
        "description": "voicemail message with media",
        "source_type": "voicemail",
        "source_id": "a1b2c3d4e5f60718293a4b5c6d7e8f90",
        "media_source": "recording",
        "streamable": True,
        "utc_seconds": 63883756800,
        "metadata": {
            "timestamp": 63883756800,
            "from": "+15551239876@acme.sip.example.com",
            "to": "1010@acme.sip.example.com",
            "caller_id_number": "+15551239876",
            "caller_id_name": "Zoë Müller",
            "call_id": call_id,
            "folder": "new",
            "length": 4200,
            "media_id": doc_id,
        },
        "id": doc_id,
    }
