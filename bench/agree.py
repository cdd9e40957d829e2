"""Do two `make bench` runs agree? `python -m bench.agree FIRST.json SECOND.json`.

Compares every figure both runs measured (the JSON `python -m bench` writes to
.cache/bench/): two figures agree when their printed ranges (fastest to slowest round)
overlap. Prints the ones that do not, and how many medians fall inside the other run's
range, which is the stricter reading. Exits 1 if any figure disagrees.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from bench.stats import Spread, disagreements


def figures(path: Path) -> dict[str, Spread]:
    rows = json.loads(path.read_text(encoding="utf-8"))["rows"]
    return {
        f"{row['section']} / {row['name']}": Spread(**row["spread"])
        for row in rows
        if row.get("spread") is not None
    }


def main(argv: list[str]) -> int:
    first, second = figures(Path(argv[0])), figures(Path(argv[1]))
    shared = [key for key in first if key in second]
    inside = sum(
        1
        for key in shared
        if second[key].contains(first[key].median) and first[key].contains(second[key].median)
    )
    apart = disagreements(first, second)
    print(f"{len(shared)} figures in both runs; {len(shared) - len(apart)} ranges overlap;")
    print(f"{inside} with each run's median inside the other's range.")
    for line in apart:
        print(f"  apart: {line}")
    return 1 if apart else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
