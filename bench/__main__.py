"""`make bench`: measure, print one table, write docs/benchmarks.md.

Every figure is measured in this run on this machine (medians of repeated runs); nothing is
copied from elsewhere. Sections whose prerequisites are missing say so instead of guessing.
"""

from __future__ import annotations

import datetime
import importlib
import os
import platform
import sys
from pathlib import Path

from bench.harness import Row

SECTIONS = (
    "render",
    "cold_start",
    "state",
    "media",
    "serve",
    "assets",
    # issue 11 (operator scale), owned by the infra work: synthesis at 10/100/1,000
    # customers and the cost per million Pivot requests.
    "synth_scale",
    "cost",
)
REPORT = Path("docs/benchmarks.md")


def main() -> int:
    wanted = sys.argv[1:] or list(SECTIONS)
    rows: list[Row] = []
    for name in wanted:
        try:
            module = importlib.import_module(f"bench.{name}")
        except ModuleNotFoundError as exc:
            rows.append(Row(name, "(section not available)", "-", str(exc)))
            continue
        print(f"measuring {name} ...", file=sys.stderr, flush=True)
        rows.extend(module.run())
    table = _table(rows)
    print(table)
    if not sys.argv[1:]:
        REPORT.write_text(_report(table), encoding="utf-8")
        print(f"\nwritten to {REPORT}", file=sys.stderr)
    return 0


def _table(rows: list[Row]) -> str:
    lines = ["| section | measurement | value | note |", "| --- | --- | --- | --- |"]
    lines += [f"| {r.section} | {r.name} | {r.value} | {r.note} |" for r in rows]
    return "\n".join(lines)


def _report(table: str) -> str:
    now = datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%d %H:%M UTC")
    machine = (
        f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()},"
        f" {platform.system()} {platform.release()}"
    )
    return (
        "# Benchmarks\n\n"
        f"Measured {now} on {machine} with `make bench` (`python -m bench`).\n"
        "Each figure is the median of repeated runs in that one run; the ratios compare\n"
        "against baselines measured in the same run, which is what makes them portable.\n\n"
        f"{table}\n"
    )


if __name__ == "__main__":
    sys.exit(main())
