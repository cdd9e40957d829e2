"""`make bench`: measure, print one table, write docs/benchmarks.md.

Every figure is measured in this run on this machine; nothing is copied from elsewhere.
Each is the median of repeated rounds with the fastest and slowest round beside it, and a
ratio is the range of per-round ratios of kit and baseline measured side by side. Sections
whose prerequisites are missing say so instead of guessing.

`python -m bench [--json PATH] [SECTION ...]`: the named sections only (no report
written), or all of them. Every run also writes its figures as JSON (by default to
.cache/bench/), which `python -m bench.agree FIRST SECOND` compares.
"""

from __future__ import annotations

import argparse
import datetime
import importlib
import json
import os
import platform
import resource
import statistics
import sys
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path

from bench.harness import Row, merge
from bench.stats import load_verdict, noise_share

Section = tuple[str, Callable[[], list[Row]]]


def lazy(module: str) -> Callable[[], list[Row]]:
    """The ``run`` of ``module``, imported only when the section runs (a section with a
    missing prerequisite must not stop the others)."""

    def run() -> list[Row]:
        rows: list[Row] = importlib.import_module(module).run()
        return rows

    return run


# One line per section, in the order the report shows them.
SECTIONS: list[Section] = [
    ("render", lazy("bench.render")),
    ("cold_start", lazy("bench.cold_start")),
    ("state", lazy("bench.state")),
    ("media", lazy("bench.media")),
    ("serve", lazy("bench.serve")),
    ("call_step", lazy("bench.call_step")),
    ("journal", lazy("bench.journal")),
    ("outbound", lazy("bench.outbound")),
    ("assets", lazy("bench.assets")),
    # Operator scale: synthesis at 10/100/1,000 customers, cost per million Pivot requests.
    ("synth_scale", lazy("bench.synth_scale")),
    ("cost", lazy("bench.cost")),
]
# Sections measured in every pass: their rounds are pooled over the passes, so a figure's
# range spans minutes of this shared machine, not the few seconds one section takes.
# Others (counts, sizes) run once, in the first pass.
REPEATED = {"render", "cold_start", "state", "media", "serve", "call_step", "journal", "outbound"}
PASSES = 2
REPORT = Path("docs/benchmarks.md")
RESULTS = Path(".cache/bench")


@dataclass(frozen=True)
class Machine:
    """What else ran during the measurement: CPU time and load averages."""

    busy_s: float
    wall_s: float
    loadavg: tuple[float, float, float]

    @classmethod
    def now(cls) -> Machine:
        return cls(_busy_seconds(), time.monotonic(), os.getloadavg())


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench")
    parser.add_argument("sections", nargs="*", help=", ".join(n for n, _ in SECTIONS))
    parser.add_argument("--json", type=Path, help="where to write the figures")
    args = parser.parse_args(argv)
    unknown = set(args.sections) - {name for name, _ in SECTIONS}
    if unknown:
        parser.error(f"no such section: {', '.join(sorted(unknown))}")
    wanted = args.sections or [name for name, _ in SECTIONS]
    before = Machine.now()
    passes: list[list[Row]] = []
    for number in range(1, PASSES + 1):
        rows: list[Row] = []
        for name, section in SECTIONS:
            if name not in wanted or (number > 1 and name not in REPEATED):
                continue
            print(f"pass {number}/{PASSES}: {name} ...", file=sys.stderr, flush=True)
            started = time.monotonic()
            rows.extend(_run_section(name, section))
            print(f"  {time.monotonic() - started:.0f} s", file=sys.stderr, flush=True)
        passes.append(rows)
    rows = merge(passes)
    noise = _noise(before, Machine.now(), rows)
    table = _table(rows)
    print(table)
    print(f"\n{noise}", file=sys.stderr)
    stamp = datetime.datetime.now(datetime.UTC)
    results = args.json or RESULTS / f"{stamp:%Y%m%dT%H%M%SZ}.json"
    results.parent.mkdir(parents=True, exist_ok=True)
    results.write_text(
        json.dumps({"noise": noise, "rows": [_figure(r) for r in rows]}, indent=1), "utf-8"
    )
    print(f"figures written to {results}", file=sys.stderr)
    if not args.sections:
        REPORT.write_text(_report(table, noise, stamp), encoding="utf-8")
        print(f"report written to {REPORT}", file=sys.stderr)
    return 0


def _run_section(name: str, section: Callable[[], list[Row]]) -> list[Row]:
    try:
        return section()
    except ModuleNotFoundError as exc:
        return [Row(name, "(section not available)", "-", str(exc))]


def _figure(row: Row) -> dict[str, object]:
    spread = row.spread
    return {
        **asdict(row),
        "spread": None if spread is None else asdict(spread),
    }


