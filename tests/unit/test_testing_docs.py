"""docs/testing.md is real code: every example in it runs, and its tests pass as written."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

DOC = Path(__file__).resolve().parents[2] / "docs" / "testing.md"
BLOCKS = re.findall(r"```python\n(.*?)```", DOC.read_text(encoding="utf-8"), re.S)


def defined_tests(source: str, label: str) -> dict[str, Callable[[], Any]]:
    namespace: dict[str, Any] = {"__name__": f"docs_testing_{label}"}
    exec(compile(source, f"docs/testing.md ({label})", "exec"), namespace)
    return {name: value for name, value in namespace.items() if name.startswith("test_")}


def test_the_page_has_examples_and_each_defines_tests() -> None:
    assert len(BLOCKS) >= 4
    for index, block in enumerate(BLOCKS):
        assert defined_tests(block, f"block {index + 1}"), f"block {index + 1} defines no test"


@pytest.mark.parametrize("index", range(len(BLOCKS)), ids=lambda i: f"block-{i + 1}")
def test_every_example_passes(index: int) -> None:
    for name, test in defined_tests(BLOCKS[index], f"block {index + 1}").items():
        try:
            test()
        except AssertionError as exc:
            raise AssertionError(f"{name} in block {index + 1} of docs/testing.md") from exc
