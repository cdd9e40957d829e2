"""Shared fixture: validate rendered callflows against Kazoo 4.3 and master schemas.

Tests that need the schemas take ``kazoo_errors``; they are skipped (not failed) when the
schemas are absent (``pivotkit schemas fetch`` gets them; see ``pivotkit.local.schemas``).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest

from pivotkit.callflow import Node, render
from pivotkit.local.schemas import HOW_TO_ENABLE, KNOWN_VERSIONS, load_schema_sets, schemas_root

KazooErrors = Callable[[Node | dict[str, Any]], list[str]]


@pytest.fixture(scope="session")
def kazoo_errors() -> KazooErrors:
    """``kazoo_errors(node_or_tree)``: errors from both schema lines, ``[]`` when valid.

    A ``Node`` is rendered first, so the bytes Kazoo would receive are what is checked.
    """
    sets = load_schema_sets()
    missing = [v for v in KNOWN_VERSIONS if v not in sets]
    if missing:
        pytest.skip(
            f"Kazoo schemas for {', '.join(missing)} not found"
            f"{f' under {root}' if (root := schemas_root()) else ''}: {HOW_TO_ENABLE}"
        )

    def errors(tree: Node | dict[str, Any]) -> list[str]:
        document = json.loads(render(tree)) if isinstance(tree, Node) else tree
        return [e for version in KNOWN_VERSIONS for e in sets[version].errors(document)]

    return errors
