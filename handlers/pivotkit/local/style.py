"""Terminal colour for the local tools: on a terminal only, and never when ``NO_COLOR`` is set.

https://no-color.org: any non-empty ``NO_COLOR`` turns colour off; ``TERM=dumb`` too. Output
to a file or a pipe is never coloured, so saved transcripts and tests see plain text.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Literal, TextIO

Style = Literal["request", "answer", "failure", "ok", "bad", "dim"]

_CODES: Mapping[Style, str] = {
    "request": "36",  # cyan
    "answer": "32",  # green
    "failure": "1;31",  # bold red
    "ok": "1;32",
    "bad": "1;31",
    "dim": "2",
}


def colour_enabled(stream: TextIO, environ: Mapping[str, str] | None = None) -> bool:
    env = os.environ if environ is None else environ
    if env.get("NO_COLOR") or env.get("TERM") == "dumb":
        return False
    isatty = getattr(stream, "isatty", None)
    return bool(isatty and isatty())


def paint(text: str, style: Style, *, enabled: bool) -> str:
    return f"\033[{_CODES[style]}m{text}\033[0m" if enabled else text
