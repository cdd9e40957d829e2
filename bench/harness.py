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
    "merge",
    "per_call_us",
    "percentile",
    "ratio_row",
    "spread_row",
    "time_batch",
]


@dataclass(frozen=True)
class Row:
    """One line of the table. A figure's row also keeps the rounds behind it (``values``)
    and how to print them, so the rounds of several passes can be pooled (``merge``)."""

    section: str
    name: str
    value: str
    note: str = ""
    values: tuple[float, ...] = ()  # a figure's rounds; a ratio's per-round ratios
    unit: str = ""
    digits: int = 1
    detail: str = ""  # the note's fixed part
    ratio: bool = False
    target: float | None = None
    unhealthy: tuple[str, ...] = ()  # why a ratio is not printed

    @property
    def key(self) -> tuple[str, str]:
        return self.section, self.name

    @property
    def spread(self) -> Spread | None:
        return Spread.of(self.values) if self.values else None


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
    parts = [f"{len(rounds)} rounds", *([note] if note else [])]
    return Row(
        section,
        name,
        spread.text(unit, digits),
        "; ".join(parts),
        values=tuple(rounds),
        unit=unit,
        digits=digits,
        detail=note,
    )


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
        return _unprinted(section, name, health.reasons, target, note)
    spread = ratio_spread(kit, baseline)
    ratios = [k / b for k, b in zip(kit, baseline, strict=True)]
    return _ratio(section, name, ratios, spread, target, note)


def _ratio(
    section: str, name: str, ratios: list[float], spread: Spread, target: float | None, note: str
) -> Row:
    parts = [f"range of {len(ratios)} per-round ratios"]
    if target is not None:
        parts.append(f"target < {target:g}x" + ("" if spread.median < target else " (MISSED)"))
    if note:
        parts.append(note)
    return Row(
        section,
        name,
        spread.text("x", 2),
        "; ".join(parts),
        values=tuple(ratios),
        unit="x",
        digits=2,
        detail=note,
        ratio=True,
        target=target,
    )


def _unprinted(
    section: str, name: str, reasons: tuple[str, ...], target: float | None, note: str
) -> Row:
    return Row(
        section,
        name,
        "not printed",
        f"unhealthy: {'; '.join(reasons)}",
        detail=note,
        ratio=True,
        target=target,
        unhealthy=reasons,
    )


def merge(passes: list[list[Row]]) -> list[Row]:
    """One table from several passes over the sections: a figure's rounds are pooled, so its
    range covers every pass; a ratio over a run that was unhealthy in any pass is not
    printed; a row without rounds (a count, a size) is taken from the first pass."""
    grouped: dict[tuple[str, str], list[Row]] = {}
    for rows in passes:
        for row in rows:
            grouped.setdefault(row.key, []).append(row)
    return [_merged(rows) for rows in grouped.values()]


def _merged(rows: list[Row]) -> Row:
    first = rows[0]
    if len(rows) == 1 or not (first.values or first.unhealthy):
        return first
    if first.ratio:
        reasons = tuple(reason for row in rows for reason in row.unhealthy)
        if reasons:
            return _unprinted(first.section, first.name, reasons, first.target, first.detail)
        ratios = [v for row in rows for v in row.values]
        spread = Spread.of(ratios)
        return _ratio(first.section, first.name, ratios, spread, first.target, first.detail)
    values = [v for row in rows for v in row.values]
    # Every pass's note, each part once (a pass that saw failures says so).
    details = "; ".join(dict.fromkeys(p for row in rows for p in row.detail.split("; ") if p))
    return spread_row(
        first.section, first.name, values, first.unit, digits=first.digits, note=details
    )
