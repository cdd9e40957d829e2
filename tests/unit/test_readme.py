"""The README's example is real code: it runs, and a call through it behaves as it says."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from pivotkit.app import PivotApp
from pivotkit.customers import StaticTokens
from pivotkit.local.kazoo_encoding import KazooCall
from pivotkit.state import InMemoryStateStore
from tests.unit.engine.driver import ACCOUNT_ID, BASE_URL, Caller, find_module

README = Path(__file__).resolve().parents[2] / "README.md"


def readme_customer() -> Any:
    block = re.search(r"```python\n(.*?)```", README.read_text(encoding="utf-8"), re.S)
    assert block is not None, "README has no python example"
    namespace: dict[str, Any] = {}
    exec(compile(block.group(1), "README.md", "exec"), namespace)
    return namespace["customer"]


def test_readme_example_answers_a_whole_call(kazoo_errors: Any) -> None:
    app = PivotApp({"acme": readme_customer()}, InMemoryStateStore(), StaticTokens({"acme": ["T"]}))
    caller = Caller(app, KazooCall(account_id=ACCOUNT_ID, call_id="readme@10.0.0.5"))
    caller.first(f"{BASE_URL}/pivot/acme?token=T")
    caller.press("7")  # not an option: counted in state, asked again
    caller.press("2")
    assert [r.status for r in caller.answers] == [200, 200, 200]
    support = find_module(caller.last_tree(), "user")
    assert support is not None and support["children"]["_"]["module"] == "voicemail"
    for answer in caller.answers:
        assert kazoo_errors(json.loads(answer.body)) == []
