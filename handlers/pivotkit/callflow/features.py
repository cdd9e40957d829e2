"""Telephony features: presence, pickup/intercept/eavesdrop, hotdesk, forwarding, DND,
directory, DISA and the ``webhook`` action."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Literal, TypeAlias

from pivotkit.callflow.node import JSONValue, Node
from pivotkit.callflow.types import NodeData, check_digits, exactly_one, literal_values
from pivotkit.errors import CallflowError

PresenceStatus: TypeAlias = Literal["idle", "ringing", "busy"]
HotdeskAction: TypeAlias = Literal["login", "logout", "toggle", "bridge"]
CallForwardAction: TypeAlias = Literal["activate", "deactivate", "update", "toggle", "menu"]
DndAction: TypeAlias = Literal["activate", "deactivate", "toggle"]
PreconnectAudio: TypeAlias = Literal["dialtone", "ringing"]
WebhookVerb: TypeAlias = Literal["post", "get"]

# Kazoo's webhooks app retries a hook at most 4 times.
WEBHOOK_MAX_RETRIES = 4


def manual_presence(presence_id: str, *, status: PresenceStatus = "idle") -> Node:
    """Set the BLF state of ``presence_id`` (``@realm`` is appended when missing).

    ``status`` is always sent (idle, ringing or busy).
    """
    return (
        NodeData("manual_presence")
        .token("presence_id", presence_id)
        .choice("status", status, literal_values(PresenceStatus))
        .node()
    )


def eavesdrop(
    *,
    device_id: str | None = None,
    user_id: str | None = None,
    approved_device_id: str | None = None,
    approved_user_id: str | None = None,
    approved_group_id: str | None = None,
) -> Node:
    """Listen in on the call of one device or user (exactly one target).

    ``cf_eavesdrop`` refuses every caller unless an ``approved_*`` id says who may listen,
    so at least one is required.
    """
    exactly_one("eavesdrop", device_id=device_id, user_id=user_id)
    if approved_device_id is None and approved_user_id is None and approved_group_id is None:
        raise CallflowError(
            "eavesdrop needs approved_device_id, approved_user_id or approved_group_id: "
            "without one Kazoo denies every caller"
        )
    return (
        NodeData("eavesdrop")
        .doc_id("device_id", device_id)
        .doc_id("user_id", user_id)
        .doc_id("approved_device_id", approved_device_id)
        .doc_id("approved_user_id", approved_user_id)
        .doc_id("approved_group_id", approved_group_id)
        .node()
    )


def group_pickup(
    *,
    device_id: str | None = None,
    user_id: str | None = None,
    group_id: str | None = None,
    approved_device_id: str | None = None,
    approved_user_id: str | None = None,
    approved_group_id: str | None = None,
) -> Node:
    """Answer a call ringing a device, a user or a group (exactly one target)."""
    return _pickup(
        "group_pickup",
        device_id,
        user_id,
        group_id,
        approved_device_id,
        approved_user_id,
        approved_group_id,
    )


def intercept(
    *,
    device_id: str | None = None,
    user_id: str | None = None,
    group_id: str | None = None,
    approved_device_id: str | None = None,
    approved_user_id: str | None = None,
    approved_group_id: str | None = None,
) -> Node:
    """Take over a call ringing a device, a user or a group (exactly one target)."""
    return _pickup(
        "intercept",
        device_id,
        user_id,
        group_id,
        approved_device_id,
        approved_user_id,
        approved_group_id,
    )


def _pickup(
    module: str,
    device_id: str | None,
    user_id: str | None,
    group_id: str | None,
    approved_device_id: str | None,
    approved_user_id: str | None,
    approved_group_id: str | None,
) -> Node:
    # Kazoo checks device_id, then user_id, then group_id and crashes when none is set.
    exactly_one(module, device_id=device_id, user_id=user_id, group_id=group_id)
    return (
        NodeData(module)
        .doc_id("device_id", device_id)
        .doc_id("user_id", user_id)
        .doc_id("group_id", group_id)
        .doc_id("approved_device_id", approved_device_id)
        .doc_id("approved_user_id", approved_user_id)
        .doc_id("approved_group_id", approved_group_id)
        .node()
    )


def hotdesk(
    *, action: HotdeskAction, id: str | None = None, interdigit_timeout: int | None = None
) -> Node:
    """Hot-desking: log the caller in or out of user ``id``'s profile, or ``bridge`` to it."""
    if action == "bridge" and id is None:
        raise CallflowError("hotdesk bridge needs the id of the hot-desk user")
    return (
        NodeData("hotdesk")
        .choice("action", action, literal_values(HotdeskAction))
        .doc_id("id", id)
        .integer("interdigit_timeout", interdigit_timeout, minimum=1)
        .node()
    )


def call_forward(*, action: CallForwardAction) -> Node:
    """Change the caller's own call forwarding (``menu`` lets them choose by keypad)."""
    return (
        NodeData("call_forward").choice("action", action, literal_values(CallForwardAction)).node()
    )


def do_not_disturb(*, action: DndAction, id: str | None = None) -> Node:
    """Switch do-not-disturb for the caller, or for user/device ``id``."""
    return (
        NodeData("do_not_disturb")
        .choice("action", action, literal_values(DndAction))
        .doc_id("id", id)
        .node()
    )


def directory(id: str) -> Node:
    """Dial-by-name from directory ``id``."""
    return NodeData("directory").doc_id("id", id).node()


def disa(
    *,
    pin: str | None = None,
    retries: int | None = None,
    max_digits: int | None = None,
    interdigit: int | None = None,
    preconnect_audio: PreconnectAudio | None = None,
    ring_repeat_count: int | None = None,
    use_account_caller_id: bool | None = None,
    enforce_call_restriction: bool | None = None,
) -> Node:
    """Direct inward system access: after an optional ``pin``, the caller dials out.

    4.3's schema declares none of these keys but accepts them (no ``additionalProperties``).
    """
    data = NodeData("disa")
    if pin is not None:
        data.put("pin", check_digits("disa pin", pin))
    return (
        data.integer("retries", retries, minimum=1)
        .integer("max_digits", max_digits, minimum=1)
        .integer("interdigit", interdigit, minimum=1)
        .choice("preconnect_audio", preconnect_audio, literal_values(PreconnectAudio))
        .integer("ring_repeat_count", ring_repeat_count, minimum=1)
        .boolean("use_account_caller_id", use_account_caller_id)
        .boolean("enforce_call_restriction", enforce_call_restriction)
        .node()
    )


def webhook(
    uri: str,
    *,
    http_verb: WebhookVerb = "post",
    retries: int | None = None,
    custom_data: Mapping[str, JSONValue] | None = None,
) -> Node:
    """Send the call's details to ``uri`` once (fire and forget), then continue.

    ``http_verb`` is always sent: ``cf_webhook`` copies it into the hook without a default.
    """
    data = (
        NodeData("webhook")
        .url("uri", uri)
        .choice("http_verb", http_verb, literal_values(WebhookVerb))
        .integer("retries", retries, minimum=0, maximum=WEBHOOK_MAX_RETRIES)
    )
    if custom_data is not None:
        if not isinstance(custom_data, Mapping):
            raise CallflowError("webhook custom_data must be a mapping")
        # Node() deep-copies data and refuses anything that is not JSON.
        data.put("custom_data", dict(custom_data))
    return data.node()
