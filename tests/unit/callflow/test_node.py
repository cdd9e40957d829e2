"""Node mechanics: chaining, branching, immutability of data, rendering limits."""

from __future__ import annotations

import json
import types
from typing import Any

import pytest

import pivotkit
import pivotkit.callflow as cf
from pivotkit.callflow import Node, hangup, pivot, raw, render, tts
from pivotkit.callflow.node import MAX_DEPTH, MAX_RENDERED_BYTES
from pivotkit.errors import CallflowError

URL = "https://example.com/pivot"


def test_then_appends_to_the_end_of_the_default_chain_and_returns_the_head() -> None:
    head = tts("one")
    assert head.then(tts("two")).then(hangup()) is head
    assert json.loads(render(head)) == {
        "module": "tts",
        "data": {"text": "one"},
        "children": {
            "_": {
                "module": "tts",
                "data": {"text": "two"},
                "children": {"_": {"module": "hangup", "data": {}}},
            }
        },
    }


def test_then_on_a_subtree_appends_inside_it() -> None:
    step = pivot(URL).then(tts("fallback")).then(hangup())
    flow = tts("hello").then(step)
    chain = [flow.module]
    node = flow
    while "_" in node.children:
        node = node.children["_"]
        chain.append(node.module)
    assert chain == ["tts", "pivot", "tts", "hangup"]


def test_loops_are_refused() -> None:
    head = tts("a")
    with pytest.raises(CallflowError, match="loop"):
        head.then(head)
    middle = tts("b")
    head.then(middle)
    with pytest.raises(CallflowError, match="loop"):
        middle.then(head)
    with pytest.raises(CallflowError, match="loop"):
        cf.device("d").on(cf.NO_ANSWER, head).on(cf.USER_BUSY, head).then(head).then(
            cf.device("d").on(cf.NO_ANSWER, head)
        )


def test_a_shared_subtree_renders_under_each_key() -> None:
    apology = tts("sorry").then(hangup())
    outbound = cf.resources().on(cf.NO_ANSWER, apology).on(cf.USER_BUSY, apology)
    tree = json.loads(render(outbound))
    assert tree["children"]["NO_ANSWER"] == tree["children"]["USER_BUSY"]


def test_data_is_a_read_only_deep_copy() -> None:
    vars_ = {"session": "abc"}
    node = cf.set_variables(vars_)
    vars_["session"] = "changed"
    assert node.data["custom_application_vars"] == {"session": "abc"}
    with pytest.raises(TypeError):
        node.data["export"] = True  # type: ignore[index]
    rendered = node.to_dict()
    rendered["data"]["custom_application_vars"]["session"] = "mutated"
    assert node.data["custom_application_vars"] == {"session": "abc"}


def test_children_view_is_read_only() -> None:
    node = tts("a").then(hangup())
    with pytest.raises(TypeError):
        node.children["x"] = hangup()  # type: ignore[index]


def test_render_is_compact_utf8_json() -> None:
    body = render(tts("Grüß Gott — 你好"))
    assert body == '{"module":"tts","data":{"text":"Grüß Gott — 你好"}}'.encode()


def test_render_refuses_what_is_not_a_node() -> None:
    loose: Any = render
    with pytest.raises(CallflowError, match="not dict"):
        loose({"module": "hangup", "data": {}})


def test_render_refuses_lone_surrogates() -> None:
    with pytest.raises(CallflowError, match="not valid Unicode"):
        render(tts("bad \ud800 text"))


def test_render_refuses_trees_deeper_than_the_limit() -> None:
    head = tts("0")
    tail = head
    for i in range(MAX_DEPTH):
        nxt = tts(str(i + 1))
        tail.then(nxt)
        tail = nxt
    with pytest.raises(CallflowError, match="deeper"):
        render(head)


def test_render_refuses_oversized_answers() -> None:
    big = cf.set_variables({f"k{i}": "v" * 1000 for i in range(MAX_RENDERED_BYTES // 1000)})
    with pytest.raises(CallflowError, match="bytes"):
        render(big)


def test_raw_covers_modules_without_a_factory_and_copies_data() -> None:
    data: dict[str, Any] = {"variable": "x", "scope": "custom_channel_vars"}
    node = raw("branch_variable", data)
    data["variable"] = "y"
    assert node.data == {"variable": "x", "scope": "custom_channel_vars"}
    assert raw("hangup").to_dict() == {"module": "hangup", "data": {}}


def test_equality_is_by_rendered_content_and_hash_by_identity() -> None:
    assert tts("a") == tts("a")
    assert tts("a") != tts("b")
    assert len({tts("a"), tts("a")}) == 2
    assert "tts" in repr(tts("a"))


def test_branch_view_and_walk() -> None:
    flow = cf.menu("m").on("1", tts("one")).on("2", tts("two")).then(hangup())
    assert list(flow.children) == ["1", "2", "_"]
    assert [n.module for n in flow.walk()] == ["menu", "tts", "tts", "hangup"]


def test_the_callflow_factory_does_not_shadow_the_sub_package() -> None:
    # `pivotkit` star-imports the builder; `callflow` in __all__ would replace the module.
    assert "callflow" not in cf.__all__
    assert isinstance(pivotkit.callflow, types.ModuleType)
    assert cf.callflow("0123456789abcdef0123456789abcdef").module == "callflow"


def test_node_constructor_checks_module_and_children() -> None:
    with pytest.raises(CallflowError, match="no callflow module"):
        Node("answer")  # master only
    loose: Any = Node
    with pytest.raises(CallflowError, match="must be a callflow Node"):
        loose("tts", {"text": "x"}, {"_": {"module": "hangup"}})
    node = Node("tts", {"text": "x"}, {"_": hangup()})
    assert node.children["_"].module == "hangup"
