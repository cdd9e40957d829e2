"""Measurement helpers shared by the benchmark sections: rows, timed batches, tree lookups."""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from bench.stats import Health, Spread, percentile, ratio_spread

__all__ = [
    "Row",
    "calibrate",
    "find_module",
    "median",
    "per_call_us",
    "percentile",
    "ratio_row",
    "spread_row",
    "time_batch",
]


@dataclass(frozen=True)
class Row:
    section: str
    name: str
    value: str
    note: str = ""
    # The rounds behind ``value``, for comparing two runs (`python -m bench.agree`).
    spread: Spread | None = None


def calibrate(function: Callable[[], object], *, min_time: float = 0.1) -> int:
    """How many calls of ``function`` last about ``min_time`` seconds, so timer resolution
    and one-off pauses do not dominate a batch."""
    function()  # warm caches and lazy imports outside the measurement
    calls = 1
    while True:
        elapsed = _batch_seconds(function, calls)
        if elapsed >= min_time / 4:
            break
        calls *= 2
    return max(1, int(calls * (min_time / max(elapsed, 1e-9))))


def time_batch(function: Callable[[], object], calls: int) -> float:
    """The mean time per call over ``calls`` calls, in microseconds."""
    return _batch_seconds(function, calls) / calls * 1e6


def per_call_us(function: Callable[[], object], *, repeat: int = 7, min_time: float = 0.1) -> float:
    """Median over ``repeat`` batches of the mean time per call, in microseconds."""
    calls = calibrate(function, min_time=min_time)
    return statistics.median(time_batch(function, calls) for _ in range(repeat))


def _batch_seconds(function: Callable[[], object], calls: int) -> float:
    started = time.perf_counter()
    for _ in range(calls):
        function()
    return time.perf_counter() - started


def median(values: list[float]) -> float:
    return statistics.median(values)


def find_module(tree: dict[str, Any], module: str) -> dict[str, Any]:
    """The first node of ``module`` in a rendered callflow, depth first."""
    stack = [tree]
    while stack:
        node = stack.pop()
        if node["module"] == module:
            return node
        stack.extend(node.get("children", {}).values())
    raise LookupError(module)


def spread_row(
    section: str, name: str, rounds: list[float], unit: str, *, digits: int = 1, note: str = ""
) -> Row:
    """A figure: the median of ``rounds`` with their range."""
    spread = Spread.of(rounds)
    return Row(section, name, spread.text(unit, digits), note, spread)


def ratio_row(
    section: str,
    name: str,
    kit: list[float],
    baseline: list[float],
    health: Health,
    *,
    target: float | None = None,
    note: str = "",
) -> Row:
    """The per-round ratios kit / baseline, or why none is printed (an unhealthy run)."""
    if not health.ok:
        return Row(section, name, "not printed", f"unhealthy: {health.text()}")
    spread = ratio_spread(kit, baseline)
    parts = [f"range of {len(kit)} per-round ratios"]
    if target is not None:
        parts.append(f"target < {target:g}x" + ("" if spread.median < target else " (MISSED)"))
    if note:
        parts.append(note)
    return Row(section, name, spread.text("x", 2), "; ".join(parts), spread)
