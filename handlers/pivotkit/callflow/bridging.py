"""Connecting the caller to someone: ``device``, ``user``, ``ring_group``, ``group``,
``page_group``, ``resources``, ``offnet``; ring-group members are typed ``Endpoint``s.

Every bridging factory sends ``timeout`` (seconds) explicitly: a Pivot answer is validated
with schema defaults injected, and ``device.timeout`` defaults to 0 there. A failed bridge
goes to the child keyed by the hangup cause, then by the SIP code (``sip:486``), then ``_``
(except ``resources``/``offnet``: see ``pivotkit.callflow.branches``); a successful one ends
the flow.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Literal, TypeAlias, TypedDict

from pivotkit.callflow.node import JSONValue, Node
from pivotkit.callflow.types import (
    NodeData,
    check_choice,
    check_id,
    check_int,
    check_keys,
    check_text,
    literal_values,
)
from pivotkit.errors import CallflowError

EndpointType: TypeAlias = Literal["device", "user", "group"]
DialStrategy: TypeAlias = Literal["simultaneous", "single"]
RingGroupStrategy: TypeAlias = Literal["simultaneous", "single", "weighted_random"]
PageAudio: TypeAlias = Literal["one-way", "two-way"]

DEFAULT_TIMEOUT_S = 20
RING_GROUP_TIMEOUT_S = 30
# callflows.ring_group.json / page_group.json: endpoint ids are 1-128 characters.
_ENDPOINT_ID_MAX = 128


class Ringtones(TypedDict, total=False):
    """Alert-Info ringtones for calls from inside and outside the account."""

    internal: str
    external: str


@dataclass(frozen=True, slots=True)
class Endpoint:
    """One member of a ``ring_group`` or ``page_group``: a device, a user or a group by id.

    ``timeout`` and ``delay`` are seconds for this member; ``weight`` (1-100) matters with
    the ``weighted_random`` strategy.
    """

    endpoint_type: EndpointType
    id: str
    timeout: int | None = None
    delay: int | None = None
    weight: int | None = None

    def __post_init__(self) -> None:
        check_choice("endpoint endpoint_type", self.endpoint_type, literal_values(EndpointType))
        check_id("endpoint id", self.id, length=None)
        check_text("endpoint id", self.id, max_length=_ENDPOINT_ID_MAX)
        if self.timeout is not None:
            check_int("endpoint timeout", self.timeout, minimum=1)
        if self.delay is not None:
            check_int("endpoint delay", self.delay, minimum=0)
        if self.weight is not None:
            check_int("endpoint weight", self.weight, minimum=1, maximum=100)

    def to_json(self) -> dict[str, JSONValue]:
        rendered: dict[str, JSONValue] = {"endpoint_type": self.endpoint_type, "id": self.id}
        for key in ("timeout", "delay", "weight"):
            value = getattr(self, key)
            if value is not None:
                rendered[key] = value
        return rendered


def endpoint(
    endpoint_type: EndpointType,
    id: str,
    *,
    timeout: int | None = None,
    delay: int | None = None,
    weight: int | None = None,
) -> Endpoint:
    """``endpoint("device", "0123...")``: a ring/page group member (see ``Endpoint``)."""
    return Endpoint(endpoint_type, id, timeout=timeout, delay=delay, weight=weight)


def device(
    id: str,
    *,
    timeout: int = DEFAULT_TIMEOUT_S,
    delay: int | None = None,
    dial_strategy: DialStrategy | None = None,
    can_call_self: bool | None = None,
    can_text_self: bool | None = None,
    suppress_clid: bool | None = None,
    static_invite: str | None = None,
    custom_sip_headers: Mapping[str, str] | None = None,
) -> Node:
    """Ring device ``id`` for ``timeout`` seconds (always sent: Kazoo's injected default
    is 0)."""
    return (
        NodeData("device")
        .doc_id("id", id)
        .integer("timeout", timeout, minimum=1)
        .integer("delay", delay, minimum=0)
        .choice("dial_strategy", dial_strategy, literal_values(DialStrategy))
        .boolean("can_call_self", can_call_self)
        .boolean("can_text_self", can_text_self)
        .boolean("suppress_clid", suppress_clid)
        .text("static_invite", static_invite)
        .sip_headers("custom_sip_headers", custom_sip_headers)
        .node()
    )


def user(
    id: str,
    *,
    timeout: int = DEFAULT_TIMEOUT_S,
    delay: int | None = None,
    strategy: DialStrategy | None = None,
    can_call_self: bool | None = None,
    can_text_self: bool | None = None,
    fail_on_single_reject: bool | None = None,
    suppress_clid: bool | None = None,
    static_invite: str | None = None,
    custom_sip_headers: Mapping[str, str] | None = None,
) -> Node:
    """Ring every device of user ``id`` for ``timeout`` seconds."""
    return (
        NodeData("user")
        .doc_id("id", id)
        .integer("timeout", timeout, minimum=1)
        .integer("delay", delay, minimum=0)
        .choice("strategy", strategy, literal_values(DialStrategy))
        .boolean("can_call_self", can_call_self)
        .boolean("can_text_self", can_text_self)
        .boolean("fail_on_single_reject", fail_on_single_reject)
        .boolean("suppress_clid", suppress_clid)
        .text("static_invite", static_invite)
        .sip_headers("custom_sip_headers", custom_sip_headers)
        .node()
    )


def ring_group(
    endpoints: Sequence[Endpoint],
    *,
    timeout: int = RING_GROUP_TIMEOUT_S,
    strategy: RingGroupStrategy | None = None,
    repeats: int | None = None,
    ringback: str | None = None,
    ignore_forward: bool | None = None,
    fail_on_single_reject: bool | None = None,
    ringtones: Ringtones | None = None,
) -> Node:
    """Ring ``endpoints`` (``Endpoint`` objects, never bare id strings) as one group."""
    return (
        NodeData("ring_group")
        .put("endpoints", _endpoints("ring_group", endpoints))
        .integer("timeout", timeout, minimum=1)
        .choice("strategy", strategy, literal_values(RingGroupStrategy))
        .integer("repeats", repeats, minimum=1)
        .text("ringback", ringback)
        .boolean("ignore_forward", ignore_forward)
        .boolean("fail_on_single_reject", fail_on_single_reject)
        .put("ringtones", _ringtones("ring_group", ringtones))
        .node()
    )


def group(
    id: str,
    *,
    timeout: int = DEFAULT_TIMEOUT_S,
    strategy: DialStrategy | None = None,
    repeats: int | None = None,
    ringback: str | None = None,
    ignore_forward: bool | None = None,
    fail_on_single_reject: bool | None = None,
    ringtones: Ringtones | None = None,
) -> Node:
    """Ring the members of stored group ``id``.

    Settings stored on the group document (timeout, strategy, ringback) win over these:
    ``cf_group`` reads the document first.
    """
    return (
        NodeData("group")
        .doc_id("id", id)
        .integer("timeout", timeout, minimum=1)
        .choice("strategy", strategy, literal_values(DialStrategy))
        .integer("repeats", repeats, minimum=1)
        .text("ringback", ringback)
        .boolean("ignore_forward", ignore_forward)
        .boolean("fail_on_single_reject", fail_on_single_reject)
        .put("ringtones", _ringtones("group", ringtones))
        .node()
    )


def page_group(
    endpoints: Sequence[Endpoint],
    *,
    audio: PageAudio = "one-way",
    timeout: int = DEFAULT_TIMEOUT_S,
    barge_calls: bool | None = None,
) -> Node:
    """Page ``endpoints`` (auto-answer intercom); ``audio`` is always sent (required)."""
    return (
        NodeData("page_group")
        .put("endpoints", _endpoints("page_group", endpoints))
        .choice("audio", audio, literal_values(PageAudio))
        .integer("timeout", timeout, minimum=1)
        .boolean("barge_calls", barge_calls)
        .node()
    )


def resources(
    *,
    to_did: str | None = None,
    use_local_resources: bool | None = None,
    timeout: int = DEFAULT_TIMEOUT_S,
    caller_id_type: str | None = None,
    outbound_flags: Sequence[str] | None = None,
    dynamic_flags: Sequence[str] | None = None,
    ringback: str | None = None,
    bypass_e164: bool | None = None,
    do_not_normalize: bool | None = None,
    ignore_early_media: bool | None = None,
    emit_account_id: bool | None = None,
    hunt_account_id: str | None = None,
    format_from_uri: bool | None = None,
    from_uri_realm: str | None = None,
    resource_type: str | None = None,
    custom_sip_headers: Mapping[str, str] | None = None,
) -> Node:
    """Call out through carriers: ``to_did`` (else the dialed number), the account's own
    carriers (``use_local_resources``, Kazoo's default) or the system's (``False``).

    A failed call follows only cause/SIP-code children; there is no ``_`` fallback.
    """
    return _outbound(
        NodeData("resources"),
        to_did=to_did,
        use_local_resources=use_local_resources,
        timeout=timeout,
        caller_id_type=caller_id_type,
        outbound_flags=outbound_flags,
        dynamic_flags=dynamic_flags,
        ringback=ringback,
        bypass_e164=bypass_e164,
        do_not_normalize=do_not_normalize,
        ignore_early_media=ignore_early_media,
        emit_account_id=emit_account_id,
        hunt_account_id=hunt_account_id,
        format_from_uri=format_from_uri,
        from_uri_realm=from_uri_realm,
        resource_type=resource_type,
        custom_sip_headers=custom_sip_headers,
    )


def offnet(
    *,
    to_did: str | None = None,
    timeout: int = DEFAULT_TIMEOUT_S,
    caller_id_type: str | None = None,
    outbound_flags: Sequence[str] | None = None,
    dynamic_flags: Sequence[str] | None = None,
    ringback: str | None = None,
    bypass_e164: bool | None = None,
    do_not_normalize: bool | None = None,
    ignore_early_media: bool | None = None,
    emit_account_id: bool | None = None,
    hunt_account_id: str | None = None,
    format_from_uri: bool | None = None,
    from_uri_realm: str | None = None,
    resource_type: str | None = None,
    custom_sip_headers: Mapping[str, str] | None = None,
) -> Node:
    """``resources`` through the system's global carriers. ``use_local_resources`` is not
    offered: ``cf_offnet`` always overrides it with ``false``."""
    return _outbound(
        NodeData("offnet"),
        to_did=to_did,
        use_local_resources=None,
        timeout=timeout,
        caller_id_type=caller_id_type,
        outbound_flags=outbound_flags,
        dynamic_flags=dynamic_flags,
        ringback=ringback,
        bypass_e164=bypass_e164,
        do_not_normalize=do_not_normalize,
        ignore_early_media=ignore_early_media,
        emit_account_id=emit_account_id,
        hunt_account_id=hunt_account_id,
        format_from_uri=format_from_uri,
        from_uri_realm=from_uri_realm,
        resource_type=resource_type,
        custom_sip_headers=custom_sip_headers,
    )


def _outbound(
    data: NodeData,
    *,
    to_did: str | None,
    use_local_resources: bool | None,
    timeout: int,
    caller_id_type: str | None,
    outbound_flags: Sequence[str] | None,
    dynamic_flags: Sequence[str] | None,
    ringback: str | None,
    bypass_e164: bool | None,
    do_not_normalize: bool | None,
    ignore_early_media: bool | None,
    emit_account_id: bool | None,
    hunt_account_id: str | None,
    format_from_uri: bool | None,
    from_uri_realm: str | None,
    resource_type: str | None,
    custom_sip_headers: Mapping[str, str] | None,
) -> Node:
    return (
        data.token("to_did", to_did)
        .boolean("use_local_resources", use_local_resources)
        .integer("timeout", timeout, minimum=1)
        .token("caller_id_type", caller_id_type)
        .strings("outbound_flags", outbound_flags)
        .strings("dynamic_flags", dynamic_flags)
        .text("ringback", ringback)
        .boolean("bypass_e164", bypass_e164)
        .boolean("do_not_normalize", do_not_normalize)
        .boolean("ignore_early_media", ignore_early_media)
        .boolean("emit_account_id", emit_account_id)
        .doc_id("hunt_account_id", hunt_account_id)
        .boolean("format_from_uri", format_from_uri)
        .token("from_uri_realm", from_uri_realm)
        .token("resource_type", resource_type)
        .sip_headers("custom_sip_headers", custom_sip_headers)
        .node()
    )


def _endpoints(module: str, endpoints: Sequence[Endpoint]) -> list[JSONValue]:
    if isinstance(endpoints, str | bytes) or not isinstance(endpoints, Sequence):
        raise CallflowError(f"{module} endpoints must be a list of Endpoint objects")
    if not endpoints:
        raise CallflowError(f"{module} needs at least one endpoint")
    rendered: list[JSONValue] = []
    for member in endpoints:
        if not isinstance(member, Endpoint):
            raise CallflowError(
                f"{module} endpoints must be Endpoint objects (endpoint('device', id)), "
                f"not {type(member).__name__}: Kazoo rejects bare ids"
            )
        rendered.append(member.to_json())
    return rendered


def _ringtones(module: str, ringtones: Ringtones | None) -> dict[str, JSONValue] | None:
    if ringtones is None:
        return None
    check_keys(f"{module} ringtones", ringtones, ("internal", "external"))
    rendered: dict[str, JSONValue] = {}
    if "internal" in ringtones:
        rendered["internal"] = check_text(f"{module} ringtones internal", ringtones["internal"])
    if "external" in ringtones:
        rendered["external"] = check_text(f"{module} ringtones external", ringtones["external"])
    if not rendered:
        raise CallflowError(f"{module} ringtones needs internal and/or external")
    return rendered
