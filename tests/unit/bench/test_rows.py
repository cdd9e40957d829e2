"""Rows of the bench table: figures, ratios over healthy and unhealthy runs, and the pooling
of several passes (pure functions: no timing)."""

from __future__ import annotations

from bench.__main__ import REPEATED, SECTIONS
from bench.harness import Row, merge, ratio_row, spread_row
from bench.stats import Health


def test_a_figure_prints_its_median_and_range_and_keeps_its_rounds() -> None:
    row = spread_row("serve", "baseline", [900.0, 1100.0, 1000.0], "req/s", digits=0)
    assert row.value == "1000 req/s (900-1100)"
    assert row.note == "3 rounds"
    assert row.values == (900.0, 1100.0, 1000.0)


def test_a_ratio_is_the_range_of_per_round_ratios_with_its_target() -> None:
    row = ratio_row("request", "r", [30.0, 33.0, 36.0], [10.0, 10.0, 10.0], Health(), target=3)
    assert row.value == "3.30x (3.00-3.60)"
    assert row.note == "range of 3 per-round ratios; target < 3x (MISSED)"


def test_no_ratio_is_printed_over_an_unhealthy_baseline() -> None:
    health = Health(("baseline round 2: 3 requests >= 900 ms (retransmit-sized)",))
    row = ratio_row("serve", "ratio", [4.0], [1.0], health)
    assert row.value == "not printed"
    assert "retransmit-sized" in row.note
    assert row.spread is None  # nothing for `bench.agree` to compare either


def test_merging_passes_pools_the_rounds_of_each_figure() -> None:
    first = [spread_row("s", "f", [1.0, 2.0], "ms"), Row("s", "count", "3 calls")]
    second = [spread_row("s", "f", [3.0, 10.0], "ms")]
    merged = merge([first, second])
    assert [r.name for r in merged] == ["f", "count"]
    assert merged[0].value == "2.5 ms (1.0-10.0)"
    assert merged[0].note == "4 rounds"
    assert merged[1].value == "3 calls"


def test_merging_pools_per_round_ratios_and_rechecks_the_target() -> None:
    passes = [
        [ratio_row("s", "r", [2.0], [1.0], Health(), target=3)],
        [ratio_row("s", "r", [4.0, 5.0], [1.0, 1.0], Health(), target=3)],
    ]
    merged = merge(passes)[0]
    assert merged.value == "4.00x (2.00-5.00)"
    assert merged.note == "range of 3 per-round ratios; target < 3x (MISSED)"


def test_a_ratio_unhealthy_in_any_pass_is_not_printed() -> None:
    passes = [
        [ratio_row("s", "r", [2.0], [1.0], Health())],
        [ratio_row("s", "r", [2.0], [1.0], Health(("2 failed requests",)))],
    ]
    merged = merge(passes)[0]
    assert merged.value == "not printed"
    assert merged.note == "unhealthy: 2 failed requests"


def test_merging_keeps_every_pass_note_once() -> None:
    passes = [
        [spread_row("s", "f", [1.0], "ms", note="100 steps")],
        [spread_row("s", "f", [1.0], "ms", note="100 steps; unhealthy: 1 requests >= 900 ms")],
    ]
    assert merge(passes)[0].note == "2 rounds; 100 steps; unhealthy: 1 requests >= 900 ms"


def test_the_section_registry_names_each_section_once() -> None:
    names = [name for name, _ in SECTIONS]
    assert len(names) == len(set(names))
    assert set(REPEATED) <= set(names)
