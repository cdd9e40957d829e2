"""Fax: ``fax_detect`` (branch ``ON_FAX``/``ON_VOICE``), ``faxbox``, ``receive_fax``."""

from __future__ import annotations

from typing import Literal, TypedDict

from pivotkit.callflow.node import JSONValue, Node
from pivotkit.callflow.types import NodeData, check_keys
from pivotkit.errors import CallflowError


class FaxMedia(TypedDict, total=False):
    """T.38 negotiation: ``True``/``False`` or ``"auto"``.

    4.3 allows ``"auto"``, ``true`` and ``false``; master also the strings ``"true"`` and
    ``"false"``. Only the forms both accept are offered.
    """

    fax_option: bool | Literal["auto"]


def fax_detect(*, duration: int | None = None) -> Node:
    """Listen ``duration`` seconds (Kazoo's default 3) for fax tones, then continue to the
    ``ON_FAX`` or ``ON_VOICE`` child (``_`` when that child is missing)."""
    return NodeData("fax_detect").integer("duration", duration, minimum=1).node()


def faxbox(id: str, *, media: FaxMedia | None = None) -> Node:
    """Receive a fax into faxbox ``id``. This ends the flow."""
    return NodeData("faxbox").doc_id("id", id).put("media", _media("faxbox", media)).node()


def receive_fax(*, owner_id: str | None = None, media: FaxMedia | None = None) -> Node:
    """Receive a fax for user ``owner_id`` (their fax settings and mailbox). Ends the flow."""
    return (
        NodeData("receive_fax")
        .doc_id("owner_id", owner_id)
        .put("media", _media("receive_fax", media))
        .node()
    )


def _media(module: str, media: FaxMedia | None) -> dict[str, JSONValue] | None:
    if media is None:
        return None
    check_keys(f"{module} media", media, ("fax_option",))
    if "fax_option" not in media:
        return {}
    option = media["fax_option"]
    if not isinstance(option, bool) and option != "auto":
        raise CallflowError(
            f"{module} media fax_option must be true, false or 'auto' (the forms Kazoo 4.3 "
            f"and master both accept), got {option!r}"
        )
    return {"fax_option": option}
