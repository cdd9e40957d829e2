"""`pivotkit calls pull`: a journaled call rebuilt as Lambda events whose goldens are the
answers the call got, so the code that answered replays them green."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from pivotkit.local.call_pull import WRONG_TOKEN, PullError, call_directory, pull
from pivotkit.local.cli import main
from pivotkit.local.replaying import GOLDEN_SUFFIX, WITHHELD_KEY, golden_path
from pivotkit.local.simulator import Caller, PivotTarget, Script, simulate
from tests.unit.local.journal_support import (
    TOKEN,
    URL,
    Engine,
    journal_file_text,
    journaled_customer,
)


def _load(path: Path) -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    return loaded


def _replays_green(events: list[Path], engine: Engine) -> None:
    for path in events:
        assert engine.replay(_load(path)) == _load(golden_path(path)), path.name


def test_pulled_events_replay_green_on_the_code_that_answered(tmp_path: Path) -> None:
    answered = Engine(journaled_customer())
    answered.call("sales@10.0.0.5", "1")
    pulled = pull(answered.entries(), tmp_path)
    assert pulled.directory == tmp_path / "sales-10-0-0-5"
    names = sorted(p.name for p in pulled.directory.iterdir())
    assert names == [
        "01-start.expected.json",
        "01-start.json",
        "02-menu.expected.json",
        "02-menu.json",
    ]
    second = _load(pulled.directory / "02-menu.json")
    assert second["queryStringParameters"]["step"] == "menu"
    assert second["queryStringParameters"]["Digits[menu_1]"] == "1"
    assert second["queryStringParameters"]["token"] == TOKEN
    # A fresh engine (a new process, as replay is) answers every event as the call was.
    _replays_green([e.path for e in pulled.events], Engine(journaled_customer()))


def test_a_changed_flow_no_longer_matches(tmp_path: Path) -> None:
    answered = Engine(journaled_customer())
    answered.call("changed", "3")
    pulled = pull(answered.entries(), tmp_path)
    changed = Engine(journaled_customer(greeting="Press 9 for something new."))
    first = pulled.events[0].path
    assert changed.replay(_load(first)) != _load(golden_path(first))


def test_post_json_requests_are_rebuilt_as_posts(tmp_path: Path) -> None:
    answered = Engine(journaled_customer())
    target = PivotTarget(URL, method="post", req_body_format="json")
    simulate(answered, target, Caller(call_id="posted"), Script.parse("3"))
    pulled = pull(answered.entries(), tmp_path)
    first = _load(pulled.events[0].path)
    assert first["requestContext"]["http"]["method"] == "POST"
    assert first["headers"]["content-type"] == "application/json"
    assert json.loads(first["body"])["Call-ID"] == "posted"
    _replays_green([e.path for e in pulled.events], Engine(journaled_customer()))


def test_masked_digits_are_withheld_unless_given(tmp_path: Path) -> None:
    answered = Engine(journaled_customer())
    answered.call("pin", "4,8642#")
    entries = answered.entries()
    pulled = pull(entries, tmp_path / "masked")
    assert [e.withheld for e in pulled.events] == [(), (), ("pin_2",)]
    third = _load(pulled.events[2].path)
    assert third[WITHHELD_KEY]["digits"] == ["pin_2"]
    assert "8642" not in json.dumps(third)
    assert third["queryStringParameters"]["Digits[pin_2]"] == "***(4)"
    given = pull(entries, tmp_path / "given", digits={"pin_2": "8642"})
    assert [e.withheld for e in given.events] == [(), (), ()]
    _replays_green([e.path for e in given.events], Engine(journaled_customer()))


def test_a_refused_token_replays_as_a_refusal(tmp_path: Path) -> None:
    answered = Engine(journaled_customer())
    answered.call("intruder", "1", url=URL.replace(TOKEN, "guessed-wrong-token"))
    pulled = pull(answered.entries(), tmp_path)
    (event,) = pulled.events
    assert event.status == 401
    loaded = _load(event.path)
    assert loaded["queryStringParameters"]["token"] == WRONG_TOKEN
    assert "guessed-wrong-token" not in json.dumps(loaded)
    _replays_green([event.path], Engine(journaled_customer()))


def test_a_failed_step_replays_its_error(tmp_path: Path) -> None:
    answered = Engine(journaled_customer())
    answered.call("broken", "2")
    pulled = pull(answered.entries(), tmp_path)
    assert [e.status for e in pulled.events] == [200, 500]
    assert _load(golden_path(pulled.events[1].path))["body"]["error"] == "step_failed"
    _replays_green([e.path for e in pulled.events], Engine(journaled_customer()))


def test_what_the_journal_cannot_rebuild_is_refused_or_left_without_golden(
    tmp_path: Path,
) -> None:
    answered = Engine(journaled_customer())
    answered.call("bounded", "1")
    entries = answered.entries()
    with pytest.raises(PullError, match="continuation"):
        pull(entries[1:], tmp_path / "late")
    old = [{k: v for k, v in e.items() if k != "route"} for e in entries]
    cut = [dict(e) for e in entries]
    cut[1]["answer"] = {"module": "tts", "data": {"text": "x...(+300)"}}
    dropped = [dict(e) for e in entries]
    dropped[1]["params"] = "...(dropped: entry too large)"
    partial = pull(cut, tmp_path / "cut")
    assert [e.golden for e in partial.events] == [True, False]
    assert not list(partial.directory.glob(f"02-*{GOLDEN_SUFFIX}"))
    stopped = pull(dropped, tmp_path / "dropped")
    assert len(stopped.events) == 1 and "dropped its parameters" in stopped.stopped
    no_route = pull(old, tmp_path / "no-route")
    assert no_route.events == [] and "no route" in no_route.stopped
    with pytest.raises(PullError, match="already holds events"):
        pull(entries, tmp_path / "cut")


def test_a_hostile_call_id_stays_inside_the_directory(tmp_path: Path) -> None:
    assert call_directory(tmp_path, "../../etc/passwd") == tmp_path / "etc-passwd"
    assert call_directory(tmp_path, "..") == tmp_path / "call"


def test_calls_pull_from_a_journal_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    answered = Engine(journaled_customer())
    answered.call("cli", "4,1234#")
    journal = tmp_path / "journal.jsonl"
    journal.write_text(journal_file_text(answered.entries()), encoding="utf-8")
    base = ["calls", "pull", "cli", "--from", str(journal), "--since", "1d"]
    assert main([*base, "--to", str(tmp_path / "events")]) == 0
    out = capsys.readouterr().out
    assert "03-pin.json (200; digits withheld: pin_2)" in out
    assert f"replay it: pivotkit replay {tmp_path / 'events' / 'cli'}" in out
    assert main([*base, "--to", str(tmp_path / "known"), "--digits", "pin_2=1234"]) == 0
    assert "withheld" not in capsys.readouterr().out
    assert main([*base, "--to", str(tmp_path / "x"), "--digits", "pin_2"]) == 2
    assert main(["calls", "pull", "nobody", "--from", str(journal), "--to", str(tmp_path)]) == 1
