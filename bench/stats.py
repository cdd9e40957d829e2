"""The statistics `make bench` prints, as pure functions (no clocks, no I/O), so they are tested.

A figure is the median of several rounds with the smallest and largest round beside it
(``Spread``); a ratio is the spread of the per-round ratios, kit and baseline measured in
the same round. ``latency_health`` and ``rounds_health`` say when a measurement shows the
symptoms of a broken setup rather than the speed of the thing measured, so no ratio is
printed over it.
"""

from __future__ import annotations

import statistics
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import TypeVar

T = TypeVar("T")

# A SYN or segment the kernel had to retransmit costs about one second on Linux (initial
# RTO 1 s); a loopback request that slow was dropped somewhere (a full listen backlog), not
# slow to compute.
RETRANSMIT_MS = 900.0
# A p99 this many times the p50, and this far above it, is a stall, not a tail: a healthy
# server on this shared machine shows p99/p50 up to ~10 at sub-millisecond medians.
TAIL_FACTOR = 20.0
TAIL_MARGIN_MS = 100.0
# A round this many times slower than the median round was stalled (another process had
# the CPU for most of it), as a p99 far above the p50 is: the median may still be fine, a
# ratio over those rounds is not.
ROUNDS_FACTOR = 3.0


@dataclass(frozen=True)
class Spread:
    """The median of some rounds with the smallest and largest beside it."""

    median: float
    low: float
    high: float

    @classmethod
    def of(cls, values: Sequence[float]) -> Spread:
        if not values:
            raise ValueError("a spread needs at least one value")
        return cls(statistics.median(values), min(values), max(values))

    def overlaps(self, other: Spread) -> bool:
        return self.low <= other.high and other.low <= self.high

    def contains(self, value: float) -> bool:
        return self.low <= value <= self.high

    def relative_width(self) -> float:
        """(max - min) / median: how much the rounds disagree, as a fraction."""
        return (self.high - self.low) / self.median if self.median else 0.0

    def text(self, unit: str = "", digits: int = 1) -> str:
        """``12.3 ms (11.9-13.0)``: median, then the range of the rounds."""
        suffix = f" {unit}" if unit and unit != "x" else unit
        return f"{self.median:.{digits}f}{suffix} ({self.low:.{digits}f}-{self.high:.{digits}f})"


def ratio_spread(kit: Sequence[float], baseline: Sequence[float]) -> Spread:
    """The spread of ``kit[i] / baseline[i]``: each round's ratio, from the same round."""
    if len(kit) != len(baseline):
        raise ValueError(f"{len(kit)} kit rounds against {len(baseline)} baseline rounds")
    if any(b <= 0 for b in baseline):
        raise ValueError("a baseline round of zero or less cannot divide")
    return Spread.of([k / b for k, b in zip(kit, baseline, strict=True)])


def percentile(values: Sequence[float], fraction: float) -> float:
    """Nearest-rank percentile (``fraction`` 0.99 for p99) of ``values``."""
    if not values:
        raise ValueError("a percentile needs at least one value")
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(fraction * (len(ordered) - 1))))
    return ordered[index]


@dataclass(frozen=True)
class Health:
    """Whether a measurement can carry a ratio; ``reasons`` say why not."""

    reasons: tuple[str, ...] = ()

    @property
    def ok(self) -> bool:
        return not self.reasons

    def __add__(self, other: Health) -> Health:
        return Health(self.reasons + other.reasons)

    def text(self) -> str:
        return "healthy" if self.ok else "; ".join(self.reasons)


def latency_health(latencies_ms: Sequence[float], errors: int) -> Health:
    """The verdict on one load run: errors, retransmit-sized gaps, a p99 far above the p50."""
    reasons: list[str] = []
    if errors:
        reasons.append(f"{errors} failed requests")
    if not latencies_ms:
        return Health((*reasons, "no requests completed"))
    slow = sum(1 for ms in latencies_ms if ms >= RETRANSMIT_MS)
    if slow:
        reasons.append(f"{slow} requests >= {RETRANSMIT_MS:.0f} ms (retransmit-sized)")
    p50, p99 = percentile(latencies_ms, 0.5), percentile(latencies_ms, 0.99)
    if p99 > TAIL_FACTOR * p50 and p99 > p50 + TAIL_MARGIN_MS:
        reasons.append(f"p99 {p99:.0f} ms against p50 {p50:.1f} ms")
    return Health(tuple(reasons))


def rounds_health(name: str, rounds: Sequence[float]) -> Health:
    """The verdict on repeated rounds of one figure: was one of them stalled?"""
    if not rounds:
        return Health((f"{name}: no rounds",))
    low, high, middle = min(rounds), max(rounds), statistics.median(rounds)
    if low <= 0:
        return Health((f"{name}: a round measured {low:g}",))
    if high > ROUNDS_FACTOR * middle:
        return Health((f"{name}: a round of {high:.3g} against a median of {middle:.3g}",))
    return Health()


def interleaved(
    contenders: Sequence[tuple[str, Callable[[], T]]], rounds: int
) -> dict[str, list[T]]:
    """Run every contender once per round, in alternating order (forwards, then backwards),
    so a disturbance that starts or stops mid-run falls on kit and baseline alike."""
    results: dict[str, list[T]] = {name: [] for name, _ in contenders}
    for index in range(rounds):
        order = contenders if index % 2 == 0 else list(reversed(contenders))
        for name, measure in order:
            results[name].append(measure())
    return results


def disagreements(first: Mapping[str, Spread], second: Mapping[str, Spread]) -> list[str]:
    """Figures two runs both measured whose printed ranges do not overlap."""
    return [
        f"{key}: {first[key].low:.3g}-{first[key].high:.3g} against "
        f"{second[key].low:.3g}-{second[key].high:.3g}"
        for key in first
        if key in second and not first[key].overlaps(second[key])
    ]


def noise_share(*, busy_s: float, own_s: float, wall_s: float, cpus: int) -> float:
    """The share of the machine's CPU time that other processes used during a run: all busy
    CPU time, less this run's own (its processes and their children), over cores x wall."""
    if wall_s <= 0 or cpus <= 0:
        raise ValueError("a run needs a positive duration and CPU count")
    return max(0.0, min(1.0, (busy_s - own_s) / (wall_s * cpus)))


# Other processes' share of the machine's CPU below which a run is called quiet.
QUIET_SHARE = 0.15


def load_verdict(others_share: float) -> str:
    """How the report names a run's machine: quiet, or busy (with the share in the text)."""
    return "A quiet run" if others_share < QUIET_SHARE else "A busy run"
