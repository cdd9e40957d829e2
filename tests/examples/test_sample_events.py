"""The sample events under events/examples/<example>/: current, and answered as their
goldens say."""

from __future__ import annotations

import pytest

from pivotkit.local.cli import main
from pivotkit.local.replaying import GOLDEN_SUFFIX, golden_path
from tests.examples.sample_events import EVENTS_ROOT, SCENARIOS, SampleFile, generate

CUSTOMERS = sorted({scenario.customer for scenario in SCENARIOS})
REGENERATE = ".venv/bin/python -m tests.examples.sample_events"


@pytest.fixture(scope="module")
def generated() -> list[SampleFile]:
    return generate()


def test_the_committed_samples_are_what_the_scenarios_produce(
    generated: list[SampleFile],
) -> None:
    stale = [
        str(sample.path.relative_to(EVENTS_ROOT))
        for sample in generated
        if not sample.path.is_file() or sample.path.read_text(encoding="utf-8") != sample.text
    ]
    assert not stale, f"out of date (run {REGENERATE}): {stale}"


def test_no_stray_files_in_the_example_event_directories(generated: list[SampleFile]) -> None:
    expected = {sample.path for sample in generated}
    present = {path for name in CUSTOMERS for path in (EVENTS_ROOT / name).glob("*.json")}
    assert present == expected


def test_every_event_has_a_golden_even_where_the_clock_decides() -> None:
    events = [
        path
        for name in CUSTOMERS
        for path in sorted((EVENTS_ROOT / name).glob("*.json"))
        if not path.name.endswith(GOLDEN_SUFFIX)
    ]
    without = [str(p.relative_to(EVENTS_ROOT)) for p in events if not golden_path(p).is_file()]
    assert without == []  # replay answers each event at its own time (hours included)


def test_pivotkit_replay_answers_every_event_as_its_golden(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("PIVOTKIT_TOKENS", raising=False)  # samples carry local-<slug>
    status = main(["replay", "--memory", "--quiet", *(str(EVENTS_ROOT / c) for c in CUSTOMERS)])
    output = capsys.readouterr().out
    assert status == 0, output
    assert output.count("matches golden") == sum(
        1 for c in CUSTOMERS for _ in (EVENTS_ROOT / c).glob(f"*{GOLDEN_SUFFIX}")
    )
