"""Keeping tokens out of log lines: the one net every log the kit writes goes through.

Tokens travel in every URL the kit hands Kazoo (``?token=...`` on Pivot and ``record_call``
URLs, a path segment on media URLs), so anything that logs a URL, a query or an answer can
leak one. ``Redactor`` applies two rules to a line:

- every ``token=`` value (and ``token%3D``, a URL inside another URL's query) is blanked,
  whatever it holds;
- every token it knows (given, or learned from a token source) is blanked wherever it
  appears and however a URL may spell it: raw, any subset of its characters
  percent-encoded in either hex case, encoded more than once (``%252D``), ``+`` for a
  space, its UTF-8 bytes read as Latin-1 (how ``http.server`` decodes a request line), or
  escaped as in a JSON log line (``\"``, ``\u00e4``).

Where a token sits by position but is not known yet (a fresh function, a wrong token), the
caller masks by position first: ``pivotkit.media.redaction`` does that for media paths.
The Lambda log formatter (``pivotkit.aws.redaction``), the media endpoint and
``pivotkit serve`` all use this module, so there is one definition of "a token in a line".
"""

from __future__ import annotations

import json
import re
import threading
from collections.abc import Iterable, Mapping
from typing import Any

MASK = "***"
# ``token=`` and its percent-encoded form ``token%3D``; the value ends where a query value,
# a quoted string or a line would.
_TOKEN_VALUE = re.compile(r"(?i)(token(?:=|%3D))[^&\s\"'\\<>#]+")
# A token shorter than this is not a secret worth the name (and blanking it everywhere
# would mangle ordinary text); deployed tokens are far longer.
MIN_SECRET_LENGTH = 8


def blank_token_values(text: str) -> str:
    """``text`` with every ``token=`` value replaced by the mask."""
    return _TOKEN_VALUE.sub(lambda match: match.group(1) + MASK, text)


def spellings(secret: str) -> str:
    """A regular expression matching ``secret`` in every way a URL or a log may spell it."""
    return "".join(_char_spellings(char) for char in secret)


def _char_spellings(char: str) -> str:
    utf8 = char.encode("utf-8")
    # %XX for each byte, hex in either case; (?:25)* lets the % itself be encoded again.
    escaped = "".join(f"%(?:25)*{_hex_digit(byte >> 4)}{_hex_digit(byte & 0xF)}" for byte in utf8)
    forms = [re.escape(char), escaped]
    if char == " ":
        forms.append(r"\+")  # form encoding
    if len(utf8) > 1:
        forms.append(re.escape(utf8.decode("latin-1")))
    in_json = json.dumps(char)[1:-1]  # a finished JSON log line escapes " \ and non-ASCII
    if in_json != char:
        forms.append(re.escape(in_json))
    return f"(?:{'|'.join(forms)})"


def _leading_chars(secret: str) -> set[str]:
    """Every character a spelling of ``secret`` can start with."""
    first = secret[0]
    return {first, "%", "+", "\\", first.encode("utf-8").decode("latin-1")[0]}


def _hex_digit(value: int) -> str:
    digit = f"{value:X}"
    return digit if digit.isdigit() else f"[{digit}{digit.lower()}]"


class Redactor:
    """Blanks token values and known tokens in text. Thread-safe; learns tokens as it goes."""

    def __init__(self, secrets: Iterable[str] = ()) -> None:
        self._secrets: frozenset[str] = frozenset()
        self._pattern: re.Pattern[str] | None = None
        self._lock = threading.Lock()
        self.learn(secrets)

    def learn(self, tokens: Iterable[str]) -> None:
        """Blank these tokens from now on, in every spelling."""
        wanted = {t for t in tokens if len(t) >= MIN_SECRET_LENGTH}
        if wanted <= self._secrets:
            return  # the usual case: nothing new, no lock
        with self._lock:
            secrets = self._secrets | wanted
            alternatives = sorted(secrets, key=len, reverse=True)  # longest match first
            # A one-character look-ahead first: most positions of a line fail it at once
            # instead of trying every spelling of every token (about 3x faster).
            leading = "".join(sorted(set().union(*map(_leading_chars, secrets))))
            self._pattern = re.compile(
                f"(?=[{re.escape(leading)}])(?:{'|'.join(spellings(s) for s in alternatives)})"
            )
            self._secrets = frozenset(secrets)

    def __call__(self, text: str) -> str:
        text = blank_token_values(text)
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


def public_url(url: str) -> str:
    """``url`` as logs and errors may show it: no user info, no query, no fragment, so an
    API key in ``?key=`` or ``user:pass@`` (an outbound call's URL) never reaches a log."""
    from urllib.parse import urlsplit, urlunsplit

    parts = urlsplit(url)
    host = parts.hostname or ""
    if parts.port is not None:
        host = f"{host}:{parts.port}"
    return urlunsplit((parts.scheme, host, parts.path, "", ""))
