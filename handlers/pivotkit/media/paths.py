"""Media URLs: which upload form a request is, who it is for, and the S3 key it maps to.

Kazoo reaches ``/media/{customer}/...`` in these shapes (docs/media.md, "Kazoo behaviour
this relies on"):

- ``record_call`` with a query in its url (the kit's form): ``.../recordings?token=T`` becomes
  ``.../recordings?token=T&recording=call_recording_<call>.<ext>&from=...``. When the url's
  last parameter ends in ``=`` Kazoo glues the file name onto it instead (``&file=`` gives
  ``&file=call_recording_...``), so the name is taken from ``recording`` or else from any
  parameter whose value looks like a recording name.
- ``record_call`` without a query: ``.../{token}/call_recording_<call>.<ext>?from=...``.
- ``record_caller``: ``.../{token}/callers[/{account}]/<call>.<ext>`` (no query at all).
- a storage plan's ``http`` handler: ``.../{token}/{account}/[{owner}/]{doc}/{name}``, PUT or
  POST to store and GET (with the document's metadata as a query) to read back. Kazoo's read
  repeats the ``{account}/.../{name}`` tail (on a URL with a query it glues it onto the last
  parameter); see ``_one_copy`` and ``_without_glued_tail``.

The query is read only for ``record_call`` uploads; a storage-plan read's metadata query is
ignored. Every path segment is percent-decoded exactly once and must then be a plain name:
no ``.`` or ``..``, no slash or backslash (encoded or not), no control characters, at most
255 bytes. Anything else is a 400 before a single byte is stored.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from enum import StrEnum
from types import MappingProxyType
from urllib.parse import parse_qsl, unquote

from pivotkit.customers import SLUG_PATTERN
from pivotkit.errors import BadRequest, NotFound, Unauthorized

MEDIA_ROOT = "media"
RECORDINGS_SEGMENT = "recordings"
CALLERS_SEGMENT = "callers"
# The object keys' first level under the customer (``<customer>/recordings/...``).
RECORDINGS_KEY_PREFIX = "recordings"
STORAGE_KEY_PREFIX = "storage"
# Kazoo formats a document without an account this way (kz_att_util:format_url_from_metadata).
UNKNOWN_ACCOUNT = "unknown_account"

# The query fields Kazoo 4.3 adds to a record_call upload (master sends the first nine).
RECORDING_FIELDS: tuple[str, ...] = (
    "from",
    "to",
    "caller_id_name",
    "caller_id_number",
    "call_id",
    "cdr_id",
    "interaction_id",
    "account_id",
    "owner_id",
    "start",
    "duration_ms",
    "recording_id",
)

MAX_SEGMENT_BYTES = 255
MAX_KEY_BYTES = 1024  # S3's key limit
MAX_QUERY_FIELDS = 256
MAX_QUERY_CHARS = 16 * 1024
# Kazoo's gregorian seconds (since year 0) minus Unix seconds.
GREGORIAN_UNIX_OFFSET = 62_167_219_200

# The query fields of every target but a record_call upload's: none.
_NO_FIELDS: Mapping[str, str] = MappingProxyType({})

ACCOUNT_ID = re.compile(r"^(?:[0-9a-f]{32}|unknown_account)$")
_RECORDING_NAME = re.compile(r"^call_recording_(?P<call_id>.+)\.(?P<ext>[A-Za-z0-9]{1,8})$")
_MEDIA_FILE = re.compile(r"^(?P<stem>.+)\.(?P<ext>[A-Za-z0-9]{1,8})$")
_BAD_ESCAPE = re.compile(r"%(?![0-9A-Fa-f]{2})")
_ENCODED_SEPARATOR = re.compile(r"%(?:2f|5c)", re.IGNORECASE)
# A Kazoo CDR id starts with the year and month of the call (kazoo_modb prefix).
_CDR_PERIOD = re.compile(r"^(?P<year>20\d\d)(?P<month>0[1-9]|1[0-2])-")

SHAPES_HELP = (
    "expected /media/{customer}/recordings?token=..&recording=call_recording_<call>.<ext>, "
    "/media/{customer}/{token}/call_recording_<call>.<ext>, "
    "/media/{customer}/{token}/callers[/{account}]/<call>.<ext> or "
    "/media/{customer}/{token}/{account}/[{owner}/]{doc}/{name}"
)


class MediaKind(StrEnum):
    RECORDING = "recording"  # record_call
    CALLER = "caller"  # record_caller
    STORAGE = "storage"  # an account storage plan (voicemail, fax, ...)


@dataclass(frozen=True, slots=True)
class MediaTarget:
    """One media request, resolved: who, which object, and what Kazoo said about it."""

    customer: str
    token: str
    kind: MediaKind
    account_id: str
    name: str
    key: str
    call_id: str | None = None
    owner_id: str | None = None
    doc_id: str | None = None
    # Kazoo's query fields of a recording upload, decoded (empty for the other kinds).
    fields: Mapping[str, str] = field(default_factory=dict)


def parse_media_request(path: str, raw_query: str, *, now: float) -> MediaTarget:
    """Resolve a media request, or raise ``BadRequest`` / ``NotFound`` / ``Unauthorized``.

    ``now`` (Unix seconds) dates recordings that carry no date of their own.
    """
    segments = _segments(path)
    if len(segments) < 2 or segments[0] != MEDIA_ROOT or not SLUG_PATTERN.match(segments[1]):
        raise NotFound("no such media endpoint")
    customer, rest = segments[1], segments[2:]
    if len(rest) <= 1 and (not rest or rest[0] == RECORDINGS_SEGMENT):
        query = _query_pairs(raw_query)
        query_token = _first(query, "token")
        if query_token is None:
            raise Unauthorized("missing or wrong token")
        return _recording(customer, query_token, _query_recording_name(query), query, now)
    token, rest = rest[0], _one_copy(rest[1:])
    if len(rest) == 1:
        name = rest[0]
        if _RECORDING_NAME.match(name):
            return _recording(customer, token, name, _query_pairs(raw_query), now)
        return _caller(customer, token, UNKNOWN_ACCOUNT, name, now)
    if rest and rest[0] == CALLERS_SEGMENT and len(rest) in (2, 3):
        account = rest[1] if len(rest) == 3 else UNKNOWN_ACCOUNT
        return _caller(customer, token, account, rest[-1], now)
    if len(rest) in (3, 4):
        owner = rest[1] if len(rest) == 4 else None
        return _storage(customer, token, rest[0], owner, rest[-2], rest[-1])
    raise BadRequest(f"unrecognised media path; {SHAPES_HELP}")


def check_name(value: str, what: str) -> str:
    """A name usable as one key segment: not empty, ``.``/``..``, separators or controls."""
    if not value:
        raise BadRequest(f"{what} is empty")
    if value in (".", ".."):
        raise BadRequest(f"{what} may not be '.' or '..'")
    if "/" in value or "\\" in value:
        raise BadRequest(f"{what} may not contain a slash or backslash")
    if any(ord(c) < 0x20 or 0x7F <= ord(c) < 0xA0 for c in value):
        raise BadRequest(f"{what} may not contain control characters")
    if len(value.encode("utf-8", "surrogatepass")) > MAX_SEGMENT_BYTES:
        raise BadRequest(f"{what} is longer than {MAX_SEGMENT_BYTES} bytes")
    return value


def _segments(path: str) -> list[str]:
    if not path.startswith("/"):
        raise NotFound("no such media endpoint")
    if _ENCODED_SEPARATOR.search(path):
        raise BadRequest("encoded slashes or backslashes are not allowed in media paths")
    if _BAD_ESCAPE.search(path):
        raise BadRequest("malformed percent-encoding in the path")
    raw_segments = path[1:].split("/")
    if any(not segment for segment in raw_segments):
        raise BadRequest("empty path segment (a name is required between slashes)")
    decoded = []
    for raw in raw_segments:
        try:
            text = unquote(raw, encoding="utf-8", errors="strict")
        except UnicodeDecodeError:
            raise BadRequest("path is not valid UTF-8 after percent-decoding") from None
        decoded.append(check_name(text, "a path segment"))
    return decoded


def _one_copy(rest: list[str]) -> list[str]:
    """Kazoo (4.3 and master since 2020, ``kz_att_http:fetch_attachment``) reads a file back
    from the URL it stored it at *plus* ``<account>/[<owner>/]<doc>/<name>`` once more: a
    storage-plan read arrives with that tail twice. Keep one copy."""
    half = len(rest) // 2
    if len(rest) in (6, 8) and rest[:half] == rest[half:]:
        return rest[:half]
    return rest


def _without_glued_tail(fields: dict[str, str]) -> dict[str, str]:
    """Undo the same read quirk on a recording URL, which has a query: there Kazoo glues
    ``<account>/[<owner>/]<doc>/<name>`` onto the last field it sent (``account_id`` on
    master, ``recording_id`` on 4.3). No genuine value of those fields contains a slash."""
    account = fields.get("account_id", "")
    if "/" in account:
        head = account.split("/", 1)[0]
        half = len(head) // 2
        fields["account_id"] = account = head[:half] if head[:half] == head[half:] else head
    for name, value in fields.items():
        head = value.split("/", 1)[0]
        if name != "account_id" and "/" in value and account and head.endswith(account):
            fields[name] = head[: -len(account)]
    return fields


def _query_pairs(raw_query: str) -> list[tuple[str, str]]:
    if not raw_query:
        return []
    if len(raw_query) > MAX_QUERY_CHARS:
        raise BadRequest(f"query string is longer than {MAX_QUERY_CHARS} characters")
    try:
        return parse_qsl(
            raw_query,
            keep_blank_values=True,
            encoding="utf-8",
            errors="strict",
            max_num_fields=MAX_QUERY_FIELDS,
        )
    except UnicodeDecodeError:
        raise BadRequest("query string is not valid UTF-8 after percent-decoding") from None
    except ValueError:
        raise BadRequest(f"query string has more than {MAX_QUERY_FIELDS} fields") from None


def _first(pairs: Sequence[tuple[str, str]], name: str) -> str | None:
    """The first non-empty value of ``name`` (Kazoo's GET adds metadata that may repeat it)."""
    return next((value for key, value in pairs if key == name and value), None)


def _query_recording_name(pairs: Sequence[tuple[str, str]]) -> str:
    named = _first(pairs, "recording")
    if named is not None:
        return named
    # The "glued" form: the url's last parameter ended in "=" and took the file name.
    for key, value in pairs:
        if key != "token" and _RECORDING_NAME.match(value):
            return value
    raise BadRequest(
        "no recording file name in the query (expected recording=call_recording_<call>.<ext>)"
    )


def _recording(
    customer: str, token: str, name: str, pairs: Sequence[tuple[str, str]], now: float
) -> MediaTarget:
    name = check_name(name, "the recording file name")
    fields = {f: v for f in RECORDING_FIELDS if (v := _first(pairs, f)) is not None}
    fields = _without_glued_tail(fields)
    match = _RECORDING_NAME.match(name)
    call_id = fields.get("call_id") or (match.group("call_id") if match else None)
    if call_id is None:
        raise BadRequest("recording upload names no call (call_id or call_recording_<call>.<ext>)")
    call_id = check_name(call_id, "call_id")
    return _target(
        customer,
        token,
        MediaKind.RECORDING,
        fields.get("account_id") or UNKNOWN_ACCOUNT,
        (*_recording_period(fields, now), call_id),
        name,
        call_id=call_id,
        owner_id=fields.get("owner_id") or None,
        fields=MappingProxyType(fields),
    )


def _caller(customer: str, token: str, account: str, name: str, now: float) -> MediaTarget:
    match = _MEDIA_FILE.match(name)
    if match is None:
        raise BadRequest(f"record_caller file name must be <call id>.<ext>; {SHAPES_HELP}")
    call_id = check_name(match.group("stem"), "call id")
    folders = (*_month_of(now), call_id)
    return _target(customer, token, MediaKind.CALLER, account, folders, name, call_id=call_id)


def _storage(
    customer: str, token: str, account: str, owner: str | None, doc: str, name: str
) -> MediaTarget:
    folders = (owner, doc) if owner else (doc,)
    return _target(
        customer, token, MediaKind.STORAGE, account, folders, name, owner_id=owner, doc_id=doc
    )


def _target(
    customer: str,
    token: str,
    kind: MediaKind,
    account: str,
    folders: tuple[str, ...],
    name: str,
    *,
    call_id: str | None = None,
    owner_id: str | None = None,
    doc_id: str | None = None,
    fields: Mapping[str, str] = _NO_FIELDS,
) -> MediaTarget:
    """Every kind's object key has one layout: ``<customer>/<recordings or storage>/<account>/
    <folders...>/<name>`` (recordings by year, month and call; storage by owner and doc)."""
    account = _account(account)
    prefix = STORAGE_KEY_PREFIX if kind is MediaKind.STORAGE else RECORDINGS_KEY_PREFIX
    return MediaTarget(
        customer=customer,
        token=token,
        kind=kind,
        account_id=account,
        name=name,
        key=_key(customer, prefix, account, *folders, name),
        call_id=call_id,
        owner_id=owner_id,
        doc_id=doc_id,
        fields=fields,
    )


def _account(value: str) -> str:
    account = value.lower()
    if not ACCOUNT_ID.match(account):
        raise BadRequest("account id must be 32 hexadecimal characters")
    return account


def _recording_period(fields: Mapping[str, str], now: float) -> tuple[str, str]:
    """Year and month of a recording, from what Kazoo sent so a retry maps to the same key.

    Both 4.3 and master send ``cdr_id`` (``YYYYMM-<call id>``); 4.3 also sends ``start``
    (gregorian seconds). Only when neither is usable does the arrival time decide.
    """
    cdr = _CDR_PERIOD.match(fields.get("cdr_id", ""))
    if cdr is not None:
        return cdr.group("year"), cdr.group("month")
    start = fields.get("start", "")
    if start.isascii() and start.isdigit() and len(start) <= 12:
        seconds = int(start)
        if seconds > GREGORIAN_UNIX_OFFSET:
            seconds -= GREGORIAN_UNIX_OFFSET
        try:
            moment = datetime.fromtimestamp(seconds, UTC)
        except (OverflowError, OSError, ValueError):
            return _month_of(now)
        if 2000 <= moment.year <= 2999:
            return f"{moment:%Y}", f"{moment:%m}"
    return _month_of(now)


def _month_of(seconds: float) -> tuple[str, str]:
    """Year and month (UTC) of a Unix time, as a recording key spells them."""
    moment = datetime.fromtimestamp(seconds, UTC)
    return f"{moment:%Y}", f"{moment:%m}"


def _key(*parts: str) -> str:
    key = "/".join(parts)
    if len(key.encode("utf-8", "surrogatepass")) > MAX_KEY_BYTES:
        raise BadRequest(f"media key would be longer than S3's {MAX_KEY_BYTES} bytes")
    return key
