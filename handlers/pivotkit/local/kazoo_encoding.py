"""Kazoo's side of a Pivot request: the parameters and HTTP request Kazoo would send.

Local tools (the call simulator, ``pivotkit events``, tests) use this to produce byte-for-byte
what Kazoo produces, so the decoder is exercised against Kazoo's real encoding rather than
against Python's idea of a form. Sources (docs/kazoo-notes.md, "The round trip" and "Keys and
values on the wire"; 2600hz/kazoo, 4.3 and master): ``kz_http_util:json_to_querystring/1`` and
``urlencode/2`` (form encoding), ``kzt_kazoo:req_params/1`` (parameter names and order),
``pivot_call:send_req/7`` and ``uri/2`` (GET vs POST, query appended with ``&``), and OTP
``httpc`` (transport headers).
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any, Final, Literal, TypeAlias
from urllib.parse import quote_plus, urlsplit, urlunsplit

from pivotkit.http import HttpRequest

# bytes: text Kazoo passes on byte for byte without it being UTF-8 (a Latin-1 phone's
# display name); the form encoder escapes each byte (docs/kazoo-notes.md).
KazooScalar: TypeAlias = str | int | float | bool | bytes
KazooValue: TypeAlias = KazooScalar | Sequence[KazooScalar] | Mapping[str, "KazooValue"]

FORM_CONTENT_TYPE: Final = "application/x-www-form-urlencoded"
JSON_CONTENT_TYPE: Final = "application/json"

# kzt_kazoo:req_params/1 always sends these two constants in kazoo format.
API_VERSION: Final = "4.x"
DIRECTION: Final = "inbound"


# --- form encoding (kz_http_util) -----------------------------------------------------------


def urlencode_value(text: str | bytes) -> str:
    """``kz_http_util:urlencode(V, legacy)``: space as ``+``, only ``A-Z a-z 0-9 . - ~ _``
    left as they are, every other byte (of UTF-8, or of ``bytes`` as they are) as
    upper-case ``%XX``.

    Python's ``quote_plus`` with nothing extra marked safe is exactly that set.
    """
    return quote_plus(text, safe="")


def scalar_text(value: KazooScalar) -> str:
    """A scalar as Kazoo writes it before encoding: booleans ``true``/``false``, numbers
    in their shortest form (``kz_term:to_binary``; master's float printing agrees with
    Python's ``repr`` for ordinary magnitudes, while 4.3 mangles floats: send strings)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return value
    if isinstance(value, bytes):
        raise TypeError("bytes are escaped as they are, not written as text")
    if isinstance(value, int | float):
        return repr(value)
    raise TypeError(f"Kazoo cannot form-encode a {type(value).__name__}")


def encode_form(params: Mapping[str, KazooValue]) -> str:
    """``kz_http_util:json_to_querystring/1``: Kazoo's form encoding of a JSON object.

    Keys are written as they are (never encoded); nested objects as ``Key[sub]=v``, lists
    as ``Key[]=v`` per element. An empty object or list contributes an empty segment,
    which is why Kazoo's query strings contain ``&&``. ``None`` is refused: Kazoo drops
    undefined values before encoding and crashes on a JSON ``null`` inside an object.
    """
    return "&".join(_encode_members(params, prefix=None))


def _encode_members(obj: Mapping[str, KazooValue], prefix: str | None) -> Iterator[str]:
    for key, value in obj.items():
        if not isinstance(key, str):
            raise TypeError("Kazoo parameter names are strings")
        yield _encode_member(key if prefix is None else f"{prefix}[{key}]", value)


def _encode_member(name: str, value: KazooValue) -> str:
    if isinstance(value, Mapping):
        return "&".join(_encode_members(value, prefix=name))
    if isinstance(value, list | tuple):
        return "&".join(f"{name}[]={_encoded(item)}" for item in value)
    if isinstance(value, str | int | float | bytes):  # bool is an int
        return f"{name}={_encoded(value)}"
    raise TypeError(f"Kazoo cannot form-encode a {type(value).__name__} (parameter {name})")


def _encoded(value: KazooScalar) -> str:
    return urlencode_value(value if isinstance(value, bytes) else scalar_text(value))


def encode_json(params: Mapping[str, KazooValue]) -> str:
    """``kz_json:encode/1`` (jiffy, no options): compact, UTF-8 as is, ``/`` unescaped."""
    return json.dumps(_plain(params), separators=(",", ":"), ensure_ascii=False)


def _plain(value: Any) -> Any:
    if isinstance(value, bytes):
        # What jiffy does with bytes that are not UTF-8 is not modelled: forms only.
        raise TypeError("raw bytes are modelled for form encoding only")
    if isinstance(value, Mapping):
        return {key: _plain(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(item) for item in value]
    return value


# --- the parameter set (kzt_kazoo:req_params) ------------------------------------------------


@dataclass(frozen=True, slots=True)
class KazooCall:
    """What Kazoo knows about a call when a pivot node runs; the defaults are an external
    caller dialling a DID.

    ``collections`` is the call's ``dtmf_collections``: ``None`` until a ``collect_dtmf``
    has stored something (then ``Digits`` is left out). Kazoo keeps every collection for
    the rest of the call, and so does ``with_digits``.
    """

    account_id: str
    call_id: str
    caller_id_name: str = "John Smith"
    caller_id_number: str = "+14155550123"
    from_user: str = "+14155550123"
    from_realm: str = "203.0.113.10"
    to_user: str = "+14155550199"
    to_realm: str = "10.0.0.5"
    request_user: str = "+14155550199"
    request_realm: str = "10.0.0.5"
    language: str | None = "en-us"
    user_ids: tuple[str, ...] = ()
    collections: Mapping[str, str] | None = None
    custom_application_vars: Mapping[str, KazooValue] = field(default_factory=dict)
    custom_sip_headers: Mapping[str, KazooValue] = field(default_factory=dict)
    call_status: str | None = None  # set by the TwiML translator only

    def with_digits(self, collection: str, digits: str) -> KazooCall:
        """The call after a ``collect_dtmf`` stored ``digits`` under ``collection``."""
        return replace(self, collections={**(self.collections or {}), collection: digits})

    def with_vars(self, variables: Mapping[str, KazooValue]) -> KazooCall:
        """The call after a ``set_variables`` (merged into the existing custom vars)."""
        merged = {**self.custom_application_vars, **variables}
        return replace(self, custom_application_vars=merged)


def kazoo_params(call: KazooCall) -> dict[str, KazooValue]:
    """``kzt_kazoo:req_params/1`` for ``call``, in Kazoo's order, undefined values left out.

    The order is the one in 4.3 and master (alphabetical by name). ``Custom-Application-Vars``
    and ``Custom-SIP-Headers`` are always objects, so empty ones still appear (as ``{}`` in
    JSON, as empty segments in a form). ``User-ID`` is a plain value for one owner and a
    list for several. The TwiML-only ``Recording-*``/``Transcription-*`` are never set.
    """
    owners: KazooValue | None
    if not call.user_ids:
        owners = None
    elif len(call.user_ids) == 1:
        owners = call.user_ids[0]
    else:
        owners = list(call.user_ids)
    ordered: list[tuple[str, KazooValue | None]] = [
        ("Account-ID", call.account_id),
        ("Api-Version", API_VERSION),
        ("Call-ID", call.call_id),
        ("Call-Status", call.call_status),
        ("Caller-ID-Name", call.caller_id_name),
        ("Caller-ID-Number", call.caller_id_number),
        ("Custom-Application-Vars", dict(call.custom_application_vars)),
        ("Custom-SIP-Headers", dict(call.custom_sip_headers)),
        ("Digits", None if call.collections is None else dict(call.collections)),
        ("Direction", DIRECTION),
        ("From", call.from_user),
        ("From-Realm", call.from_realm),
        ("Language", call.language),
        ("Request", call.request_user),
        ("Request-Realm", call.request_realm),
        ("To", call.to_user),
        ("To-Realm", call.to_realm),
        ("User-ID", owners),
    ]
    return {name: value for name, value in ordered if value is not None}


# --- the HTTP request (pivot_call:send_req) ---------------------------------------------------

Method: TypeAlias = Literal["GET", "POST"]
BodyFormat: TypeAlias = Literal["form", "json"]


@dataclass(frozen=True, slots=True)
class KazooHttpRequest:
    """An HTTP request as Kazoo's ``httpc`` puts it on the wire."""

    method: Method
    url: str  # absolute; on a GET it carries the parameters
    headers: tuple[tuple[str, str], ...]
    body: bytes = b""

    @property
    def host(self) -> str:
        return urlsplit(self.url).hostname or ""

    @property
    def path(self) -> str:
        return urlsplit(self.url).path or "/"

    @property
    def raw_query(self) -> str:
        return urlsplit(self.url).query

    def header(self, name: str) -> str | None:
        wanted = name.lower()
        return next((value for key, value in self.headers if key == wanted), None)

    def as_http_request(self, base_url: str | None = None) -> HttpRequest:
        """The request as the HTTP edge hands it to the engine (``pivotkit.http``); the
        base URL defaults to the request's own scheme and host."""
        parts = urlsplit(self.url)
        return HttpRequest(
            method=self.method,
            path=parts.path,
            raw_query=parts.query,
            headers=dict(self.headers),
            body=self.body,
            base_url=base_url or f"{parts.scheme}://{parts.netloc}",
        )


def pivot_http_request(
    call: KazooCall,
    voice_url: str,
    *,
    method: str = "get",
    req_body_format: str = "form",
) -> KazooHttpRequest:
    """The request a pivot node with this ``voice_url``, ``method`` and ``req_body_format``
    makes for ``call``.

    GET: parameters form-encoded onto the URL, after ``voice_url``'s own query and an ``&``
    (so a ``?token=`` survives). POST: the URL unchanged, the parameters as the body, with
    Content-Type the only header Kazoo itself sets. ``method`` is case-insensitive as in
    ``kzt_util:http_method``; ``req_body_format`` matters only for POST.
    """
    verb = method.lower()
    if verb not in ("get", "post"):
        raise ValueError("a pivot node's method is get or post")
    if req_body_format not in ("form", "json"):
        raise ValueError("a pivot node's req_body_format is form or json")
    params = kazoo_params(call)
    parts = urlsplit(voice_url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValueError("voice_url must be an absolute http(s) URL")
    if verb == "get":
        query = f"{parts.query}&{encode_form(params)}" if parts.query else encode_form(params)
        # httpc never sends the fragment.
        url = urlunsplit((parts.scheme, parts.netloc, parts.path, query, ""))
        return KazooHttpRequest("GET", url, _httpc_headers(parts.netloc, None, b""))
    if req_body_format == "json":
        body, content_type = encode_json(params).encode("utf-8"), JSON_CONTENT_TYPE
    else:
        body, content_type = encode_form(params).encode("utf-8"), FORM_CONTENT_TYPE
    url = urlunsplit((parts.scheme, parts.netloc, parts.path, parts.query, ""))
    return KazooHttpRequest("POST", url, _httpc_headers(parts.netloc, content_type, body), body)


def _httpc_headers(
    netloc: str, content_type: str | None, body: bytes
) -> tuple[tuple[str, str], ...]:
    """OTP httpc's request headers: lower-case names, an empty ``te`` and keep-alive; no
    User-Agent and no authentication (Kazoo signs nothing)."""
    host = netloc.rpartition("@")[2]  # userinfo never goes into Host
    headers = [] if content_type is None else [("content-type", content_type)]
    headers += [
        ("content-length", str(len(body))),
        ("te", ""),
        ("host", host),
        ("connection", "keep-alive"),
    ]
    return tuple(headers)
