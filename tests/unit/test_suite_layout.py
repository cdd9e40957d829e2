"""How the test suites are laid out: tests/unit is pure (no moto, not even through a helper;
suites on moto live in tests/contract or tests/integration), and no test module imports
from another test module: shared helpers live in support modules (and conftest fixtures)
named for what they provide."""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
TESTS = ROOT / "tests"


def _module_name(path: Path) -> str:
    return ".".join(path.relative_to(ROOT).with_suffix("").parts)


def _imports(path: Path) -> Iterator[str]:
    """Every module ``path`` imports (``from a.b import c`` names ``a.b`` and ``a.b.c``)."""
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            yield from (alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            yield node.module
            yield from (f"{node.module}.{alias.name}" for alias in node.names)


def _test_code() -> dict[str, set[str]]:
    return {_module_name(p): set(_imports(p)) for p in sorted(TESTS.rglob("*.py"))}


def _uses_moto(imports: dict[str, set[str]]) -> set[str]:
    """Test-code modules that import moto, directly or through other test code."""
    found = {m for m, names in imports.items() if any(n.split(".")[0] == "moto" for n in names)}
    while True:
        more = {m for m, names in imports.items() if m not in found and names & found}
        if not more:
            return found
        found |= more


def test_unit_tests_use_no_moto() -> None:
    imports = _test_code()
    assert "tests.contract.conftest" in _uses_moto(imports)  # the check sees moto
    on_moto = sorted(m for m in _uses_moto(imports) if m.startswith("tests.unit."))
    assert on_moto == []


def test_no_test_module_imports_another() -> None:
    imports = _test_code()
    test_modules = {m for m in imports if m.rsplit(".", 1)[-1].startswith("test_")}
    borrowed = sorted(
        f"{importer} -> {name}"
        for importer, names in imports.items()
        for name in names & test_modules
        if name != importer
    )
    assert borrowed == []
