"""The statistics and health verdicts `make bench` prints (pure functions: no timing)."""

from __future__ import annotations

import pytest

from bench.stats import (
    RETRANSMIT_MS,
    Spread,
    disagreements,
    interleaved,
    latency_health,
    load_verdict,
    noise_share,
    percentile,
    ratio_spread,
    rounds_health,
)


def test_spread_is_the_median_with_the_smallest_and_largest_round() -> None:
    spread = Spread.of([5.0, 1.0, 9.0, 3.0, 4.0])
    assert (spread.median, spread.low, spread.high) == (4.0, 1.0, 9.0)


def test_spread_of_an_even_count_takes_the_middle_mean() -> None:
    assert Spread.of([1.0, 2.0, 4.0, 10.0]).median == 3.0


def test_spread_of_nothing_is_refused() -> None:
    with pytest.raises(ValueError, match="at least one"):
        Spread.of([])


def test_spread_text_prints_the_median_then_the_range() -> None:
    assert Spread(12.34, 11.91, 13.0).text("ms") == "12.3 ms (11.9-13.0)"
    assert Spread(1.234, 1.2, 1.31).text("x", 2) == "1.23x (1.20-1.31)"


def test_ratio_spread_divides_round_by_round_not_median_by_median() -> None:
    # Medians 20/10 = 2, but the rounds say 1x, 2x and 4x.
    spread = ratio_spread([10.0, 20.0, 40.0], [10.0, 10.0, 10.0])
    assert (spread.median, spread.low, spread.high) == (2.0, 1.0, 4.0)
    drifting = ratio_spread([10.0, 20.0, 30.0], [5.0, 10.0, 15.0])
    assert (drifting.low, drifting.high) == (2.0, 2.0)  # the drift cancels within a round


def test_ratio_spread_refuses_unpaired_or_zero_rounds() -> None:
    with pytest.raises(ValueError, match="rounds"):
        ratio_spread([1.0, 2.0], [1.0])
    with pytest.raises(ValueError, match="zero"):
        ratio_spread([1.0], [0.0])


def test_percentile_is_nearest_rank() -> None:
    values = [float(v) for v in range(1, 101)]
    assert percentile(values, 0.5) == 51.0
    assert percentile(values, 0.99) == 99.0
    assert percentile([7.0], 0.99) == 7.0


def test_a_healthy_load_run_has_no_reasons() -> None:
    health = latency_health([1.0] * 90 + [5.0] * 9 + [14.0], errors=0)
    assert health.ok
    assert health.text() == "healthy"


def test_the_issue_baseline_with_a_one_second_p99_is_unhealthy() -> None:
    # issue 19: p50 ~2 ms, p99 1017 ms from SYNs retransmitted past a full listen backlog.
    latencies = [2.0] * 97 + [1017.0] * 3
    health = latency_health(latencies, errors=0)
    assert not health.ok
    assert any("retransmit" in reason for reason in health.reasons)
    assert any("p99 1017 ms" in reason for reason in health.reasons)


def test_a_single_retransmit_sized_gap_is_enough() -> None:
    health = latency_health([3.0] * 999 + [RETRANSMIT_MS + 10], errors=0)
    assert health.reasons == ("1 requests >= 900 ms (retransmit-sized)",)


def test_a_stalled_tail_below_a_second_is_unhealthy() -> None:
    health = latency_health([2.0] * 95 + [400.0] * 5, errors=0)
    assert health.reasons == ("p99 400 ms against p50 2.0 ms",)


def test_a_slow_server_with_a_proportionate_tail_is_healthy() -> None:
    # The embedded AWS: p50 120 ms, p99 183 ms is slow, not broken.
    assert latency_health([120.0] * 95 + [183.0] * 5, errors=0).ok


def test_errors_and_empty_runs_are_unhealthy() -> None:
    assert latency_health([1.0, 1.0], errors=2).reasons == ("2 failed requests",)
    assert not latency_health([], errors=0).ok


def test_rounds_health_flags_a_round_far_slower_than_the_median_round() -> None:
    assert rounds_health("baseline", [10.0, 11.0, 33.0]).ok
    assert rounds_health("floor", [8.0, 14.0, 14.0, 38.0]).ok  # fast outliers are no stall
    verdict = rounds_health("baseline", [10.0, 11.0, 34.0])
    assert verdict.reasons == ("baseline: a round of 34 against a median of 11",)
    assert not rounds_health("baseline", []).ok
    assert not rounds_health("baseline", [0.0, 1.0]).ok


def test_health_verdicts_add_up() -> None:
    combined = latency_health([], errors=1) + rounds_health("b", [1.0])
    assert combined.reasons == ("1 failed requests", "no requests completed")


def test_interleaved_alternates_the_order_each_round() -> None:
    calls: list[str] = []

    def measure(name: str) -> float:
        calls.append(name)
        return float(len(calls))

    results = interleaved(
        [("kit", lambda: measure("kit")), ("baseline", lambda: measure("baseline"))], rounds=3
    )
    assert calls == ["kit", "baseline", "baseline", "kit", "kit", "baseline"]
    assert results == {"kit": [1.0, 4.0, 5.0], "baseline": [2.0, 3.0, 6.0]}


def test_disagreements_name_only_figures_whose_ranges_do_not_overlap() -> None:
    first = {"a": Spread(10, 9, 11), "b": Spread(5, 4, 6), "only-first": Spread(1, 1, 1)}
    second = {"a": Spread(11.5, 11, 12), "b": Spread(7, 6.5, 8)}
    assert disagreements(first, second) == ["b: 4-6 against 6.5-8"]


def test_noise_share_is_other_processes_cpu_over_the_machine() -> None:
    # 100 s on 2 cores = 200 CPU-s; 130 busy, 80 of them ours: others took 25 %.
    assert noise_share(busy_s=130, own_s=80, wall_s=100, cpus=2) == 0.25
    assert noise_share(busy_s=70, own_s=80, wall_s=100, cpus=2) == 0.0  # clock skew
    with pytest.raises(ValueError):
        noise_share(busy_s=1, own_s=0, wall_s=0, cpus=2)


def test_a_run_is_called_busy_once_others_take_a_sixth_of_the_machine() -> None:
    assert load_verdict(0.05) == "A quiet run"
    assert load_verdict(0.36) == "A busy run"
