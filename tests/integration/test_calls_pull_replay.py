"""Calls walked by the virtual Kazoo (one that reaches a bridge, a wrong token, a step that
raises, a step that overruns its limit, a PIN) are journaled to a file, then listed, shown
and pulled with `pivotkit calls`; `pivotkit replay` runs the pulled events green on the code
that answered them, and fails with a readable diff once the flow changes."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

import customers
from pivotkit.local.cli import main
from pivotkit.local.runtime import find_customers
from tests.unit.local.journal_support import Engine

SLUG = "journalwalk"
CUSTOMER_SOURCE = """
import time

from pivotkit import Call, Customer, Flow, Node, hangup, tts, user

GREETING = "Press 1 for support, 2 to break, 3 to wait, 4 for your PIN."
flow = Flow()


@flow.step()
def start(call: Call) -> Node:
    return call.gather("menu", prompt=tts(GREETING))


@flow.step()
def menu(call: Call) -> Node:
    if call.digits == "1":
        return tts("Connecting you to support.").then(user("5e" * 16, timeout=20))
    if call.digits == "2":
        raise RuntimeError("a deliberate failure")
    if call.digits == "3":
        time.sleep(1.7)  # past the deadline: 2 s request timeout less the 0.5 s reply margin
        return tts("Too late.").then(hangup())
    return call.gather("pin", prompt=tts("Enter your PIN."), max_digits=4)


@flow.step()
def pin(call: Call) -> Node:
    call.state["pin_length"] = len(call.digits or "")
    return tts("Thank you.").then(hangup())


customer = Customer(
    slug="journalwalk", flow=flow, fallback_message="Sorry.", request_timeout_ms=2000
)
"""
CALLS = {"good": "1", "intruder": "1", "raises": "2", "slow": "3", "pin": "4,8642#"}


@pytest.fixture
def journal_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """The five calls walked against the test customer, journaled into a file."""
    package = tmp_path / "customers" / SLUG
    package.mkdir(parents=True)
    (package / "__init__.py").write_text(CUSTOMER_SOURCE, encoding="utf-8")
    monkeypatch.setattr(customers, "__path__", [*customers.__path__, str(tmp_path / "customers")])
    monkeypatch.delenv("PIVOTKIT_TOKENS", raising=False)
    journal = tmp_path / "journal.jsonl"
    with journal.open("w", encoding="utf-8") as out:
        engine = Engine(find_customers(SLUG)[SLUG], sink=out.write)
        for call_id, digits in CALLS.items():
            token = "a-wrong-token-guess" if call_id == "intruder" else None
            engine.call(call_id, digits, url=engine.url(token))
    yield journal
    sys.modules.pop(f"customers.{SLUG}", None)


def _calls(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str]:
    status = main(["calls", *args])
    return status, capsys.readouterr().out


def test_walked_calls_are_listed_shown_pulled_and_replayed(
    journal_file: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    source = ["--from", str(journal_file), "--since", "1d"]
    status, listed = _calls(capsys, "list", *source, "--status", "error")
    assert status == 0
    lines = listed.splitlines()
    assert len(lines) == 3, listed
    assert any("intruder" in line and "401 unauthorized" in line for line in lines)
    assert any("raises" in line and "500 step_failed at menu" in line for line in lines), listed
    assert any("slow" in line and "503 step_timed_out at menu" in line for line in lines)

    status, shown = _calls(capsys, "show", "slow", *source)
    assert status == 0
    assert "heard:   Press 1 for support, 2 to break, 3 to wait, 4 for your PIN. | Sorry." in shown
    assert "pressed: menu_1=3" in shown
    assert ": 503 step_timed_out in " in shown and "```mermaid" in shown

    events = tmp_path / "events" / SLUG
    for call_id in CALLS:
        status, pulled = _calls(capsys, "pull", call_id, *source, "--to", str(events))
        assert status == 0, pulled
    assert "digits withheld: pin_2" in pulled
    assert sorted(p.name for p in events.iterdir()) == sorted(CALLS)

    assert main(["replay", str(events)]) == 0
    replayed = capsys.readouterr().out
    # good 2, intruder 1, raises 2, slow 2, pin 3 (the last one withheld: its PIN is masked)
    assert "9/9 event(s) passed, 1 withheld (digits the journal masked; not run)" in replayed
    assert "WITHHELD" in replayed and "pin/03-pin.json: digits withheld (pin_2" in replayed


def test_a_changed_flow_fails_the_pulled_replay_with_a_diff(
    journal_file: Path,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    source = ["--from", str(journal_file), "--since", "1d"]
    events = tmp_path / "events"
    assert _calls(capsys, "pull", "good", *source, "--to", str(events))[0] == 0
    module = sys.modules[f"customers.{SLUG}"]
    monkeypatch.setattr(module, "GREETING", "Press 9 for our new menu.")
    assert main(["replay", str(events)]) == 1
    out = capsys.readouterr().out
    assert "FAIL" in out and "01-start.json: 200 (DIFFERS from golden)" in out
    assert "--- 01-start.expected.json" in out and "+++ actual" in out
    assert '-      "text": "Press 1 for support, 2 to break, 3 to wait, 4 for your PIN."' in out
    assert '+      "text": "Press 9 for our new menu."' in out
    assert "1/2 event(s) passed" in out