def _table(rows: list[Row]) -> str:
    lines = ["| section | measurement | value | note |", "| --- | --- | --- | --- |"]
    lines += [f"| {r.section} | {r.name} | {r.value} | {r.note} |" for r in rows]
    return "\n".join(lines)


def _noise(before: Machine, after: Machine, rows: list[Row]) -> str:
    """One sentence on how quiet the machine was, from /proc/stat and this run's rusage."""
    cpus = os.cpu_count() or 1
    wall = after.wall_s - before.wall_s
    own = sum(
        usage.ru_utime + usage.ru_stime
        for usage in (
            resource.getrusage(resource.RUSAGE_SELF),
            resource.getrusage(resource.RUSAGE_CHILDREN),
        )
    )
    others = noise_share(busy_s=after.busy_s - before.busy_s, own_s=own, wall_s=wall, cpus=cpus)
    widths = [r.spread.relative_width() for r in rows if r.spread is not None]
    width = f"{statistics.median(widths):.0%}" if widths else "n/a"
    return (
        f"{load_verdict(others)}: during this {wall / 60:.1f}-minute run other processes used"
        f" {others:.0%} of the"
        f" {cpus} cores' CPU time (load average {before.loadavg[0]:.1f} at the start,"
        f" {after.loadavg[0]:.1f} at the end); the median figure's rounds spread over"
        f" {width} of its median (max - min)."
    )


def _busy_seconds() -> float:
    """CPU time all processes have used since boot (/proc/stat), in seconds."""
    try:
        fields = Path("/proc/stat").read_text(encoding="ascii").splitlines()[0].split()[1:]
    except OSError:
        return 0.0
    user, nice, system, _idle, _iowait, irq, softirq, steal = (int(f) for f in fields[:8])
    return (user + nice + system + irq + softirq + steal) / os.sysconf("SC_CLK_TCK")


def _report(table: str, noise: str, stamp: datetime.datetime) -> str:
    machine = (
        f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()},"
        f" {platform.system()} {platform.release()}"
    )
    return f"""# Benchmarks

Measured {stamp:%Y-%m-%d %H:%M} UTC on {machine} with `make bench` (`python -m bench`).

How to read it:

- Every figure is the **median of repeated rounds**, with the fastest and slowest round in
  brackets: `42.0 µs (40.7-44.9)`. Kit and baseline run in **interleaved rounds**
  (forwards, then backwards), so a disturbance that starts mid-run falls on both. The
  measuring sections run twice ({PASSES} passes, minutes apart) and their rounds are
  pooled, so a range covers the machine's state over the whole run.
- A **ratio** is the median of the **per-round ratios** (kit and baseline from the same
  round), with their range in brackets.
- **No ratio is printed over an unhealthy run.** A load run is unhealthy when requests
  failed, when any took a retransmit-sized 900 ms or more (on loopback that is a dropped
  SYN or segment, not computation), or when its p99 is more than 20x its p50 and 100 ms
  above it; repeated rounds are unhealthy when the slowest is more than 3x the median
  round. The row then says `not printed` and why.
- Baselines are configured like what they are compared with: the fixed-JSON server takes
  `pivotkit serve`'s listen backlog, threads, HTTP/1.1 keep-alive and Nagle setting.
- **Cold start on equal work**: the first request (no DynamoDB in the kit, nor in the floor)
  and a stateful continuation (GetItem + conditional PutItem) each stand beside a floor
  handler doing the same work on a boto3 client with plain `json`, and beside a hand-written
  Powertools + pydantic reference doing it too. The targets divide both of the kit's starts
  by the floor's stateful continuation (the floor's first request does no work at all). The
  kit builds its DynamoDB client from botocore directly. Where the virtualenv holds no
  bytecode (this machine sets `PYTHONDONTWRITEBYTECODE=1`), every figure includes compiling
  the third-party and kit modules it imports, as a deployed function compiles its layer and
  code (both shipped without bytecode) on every cold start.
- Everything that goes through the step hand-off (two thread wake-ups: the whole request,
  the warm requests in memory) is *faster* on a busy host than on an idle one, where a
  wake-up across CPUs costs more (about 50-75 µs against 17-27 µs here), so those figures
  move between a quiet and a busy run; the ratio pinned to one CPU does not, and is the
  one to compare between machines.
- Two runs are compared with `python -m bench.agree FIRST SECOND` (each run writes its
  figures to `.cache/bench/`): they agree when every figure's ranges overlap.

## This run's machine

{noise}

This machine has 2 cores shared with other engineers' builds and tests, so a figure moves
between runs with their load, and on a busy run a range is wide: read the range, not only
the median. A Lambda function has its own share of a CPU; ratios (kit and baseline in the
same round) carry over to it better than absolute times do.

{table}
"""


if __name__ == "__main__":
    sys.exit(main())
