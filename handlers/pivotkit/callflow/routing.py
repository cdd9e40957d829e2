"""Routing to stored configuration: ``menu``, ``temporal_route``, ``callflow``."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Literal, TypeAlias

from pivotkit.callflow.node import Node
from pivotkit.callflow.types import NodeData, literal_values

TemporalAction: TypeAlias = Literal["menu", "enable", "disable", "reset"]


def menu(id: str, *, interdigit_timeout: int | None = None) -> Node:
    """Run stored IVR menu ``id``; children are keyed by the digits pressed, ``timeout`` and
    ``max_retries`` (see ``pivotkit.callflow.branches``)."""
    return (
        NodeData("menu")
        .doc_id("id", id)
        .integer("interdigit_timeout", interdigit_timeout, minimum=1)
        .node()
    )


def temporal_route(
    *,
    rules: Sequence[str] | None = None,
    rule_set: str | None = None,
    timezone: str | None = None,
    action: TemporalAction | None = None,
    interdigit_timeout: int | None = None,
) -> Node:
    """Route by time of day to the child keyed by the first matching temporal rule, else ``_``.

    Kazoo takes the rules from ``rules``, from the child keys themselves (each key a rule id)
    and from stored ``rule_set`` (whose matches go to the child keyed ``rule_set``).
    ``action`` turns the node into the feature code that enables, disables or resets the
    rules instead of routing.
    """
    return (
        NodeData("temporal_route")
        .strings("rules", rules, unique=True)
        .doc_id("rule_set", rule_set)
        .token("timezone", timezone)
        .choice("action", action, literal_values(TemporalAction))
        .integer("interdigit_timeout", interdigit_timeout, minimum=1)
        .node()
    )


def callflow(id: str) -> Node:
    """Continue with stored callflow ``id`` (``_`` runs if it cannot be loaded)."""
    return NodeData("callflow").doc_id("id", id).node()
