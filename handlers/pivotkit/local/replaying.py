"""Saved Lambda events run through the local handlers, and their answers as goldens keep them.

``pivotkit replay`` (``commands.replay``), ``call --save-events`` (``event_recorder``) and the
tests share it: which function an event goes to, running it at the time it carries, and the
golden format ``{"status": ..., "body": ...}`` with the body JSON-parsed, text kept as text,
and binary summarised (so goldens stay readable). An event marked ``WITHHELD_KEY`` (digits
the call journal masked) is not run: its answer would be for other digits.
"""

from __future__ import annotations

import base64
import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pivotkit.aws.settings import PUBLIC_URL
from pivotkit.errors import PivotkitError
from pivotkit.http import HttpResponse, from_lambda_event
from pivotkit.local.clock import event_time
from pivotkit.local.gateway import proxy_response
from pivotkit.local.lambda_context import LocalLambdaContext
from pivotkit.local.runtime import LocalRuntime

GOLDEN_SUFFIX = ".expected.json"
# An event key ``pivotkit calls pull`` sets when the journal masked digits the request
# carried: replay reports the event as withheld instead of running it (``commands.replay``).
WITHHELD_KEY = "pivotkit_withheld"
# What the handlers strip from paths when set; replay routes alike.
PUBLIC_URL_VARIABLE = PUBLIC_URL


@dataclass(frozen=True)
class Replayed:
    """One event's answer, as a golden stores it."""

    status: int
    body: Any

    @classmethod
    def of(cls, response: HttpResponse) -> Replayed:
        return cls(
            response.status, golden_body(response.headers.get("Content-Type", ""), response.body)
        )

    def golden(self) -> dict[str, Any]:
        return {"status": self.status, "body": self.body}


def golden_path(event_path: Path) -> Path:
    return event_path.with_name(event_path.name.removesuffix(".json") + GOLDEN_SUFFIX)


def golden_body(content_type: str, body: bytes) -> Any:
    """An answer body as a golden keeps it: JSON parsed, text kept, binary summarised."""
    if "json" in content_type:
        try:
            return json.loads(body)
        except ValueError:
            pass
    try:
        return body.decode("utf-8")
    except UnicodeDecodeError:
        return {
            "bytes": len(body),
            "sha256": hashlib.sha256(body).hexdigest(),
            "base64_head": base64.b64encode(body[:48]).decode("ascii"),
        }


def invoke(
    runtime: LocalRuntime,
    event: Mapping[str, Any],
    *,
    at: float | None = None,
    function: str | None = None,
) -> HttpResponse:
    """Run ``event`` through the function its path names (or ``function``), as API Gateway
    would, at time ``at`` (epoch seconds; default: the time in the event)."""
    name = function or function_for(runtime, event)
    handler = runtime.functions.get(name)
    if handler is None:
        raise LookupError(f"no {name} function is available")
    context = LocalLambdaContext(function_name=f"pivotkit-local-{name}")
    moment = at if at is not None else event_time(event)
    if moment is None:  # a hand-written event without a time: the clock as it runs
        return proxy_response(handler(event, context))
    with runtime.clock.pinned(moment):
        return proxy_response(handler(event, context))


def function_for(runtime: LocalRuntime, event: Mapping[str, Any]) -> str:
    """``pivot`` or ``media``: the function API Gateway would invoke for ``event``, from the
    first segment of the path the handlers route on.

    The path is read as the handlers read it (``pivotkit.http``), so a REST API's stage, a
    custom domain's base path mapping and SAM's catch-all ``/{proxy+}`` resource (whose
    ``resourcePath`` names no function) route as deployed.
    """
    public_url = runtime.environment.get(PUBLIC_URL_VARIABLE)
    routable = {key: value for key, value in event.items() if key != "body"}  # path only
    try:
        request = from_lambda_event(routable, public_url=public_url)
    except PivotkitError as exc:
        raise ValueError(f"not an HTTP event a function takes: {exc}") from None
    head = request.segments[0] if request.segments else ""
    if head in ("pivot", "media"):
        return head
    raise ValueError(f"path {request.path!r} is neither a /pivot nor a /media route")
