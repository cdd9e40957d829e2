"""``make help`` names every target the Makefile and mk/*.mk declare."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def declared_targets() -> set[str]:
    """The .PHONY targets: the ones meant to be typed."""
    targets: set[str] = set()
    for path in [ROOT / "Makefile", *sorted((ROOT / "mk").glob("*.mk"))]:
        for line in path.read_text(encoding="utf-8").splitlines():
            if line.startswith(".PHONY:"):
                targets.update(line.removeprefix(".PHONY:").split())
    return targets - {"help"}


@pytest.mark.skipif(shutil.which("make") is None, reason="make is not installed")
def test_make_help_lists_every_target() -> None:
    shown = subprocess.run(
        ["make", "-s", "--no-print-directory", "help"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
        timeout=30,
    ).stdout
    listed = set(re.findall(r"^make ([a-z-]+)", shown, re.M))
    targets = declared_targets()
    assert "synth" in targets  # the mk/*.mk files are read
    assert targets <= listed, targets - listed
