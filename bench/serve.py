"""`pivotkit serve` under 20 concurrent simulated calls (in memory and on the embedded AWS),
next to a trivial stdlib server returning a fixed JSON body, measured in the same run.

The three servers run side by side for the whole section and the loads are interleaved in
rounds (baseline, memory, AWS, then backwards), so a neighbour's build that starts mid-run
slows all three. The load comes from separate processes (bench.loadgen), two of them with
ten threads each, so the client's own interpreter lock is not what gets measured; they
start together on a signal, after their imports. Every load run is checked for the
symptoms of a broken setup (failed requests, retransmit-sized gaps, a p99 far above its
p50), and no ratio is printed over a run that shows them.
"""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Callable
from contextlib import ExitStack
from dataclasses import dataclass

from bench.harness import Row, median, percentile, ratio_row, spread_row
from bench.loadgen import REQUESTS_PER_CALL
from bench.servers import (
    FIXED_BASELINE,
    PIVOT_PATH,
    ROOT,
    SERVE_EMBEDDED_AWS,
    SERVE_MEMORY,
    environment,
    running,
)
from bench.stats import Health, interleaved, latency_health

PROCESSES, THREADS = 2, 10
CONCURRENT_CALLERS = PROCESSES * THREADS
CALLS = 12  # per thread and round: 20 callers x 12 calls x 3 requests = 720 requests
ROUNDS = 3  # per pass (`python -m bench` makes two)


@dataclass(frozen=True)
class Load:
    """One load run: requests per second over the span of all generators, every latency."""

    rps: float
    latencies: list[float]
    errors: int

    def health(self) -> Health:
        return latency_health(self.latencies, self.errors)


def load(url: str, mode: str, calls: int = CALLS) -> Load:
    runs = [
        subprocess.Popen(
            [sys.executable, "-m", "bench.loadgen", url, mode, str(calls), str(THREADS)],
            cwd=ROOT,
            env=environment(),
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        for _ in range(PROCESSES)
    ]
    for run in runs:  # every generator imported and waiting: start them together
        assert run.stdout is not None and run.stdout.readline().strip() == "ready"
    for run in runs:
        assert run.stdin is not None
        run.stdin.write("go\n")
        run.stdin.flush()
    results = [json.loads(run.communicate()[0]) for run in runs]
    span = max(r["ended"] for r in results) - min(r["started"] for r in results)
    latencies = [ms for r in results for ms in r["latencies"]]
    return Load(len(latencies) / span, latencies, sum(r["errors"] for r in results))


def run() -> list[Row]:
    names = {
        "baseline": "trivial stdlib server, fixed JSON (baseline)",
        "memory": f"pivotkit serve --memory, {CONCURRENT_CALLERS} concurrent calls",
        "aws": f"pivotkit serve on the embedded AWS (moto), {CONCURRENT_CALLERS} concurrent calls",
    }
    with ExitStack() as stack:
        urls = {
            "baseline": stack.enter_context(running(FIXED_BASELINE)) + "/",
            "memory": stack.enter_context(running(SERVE_MEMORY)) + PIVOT_PATH,
            "aws": stack.enter_context(running(SERVE_EMBEDDED_AWS)) + PIVOT_PATH,
        }
        modes = {"baseline": "fixed", "memory": "acme", "aws": "acme"}
        for key, url in urls.items():  # warm up: imports, first connections, table creation
            load(url, modes[key], calls=2)
        measures: list[tuple[str, Callable[[], Load]]] = [
            (key, lambda u=url, m=modes[key]: load(u, m))  # type: ignore[misc]
            for key, url in urls.items()
        ]
        rounds = interleaved(measures, ROUNDS)
    short = {"baseline": "baseline", "memory": "in memory", "aws": "embedded AWS"}
    rows = [row for key, loads in rounds.items() for row in _rows(names[key], short[key], loads)]
    base = rounds["baseline"]
    for key, label in (("memory", "in memory"), ("aws", "embedded AWS")):
        health = _health("baseline", base) + _health(key, rounds[key])
        rows.append(
            ratio_row(
                "serve",
                f"ratio {label} / baseline (requests/s)",
                [r.rps for r in rounds[key]],
                [r.rps for r in base],
                health,
            )
        )
    return rows


def _rows(name: str, short: str, loads: list[Load]) -> list[Row]:
    """Requests per second, then each round's p50 and p99, with a note on failures."""
    size = f"{len(loads[0].latencies)} requests per round ({REQUESTS_PER_CALL} per call)"
    errors = sum(one.errors for one in loads)
    return [
        spread_row(
            "serve",
            name,
            [one.rps for one in loads],
            "req/s",
            digits=0,
            note=size + (f"; {errors} failed" if errors else ""),
        ),
        spread_row(
            "serve", f"  p50 latency, {short}", [median(one.latencies) for one in loads], "ms"
        ),
        spread_row(
            "serve",
            f"  p99 latency, {short}",
            [percentile(one.latencies, 0.99) for one in loads],
            "ms",
            digits=0,
        ),
    ]


def _health(name: str, loads: list[Load]) -> Health:
    verdicts = [(i, one.health()) for i, one in enumerate(loads, start=1)]
    return Health(tuple(f"{name} round {i}: {v.text()}" for i, v in verdicts if not v.ok))
