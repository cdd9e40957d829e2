"""Enumerations and shared checks for callflow data, named as Kazoo's schemas name them.

Every factory builds its ``data`` through :class:`NodeData`, which checks each value as it
is added and leaves out the ones given as ``None``; the checks raise ``CallflowError`` with
the module and key in the message, so a bad value is reported where it was written.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any, Literal, TypeAlias, get_args

from pivotkit.callflow.loopback import loopback_urls_allowed
from pivotkit.callflow.node import JSONValue, Node
from pivotkit.errors import CallflowError

Dtmf: TypeAlias = Literal["0", "1", "2", "3", "4", "5", "6", "7", "8", "9", "*", "#"]
DTMF_KEYS: tuple[str, ...] = get_args(Dtmf)

# Every pattern here is applied with fullmatch: "^...$" with match() would let a trailing
# newline through.
# Kazoo's URL check (kz_json_schema_extensions:url_validation) accepts exactly the schemes
# "http" and "https", and the schemas' own pattern is the case-sensitive "^https?://".
_HTTP_URL = re.compile(r"https?://[^\s/?#@]+(?:[/?#]\S*)?")
# The authority (userinfo and host) of an http(s) URL: up to the first "/", "?" or "#".
_AUTHORITY = re.compile(r"https?://([^/?#]*)")
# Kazoo's default client blacklist (kz_http_util.erl): the host "localhost" after
# lower-casing, and the addresses 127.0.0.1 and 0.0.0.0. 127.0.0.2 and [::1] pass.
_BLACKLISTED_HOSTS = frozenset({"localhost", "127.0.0.1", "0.0.0.0"})  # noqa: S104 (refused)
# Names that end up as form keys in the next Pivot request (Digits[name],
# Custom-Application-Vars[name]) or as SIP header names: brackets, dots or spaces would make
# them ambiguous, and Kazoo's own patterns for these are [a-zA-Z0-9_-].
_SAFE_NAME = re.compile(r"[A-Za-z0-9_-]{1,64}")
_DIGITS = re.compile(r"[0-9]+")
_NO_SPACE = re.compile(r"\S+")


_LITERAL_VALUES: dict[int, tuple[str, ...]] = {}


def literal_values(alias: Any) -> tuple[str, ...]:
    """The strings a ``Literal[...]`` alias allows, so the type and the run-time check agree.

    Cached by identity: hashing a ``Literal`` hashes all its arguments on every lookup.
    """
    values = _LITERAL_VALUES.get(id(alias))
    if values is None:
        values = _LITERAL_VALUES[id(alias)] = tuple(str(v) for v in get_args(alias))
    return values


def check_http_url(name: str, url: str) -> str:
    """Kazoo accepts only absolute http(s) URLs in voice_url, record_call.url, webhook.uri,
    on a host outside its client blacklist and without userinfo."""
    if not isinstance(url, str) or not _HTTP_URL.fullmatch(url):
        authority = _AUTHORITY.match(url) if isinstance(url, str) else None
        if authority is not None and "@" in authority.group(1):
            # pivot_call:uri/2 rebuilds user:pass@ as userpass@ and crashes on user@.
            raise CallflowError(
                f"{name} must not carry user info (user@ or user:pass@): Kazoo misreads it;"
                " put a secret in the query string instead"
            )
        raise CallflowError(
            f"{name} must be an absolute http:// or https:// URL (lower-case scheme), got {url!r}"
        )
    host = _url_host(url)
    if host in _BLACKLISTED_HOSTS and not loopback_urls_allowed():
        raise CallflowError(
            f'{name} has host {host!r}, which Kazoo refuses ("invalid client URL");'
            " use the public URL Kazoo reaches (127.0.0.2 or [::1] for a local Kazoo)"
        )
    return url


def _url_host(url: str) -> str:
    """The host of a URL that matched ``_HTTP_URL`` (so it has no userinfo), lower-cased."""
    authority = url.split("://", 1)[1]
    for end in "/?#":
        authority = authority.split(end, 1)[0]
    if authority.startswith("["):
        return authority.split("]", 1)[0].lower() + "]"
    return authority.split(":", 1)[0].lower()


def check_int(
    name: str, value: int, *, minimum: int | None = None, maximum: int | None = None
) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise CallflowError(f"{name} must be an integer, got {value!r}")
    if minimum is not None and value < minimum:
        raise CallflowError(f"{name} must be at least {minimum}, got {value}")
    if maximum is not None and value > maximum:
        raise CallflowError(f"{name} must be at most {maximum}, got {value}")
    return value


def check_bool(name: str, value: bool) -> bool:
    if not isinstance(value, bool):
        raise CallflowError(f"{name} must be true or false, got {value!r}")
    return value


def check_choice(name: str, value: str, allowed: Sequence[str]) -> str:
    if not isinstance(value, str) or value not in allowed:
        raise CallflowError(f"{name} must be one of {', '.join(allowed)}; got {value!r}")
    return value


def check_text(name: str, value: str, *, min_length: int = 1, max_length: int | None = None) -> str:
    if not isinstance(value, str) or len(value) < min_length:
        raise CallflowError(f"{name} must be a string of at least {min_length} characters")
    if max_length is not None and len(value) > max_length:
        raise CallflowError(f"{name} must be at most {max_length} characters, got {len(value)}")
    return value


def check_token(name: str, value: str, *, max_length: int | None = None) -> str:
    """A non-empty string without white space: ids, numbers, media references."""
    check_text(name, value, max_length=max_length)
    if not _NO_SPACE.fullmatch(value):
        raise CallflowError(f"{name} must not contain white space, got {value!r}")
    return value


def check_safe_name(name: str, value: str) -> str:
    if not isinstance(value, str) or not _SAFE_NAME.fullmatch(value):
        raise CallflowError(
            f"{name} must be 1-64 letters, digits, '_' or '-' (it becomes a request key), "
            f"got {value!r}"
        )
    return value


def check_digits(name: str, value: str) -> str:
    if not isinstance(value, str) or not _DIGITS.fullmatch(value):
        raise CallflowError(f"{name} must be a string of digits 0-9, got {value!r}")
    return value


def check_dtmf_keys(name: str, keys: Sequence[str]) -> list[str]:
    if isinstance(keys, str):
        keys = list(keys)
    checked = [check_choice(name, key, DTMF_KEYS) for key in keys]
    if len(set(checked)) != len(checked):
        raise CallflowError(f"{name} must not repeat a key")
    return checked


def check_id(name: str, value: str, *, length: int | None = 32) -> str:
    """A Kazoo document id; where a schema pins its length (32), that length is enforced."""
    check_token(name, value)
    if length is not None and len(value) != length:
        raise CallflowError(f"{name} must be {length} characters (a Kazoo document id)")
    return value


def check_strings(name: str, values: Sequence[str], *, unique: bool = False) -> list[str]:
    if isinstance(values, str) or not isinstance(values, Sequence):
        raise CallflowError(f"{name} must be a list of strings, not {type(values).__name__}")
    checked = [check_text(f"{name} item", v) for v in values]
    if unique and len(set(checked)) != len(checked):
        raise CallflowError(f"{name} must not repeat a value")
    return checked


def check_sip_headers(name: str, headers: Mapping[str, str]) -> dict[str, JSONValue]:
    """Custom SIP headers: names as Kazoo's custom_sip_headers schema allows, string values."""
    if not isinstance(headers, Mapping) or not headers:
        raise CallflowError(f"{name} must be a non-empty mapping of header name to value")
    checked: dict[str, JSONValue] = {}
    for header, value in headers.items():
        check_safe_name(f"{name} header name", header)
        if not isinstance(value, str):
            raise CallflowError(f"{name} {header!r} must be a string, got {value!r}")
        checked[header] = value
    return checked


