"""Kazoo Pivot request decoding: wire parameters in, a frozen ``PivotRequest`` out.

Kazoo sends the same parameter set three ways (docs/kazoo-notes.md, "The round trip"): a GET
query string appended to ``voice_url``'s own query, a POST form body, or a POST JSON body. Form
encoding is Kazoo's ``kz_http_util:json_to_querystring``: values percent-encoded with ``+`` for
space, keys *not* encoded, nested objects flattened PHP-style (``Digits[menu]=1``), lists as
``User-ID[]=a&User-ID[]=b``, and empty objects leaving empty segments (``&&&``).
``parse_params`` reverses that; ``decode_pivot_request`` picks the source by method and content
type; ``PivotRequest`` gives the result typed names.

pivotkit's own continuation parameters (``token``, ``step``, ``seq``, ``hop``, ``g``; see
``pivotkit.flow``) live in ``voice_url``'s query string. They are never Kazoo parameters, so
no ``PivotRequest`` field reads them; on a GET they share the query string with Kazoo's
parameters and so also appear in ``PivotRequest.raw``. ``query_params`` is how the engine
reads them, on GET and POST alike.

Every failure is a ``pivotkit.errors.ClientError`` (a 4xx), whatever the input bytes: the
decoder sits on the request path and must never turn garbage into a 500.
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any, Final, TypeAlias
from urllib.parse import unquote_to_bytes

from pivotkit.errors import BadRequest, MethodNotAllowed, NotAPivotRequest, UnsupportedMediaType
from pivotkit.escaping import escaped
from pivotkit.http import JSON_CONTENT_TYPE, HttpRequest

FORM_CONTENT_TYPE: Final = "application/x-www-form-urlencoded"

logger = logging.getLogger("pivotkit.request")

# Kazoo nests at most two levels (``Custom-SIP-Headers[Name]``); anything near this limit is
# not Kazoo and would only cost us time.
MAX_DEPTH: Final = 8
# A real Pivot request carries a few dozen parameters.
MAX_PARAMS: Final = 1000

# Kazoo account ids are ``kz_binary:rand_hex(16)``: 32 lower-case hex digits (they also name
# CouchDB databases, which must be lower case).
ACCOUNT_ID_PATTERN: Final = re.compile(r"[0-9a-f]{32}")

# Call-ID becomes part of a DynamoDB key; SIP Call-IDs are far shorter than this in practice.
MAX_CALL_ID_LENGTH: Final = 512

# Free text that reaches Kazoo from the caller's side (the SIP display name, SIP header
# values, channel variables) and that Kazoo passes on byte for byte, UTF-8 or not
# (docs/kazoo-notes.md, "Text that is not UTF-8"). Their values are decoded leniently: a
# byte that is not part of UTF-8 is read as Latin-1 when it is a printable Latin-1
# character (0xA0-0xFF) and as U+FFFD otherwise, so a stray byte in a caller's name never
# costs the call. Everything else (ids, numbers, realms, digits, the continuation
# parameters and every key) is an identifier and stays strict: not UTF-8 is a 400.
DISPLAY_FIELDS: Final = frozenset(
    {"Caller-ID-Name", "Custom-Application-Vars", "Custom-SIP-Headers", "Transcription-Text"}
)

_BAD_ESCAPE = re.compile(r"%(?![0-9A-Fa-f]{2})")
# A JSON \u escape for a UTF-16 surrogate; only then can json.loads yield an unpaired one.
_SURROGATE_ESCAPE = re.compile(r"\\u[dD][89a-fA-F]")
# Runs of escapes. Each pattern starts with a literal "%" outside any group, which lets
# the regular expression engine skip ahead to the next "%" (several times faster).
_ESCAPE_RUN = re.compile(r"%[0-9A-Fa-f]{2}(?:%[0-9A-Fa-f]{2})*")
# Every escape but the held-back %25 ("%"), %26 ("&") and %3D ("="), as character classes.
_NOT_HELD_BACK = r"%(?:[014-9A-Fa-f][0-9A-Fa-f]|2[0-47-9A-Fa-f]|3[0-9A-Ca-cEeFf])"
_ESCAPE_RUN_NOT_HELD_BACK = re.compile(f"{_NOT_HELD_BACK}(?:{_NOT_HELD_BACK})*")
_HELD_BACK_ESCAPE = re.compile(r"%(?:2[56]|3[Dd])")
# "%2B" -> "+", in every mix of hex-digit case: one ASCII character per escape.
_ASCII_ESCAPES: Final = {
    f"%{high}{low}": chr(code)
    for code in range(128)
    for high in {f"{code:02x}"[0], f"{code:02X}"[0]}
    for low in {f"{code:02x}"[1], f"{code:02X}"[1]}
}


# --- form decoding -----------------------------------------------------------------------


def parse_params(raw: str, display_fields: frozenset[str] = DISPLAY_FIELDS) -> dict[str, Any]:
    """Decode a form-encoded string and un-flatten its PHP-style keys.

    ``Digits[menu]=1`` gives ``{"Digits": {"menu": "1"}}``; ``User-ID[]=a&User-ID[]=b``
    gives ``{"User-ID": ["a", "b"]}``; ``a[b][c]=v`` nests deeper. Values are strings.

    Keys are taken exactly as written, because that is how Kazoo writes them
    (``kz_http_util:json_to_querystring`` encodes values only): ``+`` and ``%41`` in a key
    are a plus sign and three characters, not a space and an ``A`` (docs/kazoo-notes.md,
    "Keys and values on the wire"). A key Kazoo could not have written unambiguously (one
    whose brackets do not form ``name[seg]...[seg]``: the marks of a custom variable name
    holding ``&``, ``=``, ``#`` or a bracket) is kept as one literal key and logged.

    A plain key sent twice keeps its last value: Kazoo never repeats one, and on a GET
    Kazoo's parameters come *after* ``voice_url``'s own query, so last-wins means Kazoo's
    value beats anything a URL author put there under the same name.

    Raises ``BadRequest`` for malformed percent-escapes in values, invalid UTF-8, one
    parameter used both as a plain value and as a nested one (``a=1&a[b]=2``), more than
    ``MAX_DEPTH`` bracket levels, more than ``MAX_PARAMS`` parameters, or ``[]`` anywhere
    but at the end of a key. ``display_fields`` names the parameters whose values are read
    leniently (Pivot's by default; Kazoo's webhooks name theirs in snake_case).
    """
    _check_text(raw)
    keys, values = _split_pairs(raw)
    decoded = _decode_all_values(values)
    if decoded is None:
        # Something is wrong or unusual (a malformed escape, invalid UTF-8): decode each
        # value on its own, which finds the first problem and names it.
        decoded = [
            _decode_value_of(key, value, display_fields)
            for key, value in zip(keys, values, strict=True)
        ]
    return _tree(keys, decoded)


def _split_pairs(raw: str) -> tuple[list[str], list[str]]:
    """Keys and still-encoded values of the non-empty segments, in order."""
    keys: list[str] = []
    values: list[str] = []
    for segment in raw.split("&"):
        if segment:
            key, _, value = segment.partition("=")
            keys.append(key)
            values.append(value)
    if len(keys) > MAX_PARAMS:
        raise BadRequest(f"more than {MAX_PARAMS} parameters")
    return keys, values


def _decode_all_values(values: list[str]) -> list[str] | None:
    """Every value decoded in one pass over all of them; ``None`` if one has a malformed
    escape or is not UTF-8 (then ``_decode_value`` decodes them one by one).

    Kazoo escapes every value, so this is where decoding spends its time: one regular
    expression pass instead of one per value. The values are joined with ``&``, which no
    encoded value contains; ``%26``, ``%25`` and ``%3D`` stay encoded through that pass
    (they would change how the string splits back, or decode twice) and are decoded once
    the values are apart again.
    """
    joined = "&".join(values)
    if "%" not in joined:
        return [value.replace("+", " ") for value in values] if "+" in joined else values
    unescaped = _unescape_all_but_held_back(joined)
    if unescaped is None:
        return None
    parts = unescaped.split("&")
    if "%" not in unescaped:
        return parts
    return [_unescape_held_back(part) if "%" in part else part for part in parts]


def _tree(keys: list[str], values: list[str]) -> dict[str, Any]:
    """The parameter tree of decoded ``keys`` and ``values``."""
    tree: dict[str, Any] = {}
    ambiguous: list[str] = []
    for key, value in zip(keys, values, strict=True):
        if "[" in key or "]" in key:
            base, path = _split_key(key)
            if not path:
                ambiguous.append(key)
                _insert(tree, key, (), value)
            elif base:  # PHP drops nameless parameters too; Kazoo never sends them
                _insert(tree, base, path, value)
        elif key:
            if type(tree.get(key, value)) is not str:  # already a nested dict or list
                raise _conflict(key)
            tree[key] = value
    if ambiguous:
        _log_ambiguous_keys(ambiguous)
    return tree


# A Kazoo parameter name, its bracket and the start of the variable's name.
_LOGGED_KEY_CHARS: Final = 40


def _log_ambiguous_keys(keys: list[str]) -> None:
    # One line per request, whatever the count: the keys are the sender's text, so the line
    # shows only a short escaped form of the first.
    logger.warning(
        "%d parameter key(s) are not name[seg]...[seg]; kept literal, first: %s"
        " (a custom variable name with & = # [ or ] cannot be sent unambiguously)",
        len(keys),
        escaped(keys[0], limit=_LOGGED_KEY_CHARS),
    )


def _unescape_all_but_held_back(raw: str) -> str | None:
    """``raw`` with ``+`` and every escape decoded except ``%25``, ``%26`` and ``%3D``;
    ``None`` if it has a malformed escape or invalid UTF-8."""
    if _BAD_ESCAPE.search(raw):
        return None
    try:
        return _ESCAPE_RUN_NOT_HELD_BACK.sub(_unescape_run, raw.replace("+", " "))
    except UnicodeDecodeError:
        return None


def _unescape_held_back(text: str) -> str:
    return _HELD_BACK_ESCAPE.sub(_unescape_run, text)


def _check_text(raw: str) -> None:
    if not raw.isascii():
        # Raw non-ASCII is not form encoding, but is harmless if it is real text; an unpaired
        # surrogate (from a mangled event) is not.
        try:
            raw.encode("utf-8")
        except UnicodeEncodeError:
            raise BadRequest("parameters are not valid UTF-8") from None


def _pairs(raw: str) -> Iterator[tuple[str, str]]:
    """(key, decoded value) pairs in order, keys as written; empty segments skipped."""
    _check_text(raw)
    keys, values = _split_pairs(raw)
    for key, value in zip(keys, values, strict=True):
        yield key, _decode_value_of(key, value)


def _decode_value(text: str) -> str:
    """Form-decode one value: ``+`` is a space, ``%XX`` a byte of UTF-8.

    Kazoo percent-encodes every value, so a ``%`` not followed by two hex digits is garbage.
    """
    try:
        return _unescape_value(text)
    except UnicodeDecodeError:
        raise BadRequest("parameters are not valid UTF-8 once percent-decoded") from None


def _decode_value_of(key: str, text: str, display_fields: frozenset[str] = DISPLAY_FIELDS) -> str:
    """``_decode_value``, but lenient about UTF-8 in the values of ``display_fields``."""
    try:
        return _unescape_value(text)
    except UnicodeDecodeError:
        if key.partition("[")[0] not in display_fields:
            raise BadRequest("parameters are not valid UTF-8 once percent-decoded") from None
    return display_text(unquote_to_bytes(text.replace("+", " ")))


def _unescape_value(text: str) -> str:
    if "+" in text:
        text = text.replace("+", " ")
    if "%" not in text:
        return text
    if _BAD_ESCAPE.search(text):
        raise BadRequest("malformed percent-escape in a parameter value")
    # Each run of escapes is decoded on its own. A run holds whole UTF-8 sequences in any
    # valid input, so a run that does not decode means the text as a whole does not.
    return _ESCAPE_RUN.sub(_unescape_run, text)


def display_text(data: bytes) -> str:
    """``data`` as text, however it is encoded: UTF-8 where it is UTF-8; any other byte as
    its Latin-1 character if that is printable (0xA0-0xFF, as Kazoo's own Latin-1 retry
    reads it), else U+FFFD. Never fails."""
    return data.decode("utf-8", "surrogateescape").translate(_STRAY_BYTES)


def _display_strings(value: Any) -> Any:
    """Every string in a JSON value (not the keys) repaired as ``display_text`` does."""
    if isinstance(value, str):
        return value.translate(_STRAY_BYTES)
    if isinstance(value, dict):
        return {key: _display_strings(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_display_strings(item) for item in value]
    return value


# surrogateescape decodes a byte 0x80-0xFF that is not UTF-8 as U+DC80-U+DCFF.
_STRAY_BYTES: Final = {
    0xDC00 + byte: chr(byte) if byte >= 0xA0 else "\ufffd" for byte in range(0x80, 0x100)
}


def _unescape_run(match: re.Match[str]) -> str:
    escapes = match[0]
    one_character = _ASCII_ESCAPES.get(escapes)  # the usual case: %2B, %40, %3A, ...
    if one_character is not None:
        return one_character
    return bytes.fromhex(escapes.replace("%", "")).decode("utf-8")


def _split_key(key: str) -> tuple[str, tuple[str, ...]]:
    """``Digits[menu]`` -> ``("Digits", ("menu",))``; ``User-ID[]`` -> ``("User-ID", ("",))``;
    a key whose brackets are not that syntax -> ``(key, ())``."""
    open_at = key.find("[")
    if open_at <= 0 or not key.endswith("]"):
        return key, ()
    inside = key[open_at + 1 : -1]
    # split("][") and replace("][", "") cut at the same places, so a bracket left after
    # the replace is one inside a segment: brackets that do not pair up, not PHP syntax.
    between = inside.replace("][", "")
    if "[" in between or "]" in between:
        return key, ()  # keep the key literal
    segments = tuple(inside.split("]["))
    if len(segments) > MAX_DEPTH:
        raise BadRequest(f"parameter nested more than {MAX_DEPTH} levels deep")
    if "" in segments[:-1]:
        raise BadRequest("'[]' may only end a parameter name")
    return key[:open_at], segments


def _insert(tree: dict[str, Any], base: str, path: tuple[str, ...], value: str) -> None:
    node, name = tree, base
    for segment in path:
        child = node.get(name)
        if segment == "":  # ``name[]``: append to a list (only ever the last segment)
            if child is None:
                node[name] = [value]
            elif isinstance(child, list):
                child.append(value)
            else:
                raise _conflict(base)
            return
        if child is None:
            child = node[name] = {}
        elif not isinstance(child, dict):
            raise _conflict(base)
        node, name = child, segment
    if isinstance(node.get(name), dict | list):
        raise _conflict(base)
    node[name] = value


def _conflict(base: str) -> BadRequest:
    return BadRequest(f"{_describe(base)} is sent both as a plain value and as nested keys")


def _describe(name: str) -> str:
    """Name a parameter in an error message: only Kazoo's own names, never input."""
    return f"parameter {name}" if name in _KAZOO_NAMES else "a parameter"


# --- JSON decoding -----------------------------------------------------------------------


def parse_json_object(
    body: bytes, display_fields: frozenset[str] = DISPLAY_FIELDS
) -> dict[str, Any]:
    """Decode a ``req_body_format=json`` body: one JSON object in UTF-8 (jiffy's output).

    Bytes that are not UTF-8 are tolerated inside the values of ``display_fields`` (read as
    ``display_text`` reads them) and refused anywhere else.
    """
    try:
        text = body.decode("utf-8")
        stray_bytes = False
    except UnicodeDecodeError:
        text = body.decode("utf-8", "surrogateescape")
        stray_bytes = True
    try:
        value = json.loads(text, parse_constant=_reject_constant)
    except RecursionError:
        raise BadRequest("JSON body is nested too deeply") from None
    except ValueError:  # JSONDecodeError, oversized integers
        raise BadRequest("body is not valid JSON") from None
    if not isinstance(value, dict):
        raise BadRequest("JSON body is not an object")
    _check_json_limits(value)
    if stray_bytes:
        for name in display_fields & value.keys():
            value[name] = _display_strings(value[name])
    if stray_bytes or _SURROGATE_ESCAPE.search(text):
        try:
            json.dumps(value, ensure_ascii=False).encode("utf-8")
        except UnicodeEncodeError:
            if stray_bytes:
                raise BadRequest("JSON body is not valid UTF-8") from None
            raise BadRequest("JSON body has an unpaired UTF-16 surrogate") from None
    return value


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


def _check_json_limits(root: dict[str, Any]) -> None:
    """The same depth and size limits as for forms: a container below a top-level key
    counts as one level, as one pair of brackets does."""
    count = 0
    stack: list[tuple[Any, int]] = [(value, 0) for value in root.values()]
    while stack:
        value, depth = stack.pop()
        count += 1
        if count > MAX_PARAMS:
            raise BadRequest(f"more than {MAX_PARAMS} parameters")
        if isinstance(value, dict | list):
            if depth >= MAX_DEPTH:
                raise BadRequest(f"parameter nested more than {MAX_DEPTH} levels deep")
            items = value.values() if isinstance(value, dict) else value
            stack.extend((item, depth + 1) for item in items)


# --- the typed request -------------------------------------------------------------------


# A JSON value as Kazoo sends one inside ``Custom-Application-Vars`` or ``Custom-SIP-Headers``.
JsonValue: TypeAlias = str | int | float | bool | list["JsonValue"] | dict[str, "JsonValue"] | None


@dataclass(frozen=True, slots=True)
class PivotRequest:
    """One Pivot request from Kazoo (kazoo ``req_format``), decoded.

    Field names are snake_case; ``WIRE_NAMES`` maps each to its wire name (``Call-ID``).
    Parameters Kazoo only sets for TwiML (``Call-Status``, ``Recording-*``,
    ``Transcription-*``) are normally ``None``. ``raw`` holds every decoded parameter, known
    or not, including, on a GET, pivotkit's own continuation parameters.

    A plain frozen dataclass checked by ``from_params``: every Pivot request is decoded on
    the Lambda path, and a validation library's import and model building would cost each
    cold start more than these few checks (docs/benchmarks.md, cold start).
    """

    account_id: str
    call_id: str
    api_version: str | None = None
    call_status: str | None = None
    caller_id_name: str | None = None
    caller_id_number: str | None = None
    direction: str | None = None
    from_: str | None = None
    from_realm: str | None = None
    to: str | None = None
    to_realm: str | None = None
    request: str | None = None
    request_realm: str | None = None
    language: str | None = None
    # Owners of the calling device: one owner arrives as a plain value, several as a list.
    user_ids: tuple[str, ...] = ()
    # dtmf_collections: collection name -> digits ("" when the caller pressed nothing).
    collections: Mapping[str, str] = field(default_factory=dict)
    custom_application_vars: Mapping[str, JsonValue] = field(default_factory=dict)
    custom_sip_headers: Mapping[str, JsonValue] = field(default_factory=dict)
    recording_url: str | None = None
    recording_duration: str | None = None
    recording_id: str | None = None
    transcription_id: str | None = None
    transcription_status: str | None = None
    transcription_text: str | None = None
    transcription_url: str | None = None
    raw: Mapping[str, Any] = field(default_factory=dict, repr=False, compare=False)

    def digits(self, collection: str = "default") -> str | None:
        """Digits collected under ``collection``: ``None`` if that collection was never
        stored (no ``collect_dtmf`` ran, or it failed), ``""`` if the caller pressed nothing.
        Kazoo keeps every collection for the whole call, so use one name per step."""
        return self.collections.get(collection)

    @classmethod
    def from_params(cls, params: Mapping[str, Any]) -> PivotRequest:
        """Build from decoded wire parameters; ``NotAPivotRequest`` names what is wrong.

        Only Kazoo's parameter names are read into fields (so ``token``, ``step`` and the
        other continuation parameters never are); everything stays in ``raw``. The message
        names the parameter, never its value.
        """
        missing = [wire for wire in _REQUIRED if wire not in params]
        if missing:
            raise NotAPivotRequest(f"missing {', '.join(missing)}")
        account_id = params["Account-ID"]
        if type(account_id) is not str or not ACCOUNT_ID_PATTERN.fullmatch(account_id):
            raise NotAPivotRequest(
                "Account-ID is not a Kazoo account id (32 lower-case hex digits)"
            )
        call_id = params["Call-ID"]
        if type(call_id) is not str or not 1 <= len(call_id) <= MAX_CALL_ID_LENGTH:
            raise NotAPivotRequest(
                f"Call-ID must be a string of 1 to {MAX_CALL_ID_LENGTH} characters"
            )
        fields: dict[str, Any] = {"account_id": account_id, "call_id": call_id}
        for name, wire in _TEXT_FIELDS:
            value = params.get(wire)
            if value is not None:
                if not isinstance(value, str):
                    raise _wrong_shape(wire)
                fields[name] = value
        if "User-ID" in params:
            fields["user_ids"] = _owners(params["User-ID"])
        if "Digits" in params:
            fields["collections"] = _collections(params["Digits"])
        for name, wire in _OBJECT_FIELDS:
            if wire in params:
                value = params[wire]
                if not isinstance(value, dict):
                    raise _wrong_shape(wire)
                fields[name] = value
        return cls(**fields, raw=dict(params))


def _owners(value: object) -> tuple[str, ...]:
    if isinstance(value, str):
        return (value,)
    if isinstance(value, list | tuple) and all(isinstance(owner, str) for owner in value):
        return tuple(value)
    raise _wrong_shape("User-ID")


def _collections(value: object) -> dict[str, str]:
    # A plain ``Digits=12`` comes from the TwiML-era ``digit_pressed`` value.
    if isinstance(value, str):
        return {"default": value}
    if isinstance(value, dict) and all(isinstance(digits, str) for digits in value.values()):
        return value
    raise _wrong_shape("Digits")


def _wrong_shape(wire: str) -> NotAPivotRequest:
    return NotAPivotRequest(f"{wire} has the wrong shape")


_REQUIRED: Final = ("Account-ID", "Call-ID")
# Field name -> wire name, for every field but ``raw``.
WIRE_NAMES: Final[Mapping[str, str]] = {
    "account_id": "Account-ID",
    "call_id": "Call-ID",
    "api_version": "Api-Version",
    "call_status": "Call-Status",
    "caller_id_name": "Caller-ID-Name",
    "caller_id_number": "Caller-ID-Number",
    "direction": "Direction",
    "from_": "From",
    "from_realm": "From-Realm",
    "to": "To",
    "to_realm": "To-Realm",
    "request": "Request",
    "request_realm": "Request-Realm",
    "language": "Language",
    "user_ids": "User-ID",
    "collections": "Digits",
    "custom_application_vars": "Custom-Application-Vars",
    "custom_sip_headers": "Custom-SIP-Headers",
    "recording_url": "Recording-Url",
    "recording_duration": "Recording-Duration",
    "recording_id": "Recording-ID",
    "transcription_id": "Transcription-ID",
    "transcription_status": "Transcription-Status",
    "transcription_text": "Transcription-Text",
    "transcription_url": "Transcription-Url",
}
_SHAPED: Final = frozenset(
    {
        "account_id",
        "call_id",
        "user_ids",
        "collections",
        "custom_application_vars",
        "custom_sip_headers",
    }
)
_OBJECT_FIELDS: Final = (
    ("custom_application_vars", "Custom-Application-Vars"),
    ("custom_sip_headers", "Custom-SIP-Headers"),
)
_KAZOO_NAMES: Final = frozenset(WIRE_NAMES.values())
_TEXT_FIELDS: Final = tuple((n, w) for n, w in WIRE_NAMES.items() if n not in _SHAPED)


# --- HTTP ----------------------------------------------------------------------------------


def decode_pivot_request(http: HttpRequest) -> PivotRequest:
    """Decode what Kazoo's Pivot sent: GET query, POST form or POST JSON.

    A POST without a Content-Type is read as a form (what a bare client sends); any other
    type is ``UnsupportedMediaType``; methods other than GET and POST are
    ``MethodNotAllowed``. On a POST the query string is not read here: it holds only
    ``voice_url``'s own parameters (see ``query_params``).
    """
    return PivotRequest.from_params(read_pivot_params(http))


def read_pivot_params(http: HttpRequest) -> dict[str, Any]:
    """The decoded parameter tree of a Pivot request (``PivotRequest.raw``)."""
    method = http.method.upper()
    if method == "GET":
        return parse_params(http.raw_query)
    if method != "POST":
        raise MethodNotAllowed("Pivot requests are GET or POST")
    return body_params(
        http, unsupported=f"Pivot POST bodies are {FORM_CONTENT_TYPE} or {JSON_CONTENT_TYPE}"
    )


def body_params(
    http: HttpRequest,
    display_fields: frozenset[str] = DISPLAY_FIELDS,
    *,
    unsupported: str,
    invalid: type[BadRequest] = BadRequest,
) -> dict[str, Any]:
    """The parameter tree of a form or JSON body, the two formats Kazoo posts (Pivot
    requests and webhooks alike); a form body that is not UTF-8 raises ``invalid``, any other
    content type ``UnsupportedMediaType(unsupported)``."""
    content_type = http.content_type
    if content_type in ("", FORM_CONTENT_TYPE):
        try:
            text = http.body.decode("utf-8")
        except UnicodeDecodeError:
            raise invalid("form body is not valid UTF-8") from None
        return parse_params(text, display_fields)
    if content_type == JSON_CONTENT_TYPE:
        return parse_json_object(http.body, display_fields)
    raise UnsupportedMediaType(unsupported)


def query_params(http: HttpRequest, names: frozenset[str] | None = None) -> dict[str, str]:
    """The query string as flat name -> value (last wins), keys as sent (``Digits[x]``).

    This is where the engine reads ``token``, ``step``, ``seq``, ``hop`` and ``g``: they are
    in the query on both GET and POST, because Kazoo keeps ``voice_url``'s query either way.
    With ``names``, only those parameters are decoded: on a GET the query also holds all of
    Kazoo's parameters, which ``decode_pivot_request`` reads anyway.
    """
    if names is None:
        return dict(_pairs(http.raw_query))
    wanted: dict[str, str] = {}
    for segment in http.raw_query.split("&"):
        key, _, value = segment.partition("=")
        if key in names:
            wanted[key] = _decode_value(value)
    return wanted
