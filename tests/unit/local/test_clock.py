"""``--now`` on call, replay and serve, and the clock steps read through ``call.now()``."""

from __future__ import annotations

import json
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from pivotkit.local.cli import main
from pivotkit.local.clock import LocalClock, NaiveTime, event_time, parse_now

CHRISTMAS_EVE_9AM_CHICAGO = datetime(2026, 12, 24, 15, 0, tzinfo=UTC)
CHRISTMAS_NOON_CHICAGO = "2026-12-25T12:00-06:00"  # a holiday: closed


@pytest.fixture(autouse=True)
def _local_tokens(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("PIVOTKIT_TOKENS", raising=False)  # token local-<slug>, as replay uses


def test_now_takes_an_offset_or_z() -> None:
    assert parse_now("2026-12-24T09:00-06:00") == CHRISTMAS_EVE_9AM_CHICAGO
    assert parse_now("2026-12-24T15:00Z") == CHRISTMAS_EVE_9AM_CHICAGO
    assert parse_now("2026-12-24T09:00-06:00").utcoffset() == timedelta(hours=-6)


@pytest.mark.parametrize("text", ["2026-12-24T09:00", "2026-12-24"])
def test_a_time_without_an_offset_is_refused_with_the_rule(text: str) -> None:
    with pytest.raises(NaiveTime, match=r"no UTC offset; add one, e\.g\. .*-06:00"):
        parse_now(text)


def test_not_a_time_is_refused() -> None:
    with pytest.raises(ValueError, match="not an ISO 8601 time"):
        parse_now("christmas")


@pytest.mark.parametrize("command", ["call", "replay", "serve"])
def test_each_command_refuses_a_naive_now(command: str, capsys: pytest.CaptureFixture[str]) -> None:
    replay = ["events/examples/hours"]
    extra = {"call": ["--customer", "hours"], "replay": replay, "serve": []}[command]
    with pytest.raises(SystemExit) as stopped:
        main([command, *extra, "--now", "2026-12-24T09:00"])
    assert stopped.value.code == 2
    assert "has no UTC offset" in capsys.readouterr().err


def test_a_local_clock_starts_where_told_and_runs_on() -> None:
    clock = LocalClock(CHRISTMAS_EVE_9AM_CHICAGO)
    first = clock()
    assert abs(first - CHRISTMAS_EVE_9AM_CHICAGO.timestamp()) < 5
    time.sleep(0.01)
    assert clock() > first
    assert clock.moved and not LocalClock().moved


def test_a_pinned_clock_stands_still_then_runs_on_as_before() -> None:
    clock = LocalClock()
    with clock.pinned(1_000.0):
        assert clock() == 1_000.0
        assert clock.datetime() == datetime(1970, 1, 1, 0, 16, 40, tzinfo=UTC)
    assert abs(clock() - time.time()) < 5


def test_the_time_of_an_event_of_each_shape() -> None:
    assert event_time({"requestContext": {"timeEpoch": 1_700_000_000_123}}) == 1_700_000_000.123
    assert event_time({"requestContext": {"requestTimeEpoch": 1_700_000_000_000}}) == 1.7e9
    assert event_time({"requestContext": {}}) is None
    assert event_time({}) is None


def call_json(capsys: pytest.CaptureFixture[str], *options: str) -> dict[str, object]:
    capsys.readouterr()
    status = main(["call", "--customer", "hours", "--json", *options])
    transcript: dict[str, object] = json.loads(capsys.readouterr().out)
    assert status == 0, transcript["failures"]
    return transcript


def test_call_now_decides_what_the_hours_example_answers(
    capsys: pytest.CaptureFixture[str],
) -> None:
    open_call = call_json(capsys, "--now", "2026-12-24T09:00-06:00", "--bridge", "answer")
    assert open_call["heard"] == []  # rings the team at once
    assert open_call["ending"] == "bridged"
    closed = call_json(capsys, "--now", CHRISTMAS_NOON_CHICAGO, "--digits", "")
    assert "We are closed." in " ".join(map(str, closed["heard"]))  # type: ignore[call-overload]


def test_call_now_needs_an_in_process_customer(capsys: pytest.CaptureFixture[str]) -> None:
    url = "http://127.0.0.1:9/pivot/hours?token=x"
    assert main(["call", "--url", url, "--now", CHRISTMAS_NOON_CHICAGO]) == 2
    assert "--now sets the clock of an in-process call" in capsys.readouterr().err


def test_saved_events_carry_the_clock_and_replay_at_it_on_any_day(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    directory = tmp_path / "christmas"
    status = main(
        ["call", "--customer", "hours", "--now", CHRISTMAS_NOON_CHICAGO, "--digits", "1",
         "--save-events", str(directory)]
    )  # fmt: skip
    assert status == 0, capsys.readouterr().out
    first = json.loads((directory / "01-start.json").read_text())
    stamped = event_time(first)
    assert stamped is not None
    assert abs(stamped - parse_now(CHRISTMAS_NOON_CHICAGO).timestamp()) < 60
    golden = json.loads((directory / "01-start.expected.json").read_text())
    assert "We are closed." in golden["body"]["data"]["text"]
    capsys.readouterr()

    assert main(["replay", "--memory", str(directory)]) == 0, capsys.readouterr().out
    assert capsys.readouterr().out.count("matches golden") == 2

    # --now overrides the events' own time: on Christmas Eve morning the business is open.
    assert main(["replay", "--memory", "--now", "2026-12-24T09:00-06:00", str(directory)]) == 1
    assert "DIFFERS from golden" in capsys.readouterr().out
