"""Call control and DTMF: ``pivot``, ``collect_dtmf``, ``flush_dtmf``, ``send_dtmf``,
``sleep``, ``hangup``, ``response``."""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Literal, TypeAlias

from pivotkit.callflow.node import Node
from pivotkit.callflow.types import (
    Dtmf,
    NodeData,
    check_choice,
    check_dtmf_keys,
    check_int,
    literal_values,
)
from pivotkit.errors import CallflowError

HttpMethod: TypeAlias = Literal["get", "post"]
BodyFormat: TypeAlias = Literal["form", "json"]
SleepUnit: TypeAlias = Literal["ms", "s", "m", "h"]

# Kazoo caps a pivot request at 5000 ms (callflows.pivot.json, req_timeout_ms maximum).
PIVOT_MAX_TIMEOUT_MS = 5000
# cf_sleep clamps any longer pause to one day; the schema caps `duration` at the same figure.
SLEEP_MAX_MS = 86_400_000
_SLEEP_UNIT_MS = {"ms": 1, "s": 1000, "m": 60_000, "h": 3_600_000}
# FreeSWITCH send_dtmf: the twelve keys, A-D, and w/W for a 0.5 s / 1 s pause.
_SENDABLE_DTMF = re.compile(r"[0-9*#A-DwW]{1,128}")


def pivot(
    voice_url: str,
    *,
    method: HttpMethod = "get",
    req_body_format: BodyFormat | None = None,
    req_timeout_ms: int = PIVOT_MAX_TIMEOUT_MS,
    debug: bool | None = None,
) -> Node:
    """Ask ``voice_url`` what to do next.

    ``req_format`` is always ``kazoo``: without it the pivot app falls back to TwiML.
    ``req_timeout_ms`` is always sent (1-5000). The node's ``_`` child runs only when the
    request fails; a successful answer replaces the whole flow. ``cdr_url`` is deliberately
    not offered: with it set Kazoo stops hanging up calls whose answer was empty or bad.
    """
    return (
        NodeData("pivot")
        .url("voice_url", voice_url)
        .choice("method", method, literal_values(HttpMethod))
        .put("req_format", "kazoo")
        .integer("req_timeout_ms", req_timeout_ms, minimum=1, maximum=PIVOT_MAX_TIMEOUT_MS)
        .choice("req_body_format", req_body_format, literal_values(BodyFormat))
        .boolean("debug", debug)
        .node()
    )


def collect_dtmf(
    *,
    collection_name: str | None = None,
    max_digits: int | None = None,
    timeout: int | None = None,
    interdigit_timeout: int | None = None,
    terminators: Sequence[str] | None = None,
    terminator: Dtmf | None = None,
) -> Node:
    """Collect digits into ``Digits[collection_name]`` of the next Pivot request.

    Timeouts are milliseconds. Digits the caller pressed during a preceding tts or play are
    kept (barge-in). An empty collection in the next request means the caller pressed nothing.

    Only one terminator key can be honoured: Kazoo injects the schema default
    ``terminator: "#"`` into every node and ``cf_collect_dtmf`` reads ``terminator`` before
    ``terminators``. So ``terminators`` must name a single key, and it is sent as
    ``terminator``.
    """
    return (
        NodeData("collect_dtmf")
        .safe_name("collection_name", collection_name)
        .integer("max_digits", max_digits, minimum=1)
        .integer("timeout", timeout, minimum=1)
        .integer("interdigit_timeout", interdigit_timeout, minimum=1)
        .put("terminator", _single_terminator(terminators, terminator))
        .node()
    )


def _single_terminator(terminators: Sequence[str] | None, terminator: str | None) -> str | None:
    chosen: list[str] = []
    if terminators is not None:
        chosen = check_dtmf_keys("collect_dtmf terminators", terminators)
        if len(chosen) != 1:
            raise CallflowError(
                "collect_dtmf honours exactly one terminator key (Kazoo injects "
                "terminator '#', which it reads before terminators); pass one key"
            )
    if terminator is not None:
        check_choice("collect_dtmf terminator", terminator, literal_values(Dtmf))
        if chosen and chosen != [terminator]:
            raise CallflowError("collect_dtmf terminator and terminators disagree")
        return terminator
    return chosen[0] if chosen else None


def flush_dtmf(*, collection_name: str | None = None) -> Node:
    """Forget the digits collected so far (the ``default`` collection unless named)."""
    return NodeData("flush_dtmf").safe_name("collection_name", collection_name).node()


def send_dtmf(digits: str, *, duration_ms: int | None = None) -> Node:
    """Send ``digits`` (0-9 * # A-D, ``w``/``W`` pause) to the caller; ``duration_ms`` per tone.

    ``duration_ms`` is sent as an integer, the one form both 4.3 (``type`` list) and master
    (``oneOf``) accept.
    """
    if not isinstance(digits, str) or not _SENDABLE_DTMF.fullmatch(digits):
        raise CallflowError(f"send_dtmf digits must be 1-128 of 0-9 * # A-D w W, got {digits!r}")
    return (
        NodeData("send_dtmf")
        .put("digits", digits)
        .integer("duration_ms", duration_ms, minimum=1)
        .node()
    )


def sleep(duration: int, *, unit: SleepUnit = "s") -> Node:
    """Pause the flow for ``duration`` ``unit``s (at most one day, as Kazoo clamps it).

    ``unit`` is always sent, so the pause never depends on a default.
    """
    check_choice("sleep unit", unit, literal_values(SleepUnit))
    check_int("sleep duration", duration, minimum=0, maximum=SLEEP_MAX_MS)
    if duration * _SLEEP_UNIT_MS[unit] > SLEEP_MAX_MS:
        raise CallflowError(f"sleep of {duration}{unit} is longer than Kazoo's one-day cap")
    return NodeData("sleep").put("duration", duration).put("unit", unit).node()


def hangup() -> Node:
    """End the call."""
    return Node("hangup", {})


def response(code: int = 486, *, message: str | None = None, media: str | None = None) -> Node:
    """Answer the call with a SIP status (an integer; Kazoo rejects ``"486"``) and end it.

    ``media`` is played before the response is sent.
    """
    return (
        NodeData("response")
        .integer("code", code, minimum=100, maximum=699)
        .text("message", message)
        .text("media", media, max_length=2048)
        .node()
    )
