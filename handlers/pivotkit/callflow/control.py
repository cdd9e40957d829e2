"""Call control: ``pivot``, ``collect_dtmf``, ``hangup``, ``response``."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Literal, TypeAlias

from pivotkit.callflow.node import JSONValue, Node
from pivotkit.callflow.types import (
    check_choice,
    check_dtmf_keys,
    check_http_url,
    check_int,
    check_text,
)

HttpMethod: TypeAlias = Literal["get", "post"]
BodyFormat: TypeAlias = Literal["form", "json"]

# Kazoo caps a pivot request at 5000 ms (callflows.pivot.json, req_timeout_ms maximum).
PIVOT_MAX_TIMEOUT_MS = 5000


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
    ``req_timeout_ms`` is always sent (1-5000).
    """
    data: dict[str, JSONValue] = {
        "voice_url": check_http_url("pivot voice_url", voice_url),
        "method": check_choice("pivot method", method, ("get", "post")),
        "req_format": "kazoo",
        "req_timeout_ms": check_int(
            "pivot req_timeout_ms", req_timeout_ms, minimum=1, maximum=PIVOT_MAX_TIMEOUT_MS
        ),
    }
    if req_body_format is not None:
        data["req_body_format"] = check_choice(
            "pivot req_body_format", req_body_format, ("form", "json")
        )
    if debug is not None:
        data["debug"] = bool(debug)
    return Node("pivot", data)


def collect_dtmf(
    *,
    collection_name: str | None = None,
    max_digits: int | None = None,
    timeout: int | None = None,
    interdigit_timeout: int | None = None,
    terminators: Sequence[str] | None = None,
) -> Node:
    """Collect digits into ``Digits[collection_name]`` of the next Pivot request.

    Timeouts are milliseconds. Digits the caller pressed during a preceding tts or play are
    kept (barge-in). An empty collection in the next request means the caller pressed nothing.
    """
    data: dict[str, JSONValue] = {}
    if collection_name is not None:
        data["collection_name"] = check_text("collect_dtmf collection_name", collection_name)
    if max_digits is not None:
        data["max_digits"] = check_int("collect_dtmf max_digits", max_digits, minimum=1)
    if timeout is not None:
        data["timeout"] = check_int("collect_dtmf timeout", timeout, minimum=1)
    if interdigit_timeout is not None:
        data["interdigit_timeout"] = check_int(
            "collect_dtmf interdigit_timeout", interdigit_timeout, minimum=1
        )
    if terminators is not None:
        data["terminators"] = list(check_dtmf_keys("collect_dtmf terminators", terminators))
    return Node("collect_dtmf", data)


def hangup() -> Node:
    """End the call."""
    return Node("hangup", {})


def response(code: int = 486, *, message: str | None = None, media: str | None = None) -> Node:
    """Answer the call with a SIP status (an integer; Kazoo rejects ``"486"``) and end it."""
    data: dict[str, JSONValue] = {
        "code": check_int("response code", code, minimum=100, maximum=699)
    }
    if message is not None:
        data["message"] = check_text("response message", message)
    if media is not None:
        data["media"] = check_text("response media", media, max_length=2048)
    return Node("response", data)
