"""Continuation signatures in fuzz cases: real ones (so mutated requests still reach the
engine past ``bad_continuation``), and forged or foreign ones that must be refused.

A case's ``sig`` is what the kit would have signed for the call the request names, under the
key that goes with the customer's token (the ``PIVOTKIT_TOKENS`` convention the fuzzed
handler uses), unless the case is faulty:

- ``signature``: no ``sig``, junk, a made-up or truncated one, the right one re-cased;
- ``foreign``: a genuine signature for something else (another call, account, customer,
  step, hop, seq or collection), as someone replaying one call's URL on another would have.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qsl, quote

from hypothesis import strategies as st

from pivotkit.continuation import continuation_signature
from pivotkit.customers import token_signing_key

SIGNED = ("step", "hop", "seq", "g")
ENTRY = "start"  # both fuzzed customers' entry step

FORGERIES = ("missing", "empty", "junk", "zeros", "truncated", "upper", "extended")
FOREIGN = ("call", "account", "customer", "step", "hop", "seq", "collection", "key")


def fields(slug: str, params: dict[str, str], account: str, call_id: str) -> dict[str, Any]:
    """The signed fields as the engine reads them from a request (``ValueError`` when hop or
    seq is not a number: such a request is a 400 before any signature is checked)."""
    return {
        "customer": slug,
        "account_id": account,
        "call_id": call_id,
        "step": params.get("step") or ENTRY,
        "hop": int(params.get("hop") or 0),
        "seq": int(params.get("seq") or 0),
        "collection": params.get("g"),
    }


def signature(token: str, signed: dict[str, Any]) -> str:
    return continuation_signature(token_signing_key(token), **signed)


@st.composite
def forged_sig(draw: st.DrawFn, genuine: str) -> str | None:
    """A ``sig`` value that is not ``genuine`` (``None``: the parameter left out)."""
    kind = draw(st.sampled_from(FORGERIES))
    if kind == "missing":
        return None
    forged = {
        "empty": "",
        # Printable ASCII: what odd bytes in a query do is the decoder fuzz's business.
        "junk": draw(st.text(st.characters(min_codepoint=33, max_codepoint=126), max_size=40)),
        "zeros": "0" * len(genuine),
        "truncated": genuine[: draw(st.integers(0, len(genuine) - 1))],
        "upper": genuine.upper(),
        "extended": genuine + draw(st.sampled_from(["0", "a", "%", " "])),
    }[kind]
    # A junk draw could be the genuine value (or be once decoded): then make it differ.
    return forged if forged != genuine else forged + "0"


@st.composite
def foreign_sig(draw: st.DrawFn, token: str, signed: dict[str, Any]) -> str:
    """A genuine signature, made for a continuation that differs from ``signed`` in one
    field (or under another customer's key)."""
    other = dict(signed)
    changed = draw(st.sampled_from(FOREIGN))
    if changed == "call":
        other["call_id"] = signed["call_id"] + draw(st.sampled_from(["x", "-other", "@1"]))
    elif changed == "account":
        other["account_id"] = "9b8a7c6d5e4f30211203f4e5d6c7b8a9"
    elif changed == "customer":
        other["customer"] = "acme" if signed["customer"] != "acme" else "fuzz"
    elif changed == "step":
        other["step"] = "menu" if signed["step"] != "menu" else "pin"
    elif changed == "hop":
        other["hop"] = signed["hop"] + draw(st.integers(1, 3))
    elif changed == "seq":
        other["seq"] = signed["seq"] + draw(st.integers(1, 3))
    elif changed == "collection":
        other["collection"] = None if signed["collection"] else "menu_1"
    else:
        token = token + "-elsewhere"
    return signature(token, other)


@st.composite
def signed_query(
    draw: st.DrawFn,
    query: str,
    slug: str,
    kazoo: dict[str, Any],
    token: str,
    wrong: frozenset[str],
) -> str:
    """``query`` (``token`` and continuation parameters) with its ``sig``, as the kit would
    have signed it for the call in ``kazoo`` (Kazoo's parameters), unless ``wrong`` says
    it is forged (``signature``) or made for something else (``foreign``)."""
    params = dict(parse_qsl(query, keep_blank_values=True))
    if not any(name in params for name in SIGNED):
        if "signature" in wrong and draw(st.booleans()):  # a first request with a sig
            return f"{query}&sig={quote(draw(st.text(max_size=40)), safe='')}"
        return query
    account, call_id = kazoo.get("Account-ID"), kazoo.get("Call-ID")
    try:
        if not isinstance(account, str) or not isinstance(call_id, str):
            raise ValueError("no usable Account-ID or Call-ID")
        signed = fields(slug, params, account, call_id)
    except ValueError:  # refused before its signature matters: any sig will do
        sig: str | None = draw(st.text(alphabet="0123456789abcdef", max_size=32))
    else:
        sig = signature(token, signed)
        if "foreign" in wrong:
            sig = draw(foreign_sig(token, signed))
        if "signature" in wrong:
            sig = draw(forged_sig(sig))
    if sig is None:
        return query
    return f"{query}&sig={quote(sig, safe='')}"
