"""What Kazoo's webhooks app sends for a channel event, for the local tools and tests.

``channel_event`` builds the flat object ``webhooks_channel_util`` makes of a call event
(the base fields every channel event carries, plus the hangup fields of a destroy), and
``webhook_request`` sends it as ``webhooks_util:do_fire`` does for each ``http_verb`` and
``format`` (docs/kazoo-notes.md, "Call webhooks"): a GET appends ``?`` and the form encoding
to the uri as it is, a form POST/PUT uses the same encoder in the body, a JSON one the
JSON encoder. Values are the kinds Kazoo writes: Gregorian-second ``timestamp``, integers,
booleans, ``hangup_code`` as ``sip:<status>``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

from pivotkit.call_events import CHANNEL_DESTROY, GREGORIAN_TO_UNIX_SECONDS
from pivotkit.local.kazoo_encoding import KazooValue, encode_form, encode_json

FORM_CONTENT_TYPE: Final = "application/x-www-form-urlencoded"
JSON_CONTENT_TYPE: Final = "application/json"


def channel_event(
    kind: str,
    *,
    call_id: str,
    account_id: str,
    at: float,
    caller_id_number: str = "+15551230001",
    caller_id_name: str = "Caller",
    direction: str = "inbound",
    hangup_cause: str = "NORMAL_CLEARING",
    hangup_code: str = "sip:200",
    duration_seconds: int = 0,
    billing_seconds: int = 0,
    ringing_seconds: int = 0,
    other_leg_call_id: str | None = None,
    custom_data: dict[str, str] | None = None,
) -> dict[str, KazooValue]:
    """The fields of one channel event as Kazoo's webhooks app writes them (undefined
    fields left out, as ``kz_json:from_list`` drops them)."""
    fields: dict[str, KazooValue] = {
        "account_id": account_id,
        "call_direction": direction,
        "call_forwarded": False,
        "call_id": call_id,
        "callee_id_name": caller_id_name,
        "callee_id_number": caller_id_number,
        "caller_id_name": caller_id_name,
        "caller_id_number": caller_id_number,
        "custom_application_vars": {},
        "custom_channel_vars": {},
        "emergency_resource_used": False,
        "from": f"{caller_id_number}@kazoo.example.net",
        "hook_event": kind,
        "inception": f"{caller_id_number}@kazoo.example.net",
        "is_internal_leg": False,
        "local_resource_used": True,
        "request": "5550100@kazoo.example.net",
        "timestamp": int(at) + GREGORIAN_TO_UNIX_SECONDS,
        "to": "5550100@kazoo.example.net",
    }
    if other_leg_call_id is not None:
        fields["other_leg_call_id"] = other_leg_call_id
    if kind == CHANNEL_DESTROY:
        fields |= {
            "hangup_cause": hangup_cause,
            "hangup_code": hangup_code,
            "duration_seconds": duration_seconds,
            "ringing_seconds": ringing_seconds,
            "billing_seconds": billing_seconds,
        }
    # fire_hook: custom_data (without "type" and "action") merged over the event, then the
    # cluster id added.
    extra = {k: v for k, v in (custom_data or {}).items() if k not in ("type", "action")}
    return {**fields, **extra, "cluster_id": "c1a5e7d0c1a5e7d0c1a5e7d0c1a5e7d0"}


@dataclass(frozen=True, slots=True)
class WebhookRequest:
    method: str
    url: str
    headers: tuple[tuple[str, str], ...]
    body: bytes


def webhook_request(
    fields: dict[str, KazooValue],
    uri: str,
    *,
    http_verb: str = "post",
    body_format: str = "form-data",
    hook_id: str = "0f0e0d0c0b0a09080706050403020100",
    account_id: str | None = None,
) -> WebhookRequest:
    """The HTTP request ``webhooks_util:do_fire`` makes for ``fields``."""
    headers: list[tuple[str, str]] = [
        ("X-Hook-ID", hook_id),
        ("X-Account-ID", account_id or str(fields.get("account_id", ""))),
    ]
    if http_verb == "get":
        # Appended after "?" whatever the uri holds already (no check for an existing query).
        return WebhookRequest("GET", f"{uri}?{encode_form(fields)}", tuple(headers), b"")
    if http_verb not in ("post", "put"):
        raise ValueError("Kazoo's http_verb is get, post or put")
    if body_format == "json":
        body, content_type = encode_json(fields), JSON_CONTENT_TYPE
    elif body_format == "form-data":
        body, content_type = encode_form(fields), FORM_CONTENT_TYPE
    else:
        raise ValueError("Kazoo's webhook format is form-data or json")
    headers.insert(0, ("Content-Type", content_type))
    return WebhookRequest(http_verb.upper(), uri, tuple(headers), body.encode("utf-8"))
