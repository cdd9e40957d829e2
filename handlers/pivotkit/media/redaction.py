"""What a log line may show of a media path that did not resolve: never the token.

Media URLs carry the customer's token as their third segment
(``/media/{customer}/{token}/...``, the form ``record_caller`` and storage plans use) or in
the query (``/media/{customer}/recordings?token=...``, whose query is never logged). A path
that failed to parse may be shaped any way at all, and nothing has checked (or learned) the
token in it yet, so the mask goes by position over the non-empty segments rather than by
the shapes ``paths`` recognises:

- the root is shown only when it is ``media`` (anything else: every segment is masked);
- the customer is shown only when the function serves it (``/media/{token}/...`` with the
  customer left out would otherwise show the token);
- the token position, the segment after the customer, is masked. A word that is never a
  token there (``recordings``, ``callers``, ``storage``: the object key's layout taken for
  the URL's) is shown, and the segment after it becomes the token position:
  ``/media/acme/recordings/{token}/call_recording_c1.mp3`` masks the token;
- any ``token=`` value (or ``token%3D``, a URL inside the path) is blanked;
- control characters are escaped and the result is capped, since the path is the caller's.

Known tokens are blanked wherever they appear by ``pivotkit.redaction.Redactor``, which
every finished line passes through in Lambda and in ``pivotkit serve``.
"""

from __future__ import annotations

import re
from collections.abc import Container
from urllib.parse import unquote

from pivotkit.media.paths import (
    CALLERS_SEGMENT,
    MEDIA_ROOT,
    RECORDINGS_KEY_PREFIX,
    RECORDINGS_SEGMENT,
    STORAGE_KEY_PREFIX,
)
from pivotkit.redaction import MASK, blank_token_values

MAX_LOGGED_CHARS = 256
_CUSTOMER_POSITION = 1
_TOKEN_POSITION = 2
# Words a misshapen URL may hold where its token belongs; none can be a customer's token.
_NOT_TOKENS = frozenset(
    {RECORDINGS_SEGMENT, CALLERS_SEGMENT, RECORDINGS_KEY_PREFIX, STORAGE_KEY_PREFIX}
)
_UNPRINTABLE = re.compile(r"[\x00-\x1f\x7f-\x9f]")


def loggable_path(path: str, customers: Container[str]) -> str:
    """``path`` with its token (wherever a media URL may carry one) masked, for a log line."""
    shown: list[str] = []
    position = 0
    token_position = _TOKEN_POSITION
    media = True
    for segment in path.split("/"):
        if not segment:
            shown.append(segment)
            continue
        if position == 0:
            media = segment == MEDIA_ROOT
        if position == token_position and unquote(segment) in _NOT_TOKENS:
            token_position += 1
            visible = True
        else:
            visible = _may_show(position, token_position, segment, customers)
        shown.append(segment if media and visible else MASK)
        position += 1
    return printable(blank_token_values("/".join(shown)), MAX_LOGGED_CHARS)


def printable(text: str, limit: int) -> str:
    """``text`` with control characters escaped (no forged log lines), at most ``limit``
    characters (an ellipsis marks the cut)."""
    text = _UNPRINTABLE.sub(lambda match: f"\\x{ord(match.group()):02x}", text)
    return text if len(text) <= limit else text[: limit - 1] + "\N{HORIZONTAL ELLIPSIS}"


def _may_show(position: int, token_position: int, segment: str, customers: Container[str]) -> bool:
    if position == _CUSTOMER_POSITION:
        return segment in customers
    return position != token_position
