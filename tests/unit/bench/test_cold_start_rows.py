"""Cold-start rows when a probe process fails: the figure keeps the runs that answered, the
ratio is not printed (a failed run is a broken setup, not a fast one)."""

from __future__ import annotations

from bench.cold_start import _figure, _ratio

OK = [{"total_ms": 300.0, "import_ms": 290.0}, {"total_ms": 320.0, "import_ms": 300.0}]
FAILED = {"failed": "answered 503 (state_unavailable)"}


def test_a_figure_counts_failed_runs_beside_the_ones_that_answered() -> None:
    row = _figure("kit", [*OK, FAILED], "total_ms")
    assert row.value == "310 ms (300-320)"
    assert row.note == "2 rounds; 1 failed: answered 503 (state_unavailable)"


def test_a_figure_with_no_answer_says_failed() -> None:
    assert _figure("kit", [FAILED], "total_ms").value == "failed"


def test_no_ratio_over_a_failed_run_on_either_side() -> None:
    reference = [{"total_ms": 600.0}, {"total_ms": 640.0}]
    assert _ratio("r", OK, reference, "reference").value == "0.50x (0.50-0.50)"
    row = _ratio("r", OK, [reference[0], FAILED], "reference")
    assert row.value == "not printed"
    assert row.note == "unhealthy: reference: answered 503 (state_unavailable)"
