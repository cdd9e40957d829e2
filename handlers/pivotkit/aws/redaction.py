"""What logs may say about a request: tokens never, caller IDs masked unless configured.

Tokens travel in every URL the kit hands Kazoo (``?token=...`` on Pivot and ``record_call``
URLs, a path segment on media URLs), so anything that logs a URL, a query or an answer can
leak one. Two nets catch them: every ``token=`` value is blanked, whatever token it holds,
and every token the function has seen valid (learned from its token source) is blanked
wherever it appears, encoded or not, which covers the path form.

Caller numbers and names are personal data: logs carry them masked by default
(``+14155****23``, ``J*** S****``), in full, or not at all (``PIVOTKIT_LOG_CALLER_IDS``).
"""

from __future__ import annotations

import re
import threading
from collections.abc import Iterable, Mapping
from enum import Enum
from typing import Any
from urllib.parse import quote

from pivotkit.customers import TokenSource

MASK = "***"
# ``token=`` and its percent-encoded form ``token%3D`` (a URL inside another URL's query);
# the value ends where a query value, a quoted string or a line would.
_TOKEN_VALUE = re.compile(r"(?i)(token(?:=|%3D))[^&\s\"'\\<>#]+")
# A token shorter than this is not a secret worth the name (and blanking it everywhere
# would mangle ordinary text); deployed tokens are far longer.
MIN_SECRET_LENGTH = 8
# Caller IDs come from the caller's network: cap what a log line carries.
MAX_CALLER_ID_LOGGED = 128


class CallerIdMode(Enum):
    FULL = "full"
    MASKED = "masked"
    NONE = "none"

    @classmethod
    def parse(cls, text: str | None) -> CallerIdMode:
        if not text:
            return cls.MASKED
        try:
            return cls(text.strip().lower())
        except ValueError:
            raise ValueError(
                f"PIVOTKIT_LOG_CALLER_IDS must be full, masked or none, not {text!r}"
            ) from None


class Redactor:
    """Blanks token values and known tokens in text. Thread-safe; learns tokens as it goes."""

    def __init__(self) -> None:
        self._secrets: frozenset[str] = frozenset()
        self._pattern: re.Pattern[str] | None = None
        self._lock = threading.Lock()

    def learn(self, tokens: Iterable[str]) -> None:
        """Blank these tokens from now on (with their percent-encoded forms)."""
        wanted = {t for t in tokens if len(t) >= MIN_SECRET_LENGTH}
        wanted |= {quote(t, safe="") for t in wanted}
        if wanted <= self._secrets:
            return  # the usual case: nothing new, no lock
        with self._lock:
            secrets = self._secrets | wanted
            alternatives = sorted(secrets, key=len, reverse=True)  # longest match first
            self._pattern = re.compile("|".join(re.escape(s) for s in alternatives))
            self._secrets = frozenset(secrets)

    def __call__(self, text: str) -> str:
        text = _TOKEN_VALUE.sub(_blank_value, text)
        pattern = self._pattern
        return text if pattern is None else pattern.sub(MASK, text)

    def data(self, value: Any) -> Any:
        """A copy of JSON-like ``value`` with every string redacted and ``token`` keys blanked."""
        if isinstance(value, str):
            return self(value)
        if isinstance(value, Mapping):
            return {
                k: MASK if str(k).lower() == "token" else self.data(v) for k, v in value.items()
            }
        if isinstance(value, list | tuple):
            return [self.data(item) for item in value]
        return value


def _blank_value(match: re.Match[str]) -> str:
    return match.group(1) + MASK


class LearningTokens:
    """A ``TokenSource`` that tells the redactor every token it hands out."""

    def __init__(self, source: TokenSource, redactor: Redactor) -> None:
        self._source = source
        self._redactor = redactor

    def tokens_for(self, customer: str) -> tuple[str, ...]:
        tokens = self._source.tokens_for(customer)
        self._redactor.learn(tokens)
        return tokens

    def signing_keys_for(self, customer: str) -> tuple[bytes, ...]:
        return self._source.signing_keys_for(customer)  # never logged: nothing to learn


def mask_number(number: str) -> str:
    """``+14155550123`` -> ``+14155****23``: the country and area code and the last two
    digits stay, enough to tell callers apart in a log without naming them."""
    head = min(6, len(number) // 2)
    tail = 2 if len(number) > 4 else 0
    hidden = len(number) - head - tail
    return number[:head] + "*" * hidden + number[len(number) - tail :]


def mask_name(name: str) -> str:
    """``John Smith`` -> ``J*** S****``: initials and word lengths only."""
    return " ".join(word[:1] + "*" * (len(word) - 1) for word in name.split(" "))


def caller_id(value: str | None, mode: CallerIdMode, *, is_number: bool) -> str | None:
    """What a log shows of one caller ID value (``None``: leave the field out)."""
    if value is None or mode is CallerIdMode.NONE:
        return None
    value = value[:MAX_CALLER_ID_LOGGED]
    if mode is CallerIdMode.FULL:
        return value
    return mask_number(value) if is_number else mask_name(value)
