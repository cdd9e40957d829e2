"""Connecting the caller to someone: ``device``, ``user``, ``ring_group``, ``group``,
``page_group``, ``resources``, ``offnet``; ring-group members are typed ``Endpoint``s.

Every bridging factory sends ``timeout`` (seconds) explicitly: a Pivot answer is validated
with schema defaults injected, and ``device.timeout`` defaults to 0 there. A failed bridge
goes to the child keyed by the hangup cause, then by the SIP code (``sip:486``), then ``_``
(except ``resources``/``offnet``: see ``pivotkit.callflow.branches``); a successful one ends
the flow.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal, TypeAlias, TypedDict, Unpack

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


class CarrierOptions(TypedDict, total=False):
    """What ``resources`` and ``offnet`` share beyond the number and the timeout (Kazoo's
    ``callflows.resources.json``): how caller ID, flags, ringback, E.164 handling and the SIP
    From URI are set on the outbound leg."""

    caller_id_type: str | None
    outbound_flags: Sequence[str] | None
    dynamic_flags: Sequence[str] | None
    ringback: str | None
    bypass_e164: bool | None
    do_not_normalize: bool | None
    ignore_early_media: bool | None
    emit_account_id: bool | None
    hunt_account_id: str | None
    format_from_uri: bool | None
    from_uri_realm: str | None
    resource_type: str | None
    custom_sip_headers: Mapping[str, str] | None


# How each carrier option is checked and written: one entry per CarrierOptions key.
_CARRIER_OPTION_WRITERS: dict[str, Callable[[NodeData, str, Any], NodeData]] = {
    "caller_id_type": NodeData.token,
    "outbound_flags": NodeData.strings,
    "dynamic_flags": NodeData.strings,
    "ringback": NodeData.text,
    "bypass_e164": NodeData.boolean,
    "do_not_normalize": NodeData.boolean,
    "ignore_early_media": NodeData.boolean,
    "emit_account_id": NodeData.boolean,
    "hunt_account_id": NodeData.doc_id,
    "format_from_uri": NodeData.boolean,
    "from_uri_realm": NodeData.token,
    "resource_type": NodeData.token,
    "custom_sip_headers": NodeData.sip_headers,
}


def resources(
    *,
    to_did: str | None = None,
    use_local_resources: bool | None = None,
    timeout: int = DEFAULT_TIMEOUT_S,
    **options: Unpack[CarrierOptions],
) -> Node:
    """Call out through carriers: ``to_did`` (else the dialed number), the account's own
    carriers (``use_local_resources``, Kazoo's default) or the system's (``False``).

    A failed call follows only cause/SIP-code children; there is no ``_`` fallback.
    """
    data = NodeData("resources").token("to_did", to_did)
    data = data.boolean("use_local_resources", use_local_resources)
    return _carrier_leg(data, timeout, options)


def offnet(
    *,
    to_did: str | None = None,
    timeout: int = DEFAULT_TIMEOUT_S,
    **options: Unpack[CarrierOptions],
) -> Node:
    """``resources`` through the system's global carriers. ``use_local_resources`` is not
    offered: ``cf_offnet`` always overrides it with ``false``."""
    return _carrier_leg(NodeData("offnet").token("to_did", to_did), timeout, options)


def _carrier_leg(data: NodeData, timeout: int, options: CarrierOptions) -> Node:
    # Type checkers refuse an unknown option; this refuses it at run time too.
    unknown = sorted(set(options) - set(_CARRIER_OPTION_WRITERS))
    if unknown:
        raise CallflowError(f"{data.name(unknown[0])} is not an option of this module")
    data = data.integer("timeout", timeout, minimum=1)
    for key, write in _CARRIER_OPTION_WRITERS.items():
        data = write(data, key, options.get(key))
    return data.node()


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
