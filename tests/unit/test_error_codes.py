"""docs/errors.md lists every error code the kit can answer with, with its HTTP status, and
every error class is defined in pivotkit.errors (one tree)."""

from __future__ import annotations

import importlib
import pkgutil
import re
from pathlib import Path

import pivotkit
from pivotkit.errors import InternalSignal, PivotkitError

DOCS = Path(__file__).resolve().parents[2] / "docs" / "errors.md"
# The local tools never answer Kazoo in production; their modules need extra packages.
NOT_SCANNED = ("pivotkit.local",)
ROW = re.compile(r"^\| `(?P<code>[a-z_]+)` \| (?P<status>\d{3}) \|", re.MULTILINE)


def _every_error_class() -> set[type[PivotkitError]]:
    for module in pkgutil.walk_packages(pivotkit.__path__, "pivotkit."):
        if not module.name.startswith(NOT_SCANNED):
            importlib.import_module(module.name)
    found: set[type[PivotkitError]] = set()
    pending: list[type[PivotkitError]] = [PivotkitError]
    while pending:
        cls = pending.pop()
        found.add(cls)
        pending.extend(cls.__subclasses__())
    return found


def test_every_code_is_documented_with_its_status() -> None:
    documented = {m["code"]: int(m["status"]) for m in ROW.finditer(DOCS.read_text("utf-8"))}
    # An internal signal (a store's lost conditional write) is handled inside, never answered.
    codes = {
        cls.code: cls.status for cls in _every_error_class() if not issubclass(cls, InternalSignal)
    }
    assert documented == codes


def test_every_internal_signal_is_explained() -> None:
    signals = [cls for cls in _every_error_class() if issubclass(cls, InternalSignal)]
    signals.remove(InternalSignal)
    assert signals
    text = DOCS.read_text("utf-8")
    for cls in signals:
        assert f"`{cls.code}` (`{cls.__name__}`) is not an answer" in text


def test_every_error_class_is_defined_in_the_one_tree() -> None:
    elsewhere = sorted(
        f"{cls.__module__}.{cls.__qualname__}"
        for cls in _every_error_class()
        if cls.__module__ != "pivotkit.errors"
    )
    assert elsewhere == []
