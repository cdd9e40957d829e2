"""docs/recipes.md shows only code that runs: each snippet is copied from an example.

A python snippet belongs to the file linked last before it (``](../handlers/...py)``) and
must appear there verbatim, as consecutive lines (indentation may be removed as a whole).
Command lines must parse with the ``pivotkit`` CLI. The recipes must cover every feature of
the Pivot talk the examples implement.
"""

from __future__ import annotations

import re
import shlex
import textwrap
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from pivotkit.local.cli import build_parser
from tests.examples.talk_features import TALK_FEATURES

ROOT = Path(__file__).resolve().parents[2]
RECIPES = ROOT / "docs" / "recipes.md"
SOURCE_LINK = re.compile(r"\]\(\.\./(handlers/examples/[a-z_/]+\.py)\)")


@dataclass(frozen=True)
class Snippet:
    language: str
    source: str | None
    code: str
    line: int


def snippets() -> Iterator[Snippet]:
    lines = RECIPES.read_text(encoding="utf-8").splitlines()
    source: str | None = None
    index = 0
    while index < len(lines):
        line = lines[index]
        if line.startswith("```") and line != "```":
            language, start = line[3:].strip(), index
            end = lines.index("```", index + 1)
            yield Snippet(language, source, "\n".join(lines[index + 1 : end]), start + 1)
            index = end + 1
            continue
        for found in SOURCE_LINK.finditer(line):
            source = found.group(1)
        index += 1


def python_snippets() -> list[Snippet]:
    return [s for s in snippets() if s.language == "python"]


def appears_verbatim(code: str, source: str) -> bool:
    """Whether ``code``'s lines are consecutive lines of ``source``, give or take one
    indentation removed from all of them."""
    wanted = code.splitlines()
    lines = source.splitlines()
    for start in range(len(lines) - len(wanted) + 1):
        window = "\n".join(lines[start : start + len(wanted)])
        if textwrap.dedent(window) == textwrap.dedent(code):
            return True
    return False


@pytest.mark.parametrize("snippet", python_snippets(), ids=lambda s: f"line {s.line}")
def test_each_snippet_is_copied_from_its_example(snippet: Snippet) -> None:
    assert snippet.source is not None, "no example file is linked before this snippet"
    source = (ROOT / snippet.source).read_text(encoding="utf-8")
    assert appears_verbatim(snippet.code, source), f"not found verbatim in {snippet.source}"


def test_command_lines_parse() -> None:
    parser = build_parser()
    commands = [
        shlex.split(line)
        for s in snippets()
        if s.language == "sh"
        for line in s.code.splitlines()
        if line.startswith("pivotkit ")
    ]
    assert commands
    for command in commands:
        parser.parse_args(command[1:])  # exits (failing the test) on an unknown option


def test_every_example_and_every_talk_feature_has_a_recipe() -> None:
    code = "\n".join(s.code for s in python_snippets())
    shown = set(re.findall(r"\b([A-Za-z_][\w.]*)\(", code))
    assert shown >= TALK_FEATURES, TALK_FEATURES - shown
    linked = {s.source.split("/")[2] for s in python_snippets() if s.source}
    examples = {p.name for p in (ROOT / "handlers/examples").iterdir() if p.is_dir()}
    assert linked == examples - {"acme", "__pycache__"}


def test_the_snippet_check_notices_a_changed_line() -> None:
    source = "def f() -> int:\n    x = 1\n    return x\n"
    assert appears_verbatim("x = 1\nreturn x", source)
    assert not appears_verbatim("x = 2\nreturn x", source)
    assert not appears_verbatim("return x\nx = 1", source)
