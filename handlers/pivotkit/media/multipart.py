"""The multipart body of Kazoo's ``http`` storage handler with ``send_multipart``, parsed strictly.

What Kazoo sends (``kz_att_http:build_multipart_body`` and ``kz_http_util:encode_multipart``,
identical on 4.3 and master):

    Content-Type: multipart/form-data; boundary=<B>

    \\r\\n--<B>\\r\\n
    content-disposition: form-data; name=<doc id>\\r\\n
    content-type: application/json\\r\\n
    \\r\\n
    <the document's public fields as JSON>
    \\r\\n--<B>\\r\\n
    content-disposition: form-data; name=<attachment name>\\r\\n
    content-type: <type of the attachment>\\r\\n
    \\r\\n
    <the attachment, base64-encoded when the handler has base64_encode_data>
    \\r\\n--<B>--

Parameter values are not quoted and there is no trailing CRLF. The parser is a few exact
byte searches rather than the ``email`` package: audio is binary, can be megabytes, and must
come out byte for byte.

``base64_encode_data`` is not announced in the request (no Content-Transfer-Encoding), and
Kazoo does not decode on read (``kz_att_http:fetch_attachment`` returns the body as is), so
the file part is decoded here whenever it is canonical base64 — which real audio, TIFF and
PDF never are (they contain bytes outside the base64 alphabet), and the text Kazoo writes
when it tests a new storage plan (``some random content: ...``) is not either.
"""

from __future__ import annotations

import base64
import binascii
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from pivotkit.errors import BadRequest

MAX_PARTS = 8
MAX_HEADER_BYTES = 8 * 1024
MAX_METADATA_BYTES = 256 * 1024
_BOUNDARY = re.compile(r"^[\x21-\x7e][\x20-\x7e]{0,199}$")
_HEADER_NAME = re.compile(r"^[A-Za-z0-9!#$%&'*+.^_`|~-]+$")


@dataclass(frozen=True, slots=True)
class Part:
    headers: Mapping[str, str]  # lower-case names
    body: bytes = field(repr=False)

    @property
    def content_type(self) -> str:
        return self.headers.get("content-type", "").split(";", 1)[0].strip().lower()

    @property
    def name(self) -> str | None:
        return header_params(self.headers.get("content-disposition", "")).get("name")


@dataclass(frozen=True, slots=True)
class KazooUpload:
    """The attachment bytes and, when Kazoo sent one, its document (metadata) part."""

    data: bytes = field(repr=False)
    document: Mapping[str, Any] | None = None
    was_base64: bool = False


def is_multipart(content_type_header: str) -> bool:
    return content_type_header.split(";", 1)[0].strip().lower().startswith("multipart/")


def header_params(value: str) -> dict[str, str]:
    """``type; a=1; b="x y"`` -> ``{"a": "1", "b": "x y"}`` (names lower-cased)."""
    params: dict[str, str] = {}
    for item in value.split(";")[1:]:
        name, eq, raw = item.partition("=")
        if not eq:
            continue
        raw = raw.strip()
        if len(raw) >= 2 and raw[0] == raw[-1] == '"':
            raw = raw[1:-1].replace('\\"', '"').replace("\\\\", "\\")
        params[name.strip().lower()] = raw
    return params


def parse_multipart(body: bytes, content_type_header: str) -> list[Part]:
    """The parts of a multipart body; ``BadRequest`` for anything not well formed."""
    boundary = header_params(content_type_header).get("boundary", "")
    if not _BOUNDARY.match(boundary) or boundary.endswith(" "):
        raise BadRequest("multipart body without a usable boundary parameter")
    delimiter = b"\r\n--" + boundary.encode("ascii")
    # Seen from a leading CRLF, the first delimiter looks like all the others.
    data = b"\r\n" + body
    cursor = data.find(delimiter)
    if cursor < 0:
        raise BadRequest("multipart body does not contain its boundary")
    cursor += len(delimiter)
    parts: list[Part] = []
    while True:
        if data.startswith(b"--", cursor):
            break  # the close delimiter; anything after it is an epilogue
        line_end = data.find(b"\r\n", cursor)
        if line_end < 0 or data[cursor:line_end].strip(b" \t"):
            raise BadRequest("multipart delimiter is not followed by a line break")
        start = line_end + 2
        end = data.find(delimiter, start)
        if end < 0:
            raise BadRequest("multipart body ends without its closing boundary")
        parts.append(_part(data[start:end]))
        if len(parts) > MAX_PARTS:
            raise BadRequest(f"multipart body has more than {MAX_PARTS} parts")
        cursor = end + len(delimiter)
    if not parts:
        raise BadRequest("multipart body has no parts")
    return parts


def kazoo_upload(body: bytes, content_type_header: str, attachment_name: str) -> KazooUpload:
    """Pick Kazoo's document part and file part out of a multipart body."""
    parts = parse_multipart(body, content_type_header)
    files = [p for p in parts if p.name == attachment_name]
    if not files:
        files = [p for p in parts if p.content_type != "application/json"]
    if len(files) != 1:
        raise BadRequest("multipart body must hold exactly one attachment part")
    file_part = files[0]
    others = [p for p in parts if p is not file_part]
    documents = [p for p in others if p.content_type == "application/json"]
    if len(documents) > 1 or len(others) != len(documents):
        raise BadRequest("multipart body holds parts that are neither document nor attachment")
    document = _document(documents[0]) if documents else None
    data, was_base64 = _file_bytes(file_part)
    return KazooUpload(data, document, was_base64)


def _part(raw: bytes) -> Part:
    if raw.startswith(b"\r\n"):
        return Part({}, raw[2:])
    head_end = raw.find(b"\r\n\r\n")
    if head_end < 0 or head_end > MAX_HEADER_BYTES:
        raise BadRequest("multipart part has no header block")
    try:
        head = raw[:head_end].decode("utf-8")
    except UnicodeDecodeError:
        raise BadRequest("multipart part headers are not UTF-8") from None
    headers: dict[str, str] = {}
    for line in head.split("\r\n"):
        name, colon, value = line.partition(":")
        if not colon or not _HEADER_NAME.match(name):
            raise BadRequest("malformed multipart part header")
        headers[name.lower()] = value.strip()
    return Part(headers, raw[head_end + 4 :])


def _document(part: Part) -> Mapping[str, Any]:
    if len(part.body) > MAX_METADATA_BYTES:
        raise BadRequest(f"multipart metadata part is over {MAX_METADATA_BYTES} bytes")
    try:
        document = json.loads(part.body)
    except (UnicodeDecodeError, ValueError):
        raise BadRequest("multipart metadata part is not valid JSON") from None
    if not isinstance(document, dict):
        raise BadRequest("multipart metadata part is not a JSON object")
    return document


def _file_bytes(part: Part) -> tuple[bytes, bool]:
    declared = part.headers.get("content-transfer-encoding", "").strip().lower()
    if declared == "base64":
        compact = re.sub(rb"\s+", b"", part.body)
        try:
            return base64.b64decode(compact, validate=True), True
        except (binascii.Error, ValueError):
            raise BadRequest("attachment part is declared base64 but is not") from None
    if part.body and len(part.body) % 4 == 0:
        try:
            return base64.b64decode(part.body, validate=True), True
        except (binascii.Error, ValueError):
            pass  # raw bytes: the usual case
    return part.body, False
