"""Measurement helpers shared by the benchmark sections: medians of repeated runs."""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Row:
    section: str
    name: str
    value: str
    note: str = ""


def per_call_us(function: Callable[[], object], *, repeat: int = 7, min_time: float = 0.2) -> float:
    """Median over ``repeat`` rounds of the mean time per call, in microseconds.

    Each round runs enough calls to last ``min_time`` seconds, so timer resolution and
    one-off pauses do not dominate.
    """
    function()  # warm caches and lazy imports outside the measurement
    calls = 1
    while True:
        started = time.perf_counter()
        for _ in range(calls):
            function()
        elapsed = time.perf_counter() - started
        if elapsed >= min_time / 4:
            break
        calls *= 2
    calls = max(1, int(calls * (min_time / max(elapsed, 1e-9))))
    rounds = []
    for _ in range(repeat):
        started = time.perf_counter()
        for _ in range(calls):
            function()
        rounds.append((time.perf_counter() - started) / calls * 1e6)
    return statistics.median(rounds)


def median(values: list[float]) -> float:
    return statistics.median(values)


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(fraction * (len(ordered) - 1))))
    return ordered[index]


def find_module(tree: dict[str, Any], module: str) -> dict[str, Any]:
    """The first node of ``module`` in a rendered callflow, depth first."""
    stack = [tree]
    while stack:
        node = stack.pop()
        if node["module"] == module:
            return node
        stack.extend(node.get("children", {}).values())
    raise LookupError(module)
