"""``pivotkit stats``: the funnel of a tracked IVR, from records and from DynamoDB."""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping, Sequence
from typing import Any

import pytest
from moto import mock_aws

from examples import survey
from pivotkit.app import PivotApp
from pivotkit.customers import StaticTokens
from pivotkit.local.cli import main
from pivotkit.local.embedded_aws import (
    OFFLINE_CREDENTIALS,
    EmbeddedAws,
    LocalResources,
    applied_environment,
    provision,
)
from pivotkit.local.simulator import Caller
from pivotkit.local.stats import funnel, last_exit, render
from pivotkit.state import CallKey, CallRecord
from tests.examples.support import TOKEN, call_app

NOW = 1_800_000_000.0


def record(
    call: str, trail: Sequence[Mapping[str, Any]], answer: str | None, *, updated: float = 0
) -> CallRecord:
    return CallRecord(
        key=CallKey("survey", "a" * 32, call),
        state={},
        seq=len(trail),
        version=len(trail),
        created_at=0.0,
        updated_at=updated or (trail[-1]["at"] if trail else 0.0),
        expires_at=int(NOW) + 3600,
        answer=answer,
        trail=tuple(trail),
    )


def step(name: str, at: float, digits: str | None = None) -> dict[str, Any]:
    entry: dict[str, Any] = {"step": name, "hop": 0, "at": at}
    if digits is not None:
        entry["digits"] = digits
    return entry


GATHER = json.dumps(
    {"module": "tts", "data": {"text": "?"}, "children": {"_": {"module": "collect_dtmf",
     "data": {}, "children": {"_": {"module": "pivot", "data": {"voice_url": "https://x"}}}}}}
)  # fmt: skip
GOODBYE = json.dumps(
    {"module": "webhook", "data": {"uri": "https://x"}, "children": {"_": {"module": "tts",
     "data": {"text": "Bye"}, "children": {"_": {"module": "hangup", "data": {}}}}}}
)  # fmt: skip
TO_CARE = json.dumps({"module": "user", "data": {"id": "c" * 32}})


def test_funnel_counts_entries_choices_time_and_where_calls_left() -> None:
    records = [
        # Answered both questions, then goodbye.
        record("a", [step("start", 0), step("rating", 4, "5"), step("recommend", 9, "1")], GOODBYE),
        # Rated 1, took the callback: handed to a user.
        record(
            "b",
            [
                step("start", 0),
                step("rating", 6, "1"),
                step("recommend", 10, "2"),
                step("callback", 13, "1"),
            ],
            TO_CARE,
        ),
        # Hung up while being asked to rate (long ago).
        record("c", [step("start", 0)], GATHER),
        # Pressed nothing, was asked again, then hung up at the second question, just now.
        record(
            "d",
            [step("start", NOW - 30), step("rating", NOW - 25, ""), step("rating", NOW - 20, "4")],
            GATHER,
        ),
        # A record without a trail (a flow without track_path).
        record("e", [], GOODBYE),
    ]
    result = funnel("survey", records, now=NOW, step_order=survey.flow.step_names)

    assert (result.calls, result.untracked) == (4, 1)
    assert (result.handed_off, result.hung_up, result.in_progress) == (2, 1, 1)
    start, rating, recommend, callback = (result.steps[s] for s in survey.flow.step_names)
    assert (start.calls, start.visits, start.hung_up) == (4, 4, 1)
    assert start.choices == {"5": 1, "1": 1, "": 1}
    assert sorted(start.seconds_in_step) == [4.0, 5.0, 6.0]
    assert start.median_seconds == 5.0
    assert (rating.calls, rating.visits, rating.in_progress) == (3, 4, 1)
    assert rating.choices == {"1": 1, "2": 1, "4": 1}
    assert recommend.handed_off == {"hangup": 1}
    assert callback.handed_off == {"user": 1}
    assert callback.median_seconds is None


