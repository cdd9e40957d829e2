"""`pivotkit calls show`: a journaled call told as what the caller heard, pressed and where
the call went, request by request, with the diagram `pivotkit call` draws."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from pivotkit.journal import call_end_entry
from pivotkit.local.call_story import render, tell
from pivotkit.local.cli import main
from pivotkit.local.diagram import markdown
from tests.unit.local.journal_support import TOKEN, Engine, journal_file_text, journaled_customer


@pytest.fixture
def engine() -> Engine:
    return Engine(journaled_customer())


def test_story_tells_prompts_digits_bridge_and_each_request(engine: Engine) -> None:
    engine.call("to-support", "1")
    story = tell(engine.entries("to-support"))
    assert story.heard == [
        "Press 1 for support, 2 to break, 4 for your PIN.",
        "Connecting you to support.",
    ]
    assert story.pressed == [("menu_1", "1")]
    text = render(story)
    assert "call to-support (journaled) from +141*** (Pat ***)" in text
    assert "-> step start (hop 0, state version 0) GET /pivot/journaled" in text
    assert "-> step menu (hop 1, state version 0) GET /pivot/journaled" in text
    assert ": 200 in " in text and "state 0 read(s), 0 write(s)" in text
    assert f"bridge user {'5e' * 16}: tried (Pivot never learns whether it answered)" in text
    assert "no call_end in the journal" in text
    assert TOKEN not in text


def test_diagram_is_the_one_pivotkit_call_draws(engine: Engine) -> None:
    engine.call("drawn", "1")
    story = tell(engine.entries("drawn"))
    text = render(story)
    assert text.rstrip("\n").endswith(markdown(story.transcript).rstrip("\n"))
    assert '-- "1" -->' in text and "flowchart TD" in text
    assert '[["user ' in text  # the bridge's subroutine box


def test_a_failed_step_shows_its_code_and_kazoos_fallback(engine: Engine) -> None:
    engine.call("broken", "2")
    text = render(tell(engine.entries("broken")))
    assert "-> step menu (hop 1, state version 0) GET /pivot/journaled" in text
    assert ": 500 step_failed in " in text
    assert "fallback: Kazoo continues with the pivot node's '_' child" in text
    assert "says: Sorry, something broke." in text
    assert "class n" in text and "pivotFailure" in text


def test_masked_digits_are_told_as_masked_and_never_in_clear(engine: Engine) -> None:
    engine.call("pin-call", "4,8642#")
    story = tell(engine.entries("pin-call"))
    assert ("pin_2", "***(4)") in story.pressed
    text = render(story)
    assert "8642" not in text
    assert "collects pin_2: ***(4)" in text and '-- "***(4)" -->' in text


def test_how_the_call_ended_comes_from_call_end(engine: Engine) -> None:
    engine.call("ended", "3")
    end = call_end_entry(
        customer="journaled",
        call_id="ended",
        account_id=None,
        hangup_cause="NORMAL_CLEARING",
        duration_seconds=42.0,
        ended_at=2_000_000_000.0,
        hangup_by="caller",
    )
    text = render(tell([*engine.entries("ended"), end]))
    assert "ended:   ended NORMAL_CLEARING after 42.0 s (hung up by caller) at 2033-05-18" in text
    assert "says: Goodbye." in text


def test_a_journal_that_stops_at_a_collect_says_the_caller_hung_up(engine: Engine) -> None:
    engine.call("gone", "")  # a timeout: menu runs with no digits, answers goodbye
    entries = engine.entries("gone")[:1]  # as if the second request never came
    story = tell(entries)
    assert story.transcript.ending == "caller_hangup"
    assert "the caller hung up at collect_dtmf 'menu_1'" in render(story)


def test_calls_show_reads_a_journal_file(
    engine: Engine, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    engine.call("from-file", "1")
    engine.call("other", "3")
    journal = tmp_path / "journal.jsonl"
    journal.write_text("not a journal line\n" + journal_file_text(engine.entries()), "utf-8")
    assert main(["calls", "show", "from-file", "--from", str(journal), "--since", "1d"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("call from-file (journaled)") and "```mermaid" in out
    assert (
        main(["calls", "show", "from-file", "--from", str(journal), "--since", "1d", "--json"]) == 0
    )
    raw = capsys.readouterr().out
    assert raw.count('"kind": "request"') == 2 and '"call_id": "other"' not in raw
    assert json.loads(raw.split("\n}\n")[0] + "\n}")["step"] == "start"


def test_a_refused_first_request_leaves_the_rest_to_kazoos_own_pivot_node(engine: Engine) -> None:
    engine.call("intruder", "1", url=engine.url("a-wrong-token-guess"))
    text = render(tell(engine.entries("intruder")))
    assert "-> step - (hop -, state version -) GET /pivot/journaled" in text
    assert ": 401 unauthorized in " in text and "a-wrong-token-guess" not in text
    assert "went:    the first request failed: Kazoo runs the '_' child of the callflow's" in text
