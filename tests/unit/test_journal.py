"""The call journal's entries: redacted, masked, bounded, and the call-end seam."""

from __future__ import annotations

import json

from pivotkit.app import Outcome
from pivotkit.journal import (
    MAX_ENTRY_BYTES,
    MAX_REQUESTS_PER_CALL,
    CallJournal,
    is_journal_line,
)
from pivotkit.redaction import Redactor
from pivotkit.request import PivotRequest

TOKEN = "s3cret-token-value-123"


def _caller(value: str | None, is_number: bool) -> str | None:
    return None if value is None else ("N" if is_number else "name") + f"<{len(value)}>"


def _journal() -> tuple[CallJournal, list[str]]:
    lines: list[str] = []
    return CallJournal(lines.append, Redactor([TOKEN]), _caller, clock=lambda: 1000.0), lines


def _request(**raw: object) -> PivotRequest:
    base: dict[str, object] = {"Call-ID": "c1", "Account-ID": "a" * 32}
    base.update(raw)
    return PivotRequest.from_params(base)


def test_call_end_seam_writes_one_marked_line() -> None:
    journal, lines = _journal()
    journal.call_ended(
        customer="acme",
        call_id="c1",
        account_id="a" * 32,
        hangup_cause="NORMAL_CLEARING",
        duration_seconds=42.0,
        ended_at=1234.5,
    )
    entry = is_journal_line(lines[0])
    assert entry is not None
    assert entry["kind"] == "call_end"
    assert (entry["hangup_cause"], entry["duration_seconds"], entry["at"]) == (
        "NORMAL_CLEARING",
        42.0,
        1234.5,
    )


def test_request_entry_hides_token_pin_and_caller() -> None:
    journal, lines = _journal()
    request = _request(
        **{
            "Caller-ID-Number": "+14155550123",
            "Caller-ID-Name": f"me {TOKEN}",
            "Digits": {"pin_3": "8642"},
            "Custom-Application-Vars": {"t": TOKEN, "token": "anything"},
            "Request-URL": f"https://x/pivot/acme?token={TOKEN}&step=a",
        }
    )
    answer = json.dumps({"module": "pivot", "data": {"voice_url": f"https://x?token={TOKEN}"}})
    outcome = Outcome(
        customer="acme",
        step="pin",
        status=200,
        duration_ms=3.0,
        call_id="c1",
        digits="8642",
        answer=answer.encode(),
        request=request,
        hop=3,
        seq=2,
    )
    journal.observe(outcome, None)
    line = lines[0]
    assert TOKEN not in line
    assert "8642" not in line
    assert "+14155550123" not in line
    entry = is_journal_line(line)
    assert entry is not None
    assert entry["digits_length"] == 4 and entry["hop"] == 3 and entry["seq"] == 2


def test_hostile_values_stay_bounded() -> None:
    journal, lines = _journal()
    request = _request(**{"Caller-ID-Name": "\x1b[31m\n" + "A" * 100_000, "X": ["v"] * 10_000})
    outcome = Outcome(
        customer="acme",
        step="s",
        status=200,
        duration_ms=1.0,
        call_id="c1",
        answer=b"{" + b'"k":"' + b"x" * 200_000 + b'"}',
        request=request,
        hop=1,
    )
    journal.observe(outcome, None)
    assert len(lines[0]) <= MAX_ENTRY_BYTES
    assert "\x1b" not in lines[0] and "\n" not in lines[0]
    for hop in range(MAX_REQUESTS_PER_CALL + 1, MAX_REQUESTS_PER_CALL + 200):
        journal.observe(
            Outcome(customer="acme", step="s", status=200, duration_ms=1.0, hop=hop), None
        )
    assert len(lines) == 2  # the entry, then the one truncated entry for the rest
    truncated = is_journal_line(lines[1])
    assert truncated is not None and truncated["kind"] == "truncated"
    assert truncated["hop"] == MAX_REQUESTS_PER_CALL + 1