def check_keys(name: str, value: Mapping[str, Any], allowed: Sequence[str]) -> None:
    """Typed dicts are closed: a key outside ``allowed`` is a typo Kazoo would ignore."""
    if not isinstance(value, Mapping):
        raise CallflowError(f"{name} must be a mapping, not {type(value).__name__}")
    unknown = sorted(str(k) for k in value if k not in allowed)
    if unknown:
        raise CallflowError(
            f"{name} has unknown keys {', '.join(unknown)}; allowed: {', '.join(allowed)}"
        )


def exactly_one(module: str, **given: object) -> str:
    """The one key among ``given`` that is set; Kazoo reads only one of them."""
    present = [key for key, value in given.items() if value is not None]
    if len(present) != 1:
        names = ", ".join(given)
        raise CallflowError(f"{module} needs exactly one of {names}; got {len(present)}")
    return present[0]


class NodeData:
    """Collects one node's ``data``, checking each value; ``None`` means "leave it out".

    Kazoo injects the schema default for every key left out, so factories pass explicit
    values for the keys whose default would surprise (timeouts, ``req_format``, ...).

    Each method first tries a quick test that only ever accepts what its ``check_*``
    function accepts (exact types, no message built); anything else goes to that function,
    which raises with the module and key named, or accepts it (a ``str`` or ``int``
    subclass). Every node of every answer passes through here.
    """

    __slots__ = ("_module", "_values")

    def __init__(self, module: str) -> None:
        self._module = module
        self._values: dict[str, JSONValue] = {}

    def name(self, key: str) -> str:
        return f"{self._module} {key}"

    def put(self, key: str, value: JSONValue) -> NodeData:
        """A value the caller has already checked (nested objects built by a factory)."""
        if value is not None:
            self._values[key] = value
        return self

    def text(
        self, key: str, value: str | None, *, min_length: int = 1, max_length: int | None = None
    ) -> NodeData:
        if value is not None:
            if not (
                type(value) is str
                and len(value) >= min_length
                and (max_length is None or len(value) <= max_length)
            ):
                check_text(self.name(key), value, min_length=min_length, max_length=max_length)
            self._values[key] = value
        return self

    def token(self, key: str, value: str | None, *, max_length: int | None = None) -> NodeData:
        if value is not None:
            if not (
                type(value) is str
                and (max_length is None or len(value) <= max_length)
                and _NO_SPACE.fullmatch(value)
            ):
                check_token(self.name(key), value, max_length=max_length)
            self._values[key] = value
        return self

    def safe_name(self, key: str, value: str | None) -> NodeData:
        if value is not None:
            if not (type(value) is str and _SAFE_NAME.fullmatch(value)):
                check_safe_name(self.name(key), value)
            self._values[key] = value
        return self

    def doc_id(self, key: str, value: str | None, *, length: int | None = None) -> NodeData:
        if value is not None:
            if not (
                type(value) is str
                and (length is None or len(value) == length)
                and _NO_SPACE.fullmatch(value)
            ):
                check_id(self.name(key), value, length=length)
            self._values[key] = value
        return self

    def integer(
        self,
        key: str,
        value: int | None,
        *,
        minimum: int | None = None,
        maximum: int | None = None,
    ) -> NodeData:
        if value is not None:
            if not (
                type(value) is int
                and (minimum is None or value >= minimum)
                and (maximum is None or value <= maximum)
            ):
                check_int(self.name(key), value, minimum=minimum, maximum=maximum)
            self._values[key] = value
        return self

    def boolean(self, key: str, value: bool | None) -> NodeData:
        if value is not None:
            if value is not True and value is not False:
                check_bool(self.name(key), value)
            self._values[key] = value
        return self

    def choice(self, key: str, value: str | None, allowed: Sequence[str]) -> NodeData:
        if value is not None:
            if not (type(value) is str and value in allowed):
                check_choice(self.name(key), value, allowed)
            self._values[key] = value
        return self

    def url(self, key: str, value: str | None) -> NodeData:
        if value is not None:
            check_http_url(self.name(key), value)
            self._values[key] = value
        return self

    def strings(self, key: str, values: Sequence[str] | None, *, unique: bool = False) -> NodeData:
        if values is not None:
            checked = check_strings(self.name(key), values, unique=unique)
            self._values[key] = list[JSONValue](checked)
        return self

    def dtmf_keys(self, key: str, values: Sequence[str] | None) -> NodeData:
        if values is not None:
            self._values[key] = list[JSONValue](check_dtmf_keys(self.name(key), values))
        return self

    def sip_headers(self, key: str, headers: Mapping[str, str] | None) -> NodeData:
        if headers is not None:
            self._values[key] = check_sip_headers(self.name(key), headers)
        return self

    def node(self) -> Node:
        return Node(self._module, self._values)
