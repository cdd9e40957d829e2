"""What a log line may show of a media path that did not resolve: never the token.

Media URLs carry the customer's token as their third segment
(``/media/{customer}/{token}/...``, the form ``record_caller`` and storage plans use) or in
the query (``/media/{customer}/recordings?token=...``, whose query is never logged). A path
that failed to parse may be shaped any way at all, so the mask goes by position over the
non-empty segments rather than by the shapes ``paths`` recognises:

- the root is shown only when it is ``media`` (anything else: every segment is masked);
- the customer is shown only when the function serves it (``/media/{token}/...`` with the
  customer left out would otherwise show the token);
- the segment after it is masked unless it is ``recordings``;
- any ``token=`` value (or ``token%3D``, a URL inside the path) is blanked;
- control characters are escaped and the result is capped, since the path is the caller's.

This is the pure core's own net. In Lambda, ``pivotkit.aws.redaction`` also blanks every
token the function has accepted from every finished log line.
"""

from __future__ import annotations

import re
from collections.abc import Container

from pivotkit.media.paths import MEDIA_ROOT, RECORDINGS_SEGMENT

MASK = "***"
MAX_LOGGED_CHARS = 256
_CUSTOMER_POSITION = 1
_TOKEN_POSITION = 2
_TOKEN_VALUE = re.compile(r"(?i)(token(?:=|%3D))[^/&;\s]+")
_UNPRINTABLE = re.compile(r"[\x00-\x1f\x7f-\x9f]")


def loggable_path(path: str, customers: Container[str]) -> str:
    """``path`` with its token (wherever a media URL may carry one) masked, for a log line."""
    shown: list[str] = []
    position = 0
    media = True
    for segment in path.split("/"):
        if not segment:
            shown.append(segment)
            continue
        if position == 0:
            media = segment == MEDIA_ROOT
        shown.append(segment if media and _may_show(position, segment, customers) else MASK)
        position += 1
    text = _TOKEN_VALUE.sub(lambda match: match.group(1) + MASK, "/".join(shown))
    return printable(text, MAX_LOGGED_CHARS)


def printable(text: str, limit: int) -> str:
    """``text`` with control characters escaped (no forged log lines), at most ``limit``
    characters (an ellipsis marks the cut)."""
    text = _UNPRINTABLE.sub(lambda match: f"\\x{ord(match.group()):02x}", text)
    return text if len(text) <= limit else text[: limit - 1] + "\N{HORIZONTAL ELLIPSIS}"


def _may_show(position: int, segment: str, customers: Container[str]) -> bool:
    if position == _CUSTOMER_POSITION:
        return segment in customers
    if position == _TOKEN_POSITION:
        return segment == RECORDINGS_SEGMENT
    return True