def test_steps_no_call_reached_are_listed_with_zeros() -> None:
    result = funnel("survey", [], now=NOW, step_order=survey.flow.step_names)
    assert list(result.steps) == list(survey.flow.step_names)
    assert all(s.calls == 0 for s in result.steps.values())
    assert "no tracked calls" in render(result)


@pytest.mark.parametrize(
    ("answer", "exit_module"),
    [
        (GATHER, "pivot"),
        (GOODBYE, "hangup"),
        (TO_CARE, "user"),
        ('{"module":"tts","data":{"text":"x"}}', "hangup"),  # the flow runs out
        ('{"module":"fax_detect","data":{},"children":{}}', "fax_detect"),
        # A stored answer may start with a line of the engine's own.
        ("PKTOK0123456789abcdef\n" + GATHER, "pivot"),
        (None, "unknown"),
        ("not json", "unknown"),
    ],
)
def test_last_exit(answer: str | None, exit_module: str) -> None:
    assert last_exit(answer) == exit_module


# --- the command, on DynamoDB -------------------------------------------------------------

SCRIPTS = (["5", "1"], ["4", "1"], ["2", "2", "1"], ["1", "2", ""], [""], ["3"])


@pytest.fixture
def offline_aws(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.delenv("PIVOTKIT_STATE_TABLE", raising=False)
    with applied_environment(OFFLINE_CREDENTIALS):
        yield


def survey_calls(table: str) -> None:
    """Six survey calls answered by an engine whose state lives in ``table``."""
    from pivotkit.aws.dynamodb_state import DynamoDBStateStore

    store = DynamoDBStateStore.from_table_name(table)
    app = PivotApp({"survey": survey.customer}, store, StaticTokens({"survey": [TOKEN]}))
    for n, digits in enumerate(SCRIPTS):
        call_app(app, "survey", digits=digits, bridges=["answer"], caller=Caller(call_id=f"c{n}"))


def stats_json(capsys: pytest.CaptureFixture[str], *options: str) -> dict[str, Any]:
    capsys.readouterr()
    assert main(["stats", "--customer", "survey", "--json", *options]) == 0
    (result,) = json.loads(capsys.readouterr().out)
    assert isinstance(result, dict)
    return result


@pytest.mark.usefixtures("offline_aws")
def test_stats_reads_the_state_table(capsys: pytest.CaptureFixture[str]) -> None:
    from pivotkit.aws.clients import reset_clients

    resources = LocalResources(state_table="stats-test")
    with mock_aws():
        reset_clients()
        provision(resources)
        survey_calls(resources.state_table)
        result = stats_json(capsys, "--table", "stats-test", "--active-seconds", "0")
        capsys.readouterr()
        assert main(["stats", "--table", "stats-test", "--customer", "survey"]) == 0
        text = capsys.readouterr().out
    reset_clients()

    assert (result["calls"], result["handed_off"], result["hung_up"]) == (6, 5, 1)
    steps = {s["step"]: s for s in result["steps"]}
    assert [s["step"] for s in result["steps"]] == ["start", "rating", "recommend", "callback"]
    assert [steps[s]["calls"] for s in steps] == [6, 6, 4, 2]
    assert steps["start"]["choices"] == {"5": 1, "4": 1, "2": 1, "1": 1, "": 1, "3": 1}
    assert steps["rating"]["hung_up"] == 1  # rated 3, hung up at the second question
    assert steps["callback"]["handed_off"] == {"user": 1, "hangup": 1}
    assert "survey: 6 call(s) tracked" in text
    assert "callback: handed to user x1, hangup x1" in text


@pytest.mark.slow
@pytest.mark.usefixtures("offline_aws")
def test_stats_reads_the_embedded_aws_of_pivotkit_serve(
    capsys: pytest.CaptureFixture[str],
) -> None:
    from pivotkit.aws.clients import reset_clients

    with EmbeddedAws() as aws, applied_environment(aws.environment()):
        reset_clients()
        survey_calls(aws.resources.state_table)
        endpoint = aws.endpoint
        reset_clients()
        result = stats_json(capsys, "--endpoint", endpoint)
    reset_clients()
    assert result["calls"] == len(SCRIPTS)


def test_stats_needs_a_table(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("PIVOTKIT_STATE_TABLE", raising=False)
    assert main(["stats"]) == 2
    assert "which table?" in capsys.readouterr().err


def test_stats_refuses_an_unknown_customer(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["stats", "--customer", "nobody", "--table", "t"]) == 2
    assert "no customer 'nobody'" in capsys.readouterr().err


# --- digits: shown as the trail keeps them, never a PIN -----------------------------------

PIN = "8642"


def test_longer_input_is_shown_as_its_length() -> None:
    records = [
        # As the trail keeps a PIN now: class and length.
        record(
            "a",
            [step("start", 0), {**step("rating", 3), "choice": "several", "digits_length": 4}],
            GOODBYE,
        ),
        # As records stored before that kept it (live for hours, in backups for weeks).
        record("b", [step("start", 0), step("rating", 5, PIN)], GOODBYE),
    ]
    result = funnel("survey", records, now=NOW, step_order=survey.flow.step_names)
    assert result.steps["start"].choices == {"4 digits": 2}
    text = render(result)
    assert "pressed 4 digits x2" in text
    assert PIN not in text and PIN not in json.dumps(result.to_json())


def test_input_of_a_step_declared_no_secret_is_shown_as_pressed() -> None:
    records = [record("a", [step("start", 0), step("rating", 5, "204")], GOODBYE)]
    result = funnel("survey", records, now=NOW, input_sensitive=lambda name: name != "rating")
    assert result.steps["start"].choices == {"204": 1}


@pytest.mark.usefixtures("offline_aws")
def test_stats_command_never_prints_a_stored_pin(capsys: pytest.CaptureFixture[str]) -> None:
    from pivotkit.aws.clients import reset_clients
    from pivotkit.aws.dynamodb_state import DynamoDBStateStore

    resources = LocalResources(state_table="stats-pin-test")
    with mock_aws():
        reset_clients()
        provision(resources)
        store = DynamoDBStateStore.from_table_name(resources.state_table)
        stored = record("old", [step("start", NOW - 9), step("rating", NOW - 5, PIN)], GOODBYE)
        store.save(stored, expected_version=None)
        result = stats_json(capsys, "--table", resources.state_table)
        assert main(["stats", "--table", resources.state_table, "--customer", "survey"]) == 0
        text = capsys.readouterr().out
    reset_clients()
    assert {s["step"]: s["choices"] for s in result["steps"]}["start"] == {"4 digits": 1}
    assert PIN not in text and PIN not in json.dumps(result)


def test_calls_whose_trail_was_cut_are_counted_as_truncated() -> None:
    long_call = record("a", [step("start", 0), step("rating", 4, "5")], GOODBYE)
    result = funnel("survey", [long_call.with_updates(trail_dropped=30)], now=NOW)
    assert result.truncated == 1 and result.to_json()["truncated"] == 1
    assert "1 call(s) passed more than 200 steps: only their last ones are counted" in render(
        result
    )


def test_stats_against_a_dead_port_says_so_at_once(capsys: pytest.CaptureFixture[str]) -> None:
    import socket
    import time

    with socket.socket() as probe:  # a port that was free a moment ago: nothing listens
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    started = time.monotonic()
    assert main(["stats", "--customer", "survey", "--endpoint", f"http://127.0.0.1:{port}"]) == 1
    assert time.monotonic() - started < 3  # not the store's retry budget
    err = capsys.readouterr().err
    assert f"nothing answers at http://127.0.0.1:{port}" in err
    assert "is `pivotkit serve` running?" in err
