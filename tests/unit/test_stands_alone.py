"""The repository stands on its own: nothing in it cites documents that live outside it.

The kit was started from design notes kept beside the project; what the code relies on from
them is written down in docs/ (docs/kazoo-notes.md for Kazoo's behaviour), and code, tests and
docs cite those pages. A citation of an outside document would send a reader to a file a clone
does not have.
"""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
# Where the project's own words live (the virtualenv, caches and build output are not ours).
SCANNED = ("handlers", "infra", "tests", "bench", "docs", "mk", "README.md", "Makefile")
OUTSIDE_DOCUMENTS = re.compile(r"PIVOT-PROTOCOL\.md|\bDESIGN\.md|\bSTYLE\.md|\.\./shared/docs")


def _text_files() -> list[Path]:
    found: list[Path] = []
    for name in SCANNED:
        path = ROOT / name
        candidates = [path] if path.is_file() else sorted(path.rglob("*"))
        found += [p for p in candidates if p.is_file() and p.suffix in {".py", ".md", ".mk", ""}]
    return found


def test_no_file_cites_a_document_outside_the_repository() -> None:
    this_file = Path(__file__).resolve()
    citing = [
        f"{path.relative_to(ROOT)}:{number}"
        for path in _text_files()
        if path.resolve() != this_file
        for number, line in enumerate(path.read_text("utf-8", "replace").splitlines(), 1)
        if OUTSIDE_DOCUMENTS.search(line)
    ]
    assert citing == [], f"cite docs/ instead of outside documents: {citing}"
