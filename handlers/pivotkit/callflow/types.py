"""Enumerations and shared checks for callflow data, named as Kazoo's schemas name them."""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Literal, TypeAlias

from pivotkit.errors import CallflowError

Dtmf: TypeAlias = Literal["0", "1", "2", "3", "4", "5", "6", "7", "8", "9", "*", "#"]
DTMF_KEYS: tuple[str, ...] = ("0", "1", "2", "3", "4", "5", "6", "7", "8", "9", "*", "#")

_HTTP_URL = re.compile(r"^https?://[^\s/?#]+[^\s]*$", re.IGNORECASE)


def check_http_url(name: str, url: str) -> str:
    """Kazoo accepts only absolute http(s) URLs in voice_url, record_call.url, webhook.uri."""
    if not isinstance(url, str) or not _HTTP_URL.match(url):
        raise CallflowError(f"{name} must be an absolute http:// or https:// URL, got {url!r}")
    return url


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


def check_choice(name: str, value: str, allowed: Sequence[str]) -> str:
    if value not in allowed:
        raise CallflowError(f"{name} must be one of {', '.join(allowed)}; got {value!r}")
    return value


def check_text(name: str, value: str, *, min_length: int = 1, max_length: int | None = None) -> str:
    if not isinstance(value, str) or len(value) < min_length:
        raise CallflowError(f"{name} must be a string of at least {min_length} characters")
    if max_length is not None and len(value) > max_length:
        raise CallflowError(f"{name} must be at most {max_length} characters, got {len(value)}")
    return value


def check_dtmf_keys(name: str, keys: Sequence[str]) -> list[str]:
    if isinstance(keys, str):
        keys = list(keys)
    checked = [check_choice(name, key, DTMF_KEYS) for key in keys]
    if len(set(checked)) != len(checked):
        raise CallflowError(f"{name} must not repeat a key")
    return checked


def check_id(name: str, value: str, *, length: int | None = 32) -> str:
    """Kazoo document ids are 32 lower-case hex characters; the schemas check the length."""
    if not isinstance(value, str) or not value:
        raise CallflowError(f"{name} must be a non-empty string")
    if length is not None and len(value) != length:
        raise CallflowError(f"{name} must be {length} characters (a Kazoo document id)")
    return value
