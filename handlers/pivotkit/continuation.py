"""Continuation signatures: a continuation URL runs only on the call it was made for.

Every continuation URL the kit emits carries ``sig``: an HMAC-SHA256, under the customer's
signing key, of what the URL asks for (customer, Kazoo Account-ID, Call-ID, step, hop, seq and
DTMF collection), truncated to 128 bits and written as 32 hex characters. The engine
recomputes it from the request and refuses a continuation whose ``sig`` is missing or
different (``BadContinuation``, 403) before it reads any state. So call X's URL does nothing
on call Y, and ``step=menu_choice&seq=0`` typed by someone who holds the token cannot skip a
PIN step: the token authenticates Kazoo, the signature binds the URL to one call.

The token stays out of the signed message: a stored answer (replayed after a token rotation
with the new token put in) keeps valid signatures. Every field is length-prefixed, so no two
different continuations share a message whatever a Call-ID or collection name holds.
"""

from __future__ import annotations

import hmac
from collections.abc import Iterable
from typing import TypedDict, Unpack
from urllib.parse import parse_qsl, quote, urlsplit

SIG_PARAM = "sig"
SIGNATURE_HEX_CHARS = 32  # 128 bits
_LABEL = "pivotkit continuation v1"


class Continuation(TypedDict):
    """What one continuation URL asks for: every field is signed."""

    customer: str
    account_id: str  # Kazoo's Account-ID, signed lower-case
    call_id: str
    step: str
    hop: int
    seq: int
    collection: str | None  # the DTMF collection the step gathers into (None: no gather)


def continuation_signature(key: bytes, **continuation: Unpack[Continuation]) -> str:
    """The ``sig`` value of one continuation (32 lower-case hex characters)."""
    fields = (
        _LABEL,
        continuation["customer"],
        continuation["account_id"].lower(),
        continuation["call_id"],
        continuation["step"],
        str(continuation["hop"]),
        str(continuation["seq"]),
    )
    message = "".join(f"{len(f)}:{f}" for f in fields)
    # None and "" are different continuations (no gather, and a collection named ""):
    # "-" cannot be a length prefix, so the two never meet.
    collection = continuation["collection"]
    message += "-" if collection is None else f"{len(collection)}:{collection}"
    digest = hmac.digest(key, message.encode("utf-8", "surrogatepass"), "sha256")
    return digest.hex()[:SIGNATURE_HEX_CHARS]


def signature_matches(
    presented: str, keys: Iterable[bytes], **continuation: Unpack[Continuation]
) -> bool:
    """Whether ``presented`` is the signature under any of ``keys`` (current and previous
    during a rotation); constant-time per key, and every key is tried."""
    given = presented.encode("ascii", "replace")
    matched = False
    for key in keys:
        expected = continuation_signature(key, **continuation)
        matched |= hmac.compare_digest(given, expected.encode("ascii"))
    return matched


def sign_url(url: str, key: bytes, *, account_id: str, call_id: str) -> str:
    """``url`` (``.../pivot/<customer>?...&step=...``) with its ``sig`` for one call.

    For tools and tests that write continuation requests by hand (sample events, the
    ``pivotkit events`` command); the engine signs the URLs it emits itself. Any ``sig``
    already in ``url`` is replaced.
    """
    parts = urlsplit(url)
    customer = parts.path.rstrip("/").rsplit("/pivot/", 1)[-1].partition("/")[0]
    pairs = [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if k != SIG_PARAM]
    params = dict(pairs)
    signature = continuation_signature(
        key,
        customer=customer,
        account_id=account_id,
        call_id=call_id,
        step=params.get("step", ""),
        hop=int(params.get("hop") or 0),
        seq=int(params.get("seq") or 0),
        collection=params.get("g"),
    )
    query = "&".join(f"{quote(k, safe='')}={quote(v, safe='')}" for k, v in pairs)
    head = url.split("?", 1)[0]
    return f"{head}?{query}&{SIG_PARAM}={signature}" if query else f"{head}?{SIG_PARAM}={signature}"
