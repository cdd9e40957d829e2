"""The placeholders of an answer, and the one place they are patched into its text.

A step builds its continuation URLs before the engine knows what goes in them: the state
version (``seq``) is known only once the step has run, each URL's signature covers that
``seq``, and the token must not be stored with the answer (a replay, maybe after a token
rotation, carries the token of the request replaying it). So each request gets random
markers (``AnswerMarks``), the step's ``Call`` writes them into its URLs, and the engine
swaps them for their values here. The stored answer is ``"<token marker>\\n<callflow>"``:
the callflow with seq and signatures filled in and the token marker still in place.
"""

from __future__ import annotations

import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from urllib.parse import quote

SEQ_MARK_PREFIX = "PKSEQ"
TOKEN_MARK_PREFIX = "PKTOK"  # noqa: S105 - a marker's prefix, not a secret
SIGNATURE_MARK_PREFIX = "PKSIG"


@dataclass(frozen=True, slots=True)
class AnswerMarks:
    """One request's markers. ``signature`` is a prefix: ``Call`` appends a fixed-width
    number per (step, collection), so no signature marker is the prefix of another."""

    seq: str
    token: str
    signature: str

    @classmethod
    def fresh(cls) -> AnswerMarks:
        """Random, so nothing a caller sends can collide with them (64 bits each, from one
        read of the system's random source)."""
        marks = secrets.token_hex(24)
        return cls(
            seq=f"{SEQ_MARK_PREFIX}{marks[:16]}",
            token=f"{TOKEN_MARK_PREFIX}{marks[16:32]}",
            signature=f"{SIGNATURE_MARK_PREFIX}{marks[32:]}",
        )

    def fill_seq_and_signatures(
        self, rendered: str, *, seq: int, signatures: Mapping[str, str]
    ) -> str:
        """``rendered`` with the state version and each continuation's signature (marker ->
        signature) in place: the answer as stored, the token marker still in it."""
        text = rendered.replace(self.seq, str(seq))
        for mark, signature in signatures.items():
            text = text.replace(mark, signature)
        return text


def stored_answer(token_mark: str, callflow: str) -> str:
    return f"{token_mark}\n{callflow}"


def split_stored_answer(stored: str) -> tuple[str, str]:
    """(token marker, callflow JSON) of a stored answer."""
    mark, _, callflow = stored.partition("\n")
    if not mark.startswith(TOKEN_MARK_PREFIX):
        return "", stored
    return mark, callflow


def restore_token(stored: str, token: str) -> str:
    """A stored answer's callflow with ``token`` where the requester's token goes."""
    mark, callflow = split_stored_answer(stored)
    return fill_token(callflow, mark, token) if mark else callflow


def fill_token(callflow: str, mark: str, token: str) -> str:
    """``callflow`` with ``token`` in place of ``mark``. The marker stands only inside URLs
    (query values and path segments), so the token goes in percent-encoded: a token with
    ``&``, ``/`` or ``%`` in it must not change what those URLs mean."""
    return callflow.replace(mark, quote(token, safe=""))
