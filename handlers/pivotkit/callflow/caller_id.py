"""Caller ID: ``set_cid``, ``prepend_cid``, ``dynamic_cid``, ``check_cid``, ``cidlistmatch``."""

from __future__ import annotations

from typing import Literal, TypeAlias, TypedDict

from pivotkit.callflow.node import JSONValue, Node
from pivotkit.callflow.types import (
    NodeData,
    check_keys,
    check_text,
    check_token,
    literal_values,
)
from pivotkit.errors import CallflowError

PrependAction: TypeAlias = Literal["prepend", "reset"]
PrependApplyTo: TypeAlias = Literal["current", "original"]
DynamicCidAction: TypeAlias = Literal["manual", "static", "list", "lists"]


class CallerId(TypedDict, total=False):
    name: str
    number: str


class CheckCidCallerId(TypedDict, total=False):
    """The caller ID ``check_cid`` applies on a match (only ``external`` is in the schema)."""

    external: CallerId


def set_cid(*, caller_id_name: str | None = None, caller_id_number: str | None = None) -> Node:
    """Rewrite the caller ID for the rest of the call.

    An empty string (or a field left out: Kazoo injects ``""``) resets that field to the
    original caller ID.
    """
    if caller_id_name is None and caller_id_number is None:
        raise CallflowError("set_cid needs caller_id_name and/or caller_id_number")
    return (
        NodeData("set_cid")
        .text("caller_id_name", caller_id_name, min_length=0)
        .text("caller_id_number", caller_id_number, min_length=0)
        .node()
    )


def prepend_cid(
    *,
    action: PrependAction = "prepend",
    apply_to: PrependApplyTo | None = None,
    caller_id_name_prefix: str | None = None,
    caller_id_number_prefix: str | None = None,
) -> Node:
    """Prefix the caller ID name/number (``action="prepend"``) or undo it (``"reset"``)."""
    data = NodeData("prepend_cid").choice("action", action, literal_values(PrependAction))
    if action == "prepend":
        if caller_id_name_prefix is None and caller_id_number_prefix is None:
            raise CallflowError("prepend_cid prepend needs a name and/or number prefix")
    elif caller_id_name_prefix is not None or caller_id_number_prefix is not None:
        raise CallflowError("prepend_cid reset takes no prefixes")
    return (
        data.choice("apply_to", apply_to, literal_values(PrependApplyTo))
        .text("caller_id_name_prefix", caller_id_name_prefix)
        .text("caller_id_number_prefix", caller_id_number_prefix)
        .node()
    )


def dynamic_cid(
    *,
    action: DynamicCidAction = "manual",
    id: str | None = None,
    caller_id: CallerId | None = None,
    media_id: str | None = None,
    min_digits: int | None = None,
    max_digits: int | None = None,
    interdigit_timeout: int | None = None,
    whitelist_regex: str | None = None,
    idx_name: str | None = None,
    enforce_call_restriction: bool | None = None,
    permit_custom_callflow: bool | None = None,
) -> Node:
    """Let the caller choose the outgoing caller ID: typed in (``manual``), fixed
    (``static`` with ``caller_id``) or from a CID list (``list``/``lists`` with ``id``)."""
    data = NodeData("dynamic_cid").choice("action", action, literal_values(DynamicCidAction))
    if action in ("list", "lists") and id is None:
        raise CallflowError(f"dynamic_cid {action} needs the id of a CID list")
    if action == "static" and caller_id is None:
        raise CallflowError("dynamic_cid static needs caller_id")
    if min_digits is not None and max_digits is not None and min_digits > max_digits:
        raise CallflowError("dynamic_cid min_digits must not exceed max_digits")
    return (
        data.doc_id("id", id)
        .put("caller_id", _caller_id("dynamic_cid caller_id", caller_id))
        .token("media_id", media_id)
        .integer("min_digits", min_digits, minimum=1)
        .integer("max_digits", max_digits, minimum=1)
        .integer("interdigit_timeout", interdigit_timeout, minimum=1)
        .text("whitelist_regex", whitelist_regex)
        .token("idx_name", idx_name)
        .boolean("enforce_call_restriction", enforce_call_restriction)
        .boolean("permit_custom_callflow", permit_custom_callflow)
        .node()
    )


def check_cid(
    *,
    regex: str | None = None,
    use_absolute_mode: bool | None = None,
    user_id: str | None = None,
    caller_id: CheckCidCallerId | None = None,
) -> Node:
    """Branch on the caller-ID number: children ``match``/``nomatch`` for ``regex`` (a PCRE,
    Kazoo's default ``.*``), or keyed by the number itself in ``use_absolute_mode``.

    On a match Kazoo rewrites the caller ID and owner only when ``caller_id.external.name``,
    ``caller_id.external.number`` and ``user_id`` are all given, so it takes all or none.
    """
    rendered_cid: dict[str, JSONValue] | None = None
    if caller_id is not None:
        check_keys("check_cid caller_id", caller_id, ("external",))
        external = _caller_id("check_cid caller_id external", caller_id.get("external"))
        if external is None or len(external) != 2 or user_id is None:
            raise CallflowError(
                "check_cid applies caller_id only with external name, external number and "
                "user_id all set"
            )
        rendered_cid = {"external": external}
    elif user_id is not None:
        raise CallflowError("check_cid user_id is applied only together with caller_id")
    return (
        NodeData("check_cid")
        .text("regex", regex)
        .boolean("use_absolute_mode", use_absolute_mode)
        .doc_id("user_id", user_id)
        .put("caller_id", rendered_cid)
        .node()
    )


def cidlistmatch(id: str) -> Node:
    """Branch ``match``/``nomatch`` on whether the caller is in CID list ``id``."""
    return NodeData("cidlistmatch").doc_id("id", id).node()


def _caller_id(name: str, value: CallerId | None) -> dict[str, JSONValue] | None:
    if value is None:
        return None
    check_keys(name, value, ("name", "number"))
    if not value:
        raise CallflowError(f"{name} needs a name and/or number")
    rendered: dict[str, JSONValue] = {}
    if "name" in value:
        rendered["name"] = check_text(f"{name} name", value["name"])
    if "number" in value:
        rendered["number"] = check_token(f"{name} number", value["number"])
    return rendered
