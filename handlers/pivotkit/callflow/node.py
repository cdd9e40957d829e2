"""The callflow node: one Kazoo action with its data and its branches.

A node renders to exactly what Kazoo's ``callflows.action`` schema wants:
``{"module": ..., "data": {...}, "children": {...}}``, with ``data`` always present (plain
jsonschema requires it; Kazoo would inject ``{}``) and ``children`` only when there are some.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from types import MappingProxyType
from typing import Any, TypeAlias

from pivotkit.callflow.branches import DEFAULT, check_branch_key
from pivotkit.callflow.modules import KNOWN_MODULES
from pivotkit.errors import CallflowError

JSONValue: TypeAlias = str | int | float | bool | list["JSONValue"] | dict[str, "JSONValue"] | None


_SCALARS = frozenset({str, int, bool})
_STRING = frozenset({str})
# Deeper trees are almost certainly a bug (a loop built by accident) and slow to validate.
MAX_DEPTH = 64
# Kazoo reads the whole answer into memory; keep answers far below anything surprising.
MAX_RENDERED_BYTES = 256 * 1024


class Node:
    """One callflow action. Build it with the factories in ``pivotkit.callflow``."""

    __slots__ = ("_children", "_data", "_module")

    def __init__(
        self,
        module: str,
        data: Mapping[str, JSONValue] | None = None,
        children: Mapping[str, Node] | None = None,
    ) -> None:
        if module not in KNOWN_MODULES:
            raise CallflowError(f"Kazoo has no callflow module {module!r}")
        self._module = module
        values = dict(data) if data else {}
        # Most data is flat strings, ints and bools: nothing to copy deeply or check further.
        # (Set look-ups over the types, in C: this runs for every node of every answer.)
        flat = _STRING.issuperset(map(type, values)) and _SCALARS.issuperset(
            map(type, values.values())
        )
        # Never mutated after this, and never handed out but through a read-only view.
        self._data: dict[str, JSONValue] = values if flat else _json_copy(values)
        self._children: dict[str, Node] = {}
        if children:
            for key, child in children.items():
                self.on(key, child)

    @property
    def module(self) -> str:
        return self._module

    @property
    def data(self) -> Mapping[str, JSONValue]:
        return MappingProxyType(self._data)

    @property
    def children(self) -> Mapping[str, Node]:
        return MappingProxyType(self._children)

    def then(self, node: Node) -> Node:
        """Append ``node`` at the end of this node's ``_`` chain and return this node.

        ``tts(...).then(collect_dtmf(...)).then(pivot(...))`` therefore reads top to bottom
        as the order Kazoo runs them, and the expression is the first node.
        """
        if not isinstance(node, Node):
            raise CallflowError(f"then() takes a callflow Node, not {type(node).__name__}")
        tail: Node = self
        while DEFAULT in tail._children:
            tail = tail._children[DEFAULT]
        # Every node of the chain leads to its tail, so ``node`` leads back into the chain
        # exactly when it leads to the tail.
        if _reaches(node, tail):
            raise CallflowError("then() would make the callflow loop back on itself")
        check_branch_key(tail._module, tail._data, DEFAULT)
        tail._children[DEFAULT] = node
        return self

    def on(self, key: str, node: Node) -> Node:
        """Set the branch taken on ``key`` (a menu digit, ``match``, ``NO_ANSWER``, ...).

        Keys this node's module never follows are refused (see ``pivotkit.callflow.branches``).
        """
        check_branch_key(self._module, self._data, key)
        if not isinstance(node, Node):
            raise CallflowError(f"branch {key!r} must be a callflow Node")
        if _reaches(node, self):
            raise CallflowError(f"branch {key!r} would make the callflow loop back on itself")
        self._children[key] = node
        return self

    def to_dict(self) -> dict[str, Any]:
        rendered: dict[str, Any] = {"module": self._module, "data": _json_copy(self._data)}
        if self._children:
            rendered["children"] = {k: v.to_dict() for k, v in self._children.items()}
        return rendered

    def walk(self) -> list[Node]:
        """This node and every node below it, depth first."""
        found: list[Node] = []
        stack: list[Node] = [self]
        while stack:
            node = stack.pop()
            found.append(node)
            stack.extend(reversed(list(node._children.values())))
        return found

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Node) and self.to_dict() == other.to_dict()

    def __hash__(self) -> int:  # mutable through then()/on(); identity hash keeps sets sane
        return id(self)

    def __repr__(self) -> str:
        return f"Node({self._module!r}, {dict(self._data)!r}, children={list(self._children)})"


def raw(module: str, data: Mapping[str, JSONValue] | None = None) -> Node:
    """Any Kazoo module the typed factories do not cover. ``data`` is sent as given."""
    return Node(module, data or {})


def render(node: Node) -> bytes:
    """The compact JSON body for a 200 answer, after checking the tree's shape.

    The typed factories already refuse values Kazoo rejects; this re-checks what they cannot
    see (depth, size, ``raw`` data that is not JSON) so a 200 never carries a body Kazoo
    would turn into a hang-up.
    """
    return render_text(node).encode("utf-8")


def render_text(node: Node) -> str:
    """``render`` as text, with the same checks: for callers that edit the text (the engine
    fills in placeholders) before encoding it once."""
    if not isinstance(node, Node):
        raise CallflowError(f"a step must return a callflow Node, not {type(node).__name__}")
    text = _ENCODER.encode(_shared_tree(node, 1))
    if text.isascii():  # known without a scan: one byte per character, nothing to check
        size = len(text)
    else:
        try:
            size = len(text.encode("utf-8"))
        except UnicodeEncodeError as error:  # a lone surrogate, e.g. from a bad decode
            raise CallflowError(f"callflow text is not valid Unicode: {error.reason}") from None
    if size > MAX_RENDERED_BYTES:
        raise CallflowError(f"callflow is {size} bytes, over {MAX_RENDERED_BYTES}")
    return text


# Built once: json.dumps with options builds a new encoder per call. The tree it encodes
# is fresh from _shared_tree (depth-limited, data flat or deep-copied), so it cannot hold a
# reference cycle and the encoder's cycle bookkeeping is skipped.
_ENCODER = json.JSONEncoder(
    separators=(",", ":"), ensure_ascii=False, allow_nan=False, check_circular=False
)


def _shared_tree(node: Node, depth: int) -> dict[str, Any]:
    """Like ``to_dict`` but sharing the (already checked, never mutated) data, for dumping."""
    if depth > MAX_DEPTH:
        raise CallflowError(f"callflow is nested deeper than {MAX_DEPTH} nodes")
    tree: dict[str, Any] = {"module": node._module, "data": node._data}
    if node._children:
        tree["children"] = {k: _shared_tree(v, depth + 1) for k, v in node._children.items()}
    return tree


def _reaches(root: Node, target: Node) -> bool:
    """Whether ``target`` is ``root`` or below it."""
    if not root._children:  # the common case: appending a fresh leaf
        return root is target
    stack = [root]
    while stack:
        node = stack.pop()
        if node is target:
            return True
        stack.extend(node._children.values())
    return False


def _json_copy(value: Any) -> Any:
    """A deep copy that admits only JSON values (str keys, finite numbers)."""
    if value is None or type(value) in _SCALARS:  # the common case, checked cheaply first
        return value
    if isinstance(value, str | int):  # subclasses: bool, str-valued enums
        return value
    if isinstance(value, float):
        if not math.isfinite(value):
            raise CallflowError("callflow data cannot hold NaN or infinity")
        return value
    if isinstance(value, Mapping):
        copied: dict[str, Any] = {}
        for key, item in value.items():
            if not isinstance(key, str):
                raise CallflowError(f"callflow data keys must be strings, not {key!r}")
            copied[key] = _json_copy(item)
        return copied
    if isinstance(value, list | tuple):
        return [_json_copy(item) for item in value]
    raise CallflowError(f"callflow data cannot hold a {type(value).__name__}")