def test_route_keeps_what_a_pull_needs_and_never_the_token_or_signature() -> None:
    from pivotkit.http import HttpRequest

    journal, lines = _journal()
    query = f"token={TOKEN}&step=menu&hop=2&seq=1&g=menu_2&sig=0123456789abcdef0123456789abcdef"
    http = HttpRequest(
        method="post",
        path="/pivot/acme",
        raw_query=query,
        headers={"content-type": "application/json; charset=utf-8"},
        base_url="https://pivot.example.com",
    )
    request = _request(Digits={"menu_2": "1"})
    outcome = Outcome("acme", "menu", 200, 1.0, call_id="c1", request=request, http=http)
    journal.observe(outcome, None)
    assert TOKEN not in lines[0] and "0123456789abcdef" not in lines[0]
    entry = is_journal_line(lines[0])
    assert entry is not None
    assert entry["route"] == {
        "method": "POST",
        "content_type": "application/json",
        "base_url": "https://pivot.example.com",
        "path": "/pivot/acme",
        "continuation": {"step": "menu", "hop": "2", "seq": "1", "g": "menu_2"},
    }


def test_a_refused_request_keeps_only_which_call_it_was() -> None:
    from pivotkit.http import HttpRequest

    journal, lines = _journal()
    http = HttpRequest(
        method="GET",
        path="/pivot/acme",
        raw_query=f"token=guess-{TOKEN}&Call-ID=c9&Account-ID={'b' * 32}&Caller-ID-Name=Eve",
    )
    outcome = Outcome("acme", None, 401, 0.5, error="unauthorized", http=http)
    journal.observe(outcome, None)
    entry = is_journal_line(lines[0])
    assert entry is not None
    assert (entry["call_id"], entry["account_id"]) == ("c9", "b" * 32)
    assert "params" not in entry and "Eve" not in lines[0] and TOKEN not in lines[0]


def test_a_long_prompt_in_the_answer_is_kept_whole_and_the_line_bounded() -> None:
    journal, lines = _journal()
    prompt = "Please listen carefully, as our options have changed. " * 15  # 825 characters
    answer = json.dumps({"module": "tts", "data": {"text": prompt}}).encode()
    journal.observe(
        Outcome("acme", "s", 200, 1.0, call_id="c1", answer=answer, hop=1, request=_request()),
        None,
    )
    entry = is_journal_line(lines[0])
    assert entry is not None and entry["answer"]["data"]["text"] == prompt
    huge = json.dumps({"module": "tts", "data": {"text": "x" * 5000}}).encode()
    journal.observe(Outcome("acme", "s", 200, 1.0, call_id="c1", answer=huge, hop=2), None)
    cut = is_journal_line(lines[1])
    assert cut is not None and cut["answer"]["data"]["text"].endswith("...(+3976)")
    assert len(lines[1]) <= MAX_ENTRY_BYTES


def test_an_answer_that_names_the_caller_or_the_pin_is_masked_too() -> None:
    journal, lines = _journal()
    request = _request(
        **{"Caller-ID-Name": "Zoë Müller", "Digits": {"pin_1": "86420"}, "Caller-ID-Number": "+1"}
    )
    for body in (
        json.dumps({"module": "tts", "data": {"text": "Hello Zoë Müller, PIN 86420"}}),
        json.dumps({"module": "tts", "data": {"text": "Hello Zoë Müller, PIN 86420"}},
                   ensure_ascii=False),
    ):  # fmt: skip
        outcome = Outcome(
            customer="acme", step="pin", status=200, duration_ms=1.0, call_id="c1",
            answer=body.encode(), request=request, hop=1,
        )  # fmt: skip
        journal.observe(outcome, None)
    for line in lines:
        entry = is_journal_line(line)
        assert entry is not None
        text = entry["answer"]["data"]["text"]
        assert "86420" not in text and "Zo" not in text and "***(5)" in text
