"""Request text made safe to put in a log line: short, and escaped so that it can neither
forge a line (a newline, an ANSI escape) nor carry much of whatever a caller sent.

Error *bodies* never carry request text at all (``pivotkit.http.error_response``); a log line
sometimes must say what arrived (an unknown step, a key Kazoo could not have written
unambiguously), and then it says it through ``escaped``.
"""

from __future__ import annotations

from typing import Final

# Enough to recognise a step or parameter name; too little to carry a token or a PIN list.
DEFAULT_LIMIT: Final = 24


def escaped(text: str, limit: int = DEFAULT_LIMIT) -> str:
    """``text`` cut to ``limit`` characters, every character outside printable ASCII (and
    the backslash) written as a Python escape, and the length of any cut-off tail named.

    ``escaped("menu\\n")`` is ``menu\\\\n``; a 100-character name keeps its first ``limit``
    characters followed by ``...(+76)``.
    """
    head = text[:limit]
    # ascii() escapes controls, non-ASCII and lone surrogates; the quotes it adds go.
    shown = ascii(head)[1:-1]
    rest = len(text) - len(head)
    return f"{shown}...(+{rest})" if rest else shown
