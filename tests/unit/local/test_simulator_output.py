"""What a simulated call reports: the readable transcript, its JSON and the Mermaid diagram."""

from __future__ import annotations

import json
import re

from pivotkit.local.diagram import markdown, mermaid
from pivotkit.local.simulator import Caller, PivotTarget, Script, simulate
from pivotkit.local.transcript import Transcript, redact_url
from tests.unit.local.simulator_support import (
    START,
    Answer,
    CannedKazooServer,
    chain,
    node,
    pivot_to,
    status,
)


def _ivr_call() -> Transcript:
    answers = {
        "start": chain(
            node("tts", {"text": 'Say "hello" <now>'}),
            node("collect_dtmf", {"collection_name": "pin", "max_digits": 4}),
            pivot_to("menu"),
        ),
        "menu": node(
            "check_cid",
            {"regex": "^\\+1"},
            match=chain(
                node("user", {"id": "u" * 32, "timeout": 20}), node("voicemail", {"id": "v" * 32})
            ),
        ),
    }
    return simulate(
        CannedKazooServer(answers),
        PivotTarget(START),
        Caller(call_id="c-42@test"),
        Script.parse("1234#", bridges="USER_BUSY"),
    )


def test_readable_transcript_follows_the_call() -> None:
    text = _ivr_call().render()
    lines = text.splitlines()
    assert lines[0].startswith("call c-42@test from +14155550123")
    assert any(
        line.startswith("-> GET https://pivot.example.com/pivot/acme?token=***") for line in lines
    )
    assert '   says: Say "hello" <now>' in lines
    assert "   collects pin: 1234" in lines
    assert any(line.startswith("   branch check_cid -> match") for line in lines)
    assert lines[-2] == f"== bridged: connected to voicemail {'v' * 32}"
    assert lines[-1].startswith("== ok: 2 request(s)")


def test_json_transcript_is_machine_readable() -> None:
    payload = json.loads(_ivr_call().dumps())
    assert payload["ok"] is True
    assert payload["ending"] == "bridged"
    assert payload["collections"] == {"pin": "1234"}
    kinds = [event["kind"] for event in payload["events"]]
    assert kinds[:3] == ["request", "answer", "say"]
    assert kinds[-1] == "end"
    bridge = [e for e in payload["events"] if e["kind"] == "bridge"]
    assert [(b["outcome"], b.get("sip_code")) for b in bridge] == [
        ("USER_BUSY", 486),
        ("answer", None),
    ]


def test_mermaid_diagram_draws_the_path_with_digits_and_branches() -> None:
    source = mermaid(_ivr_call())
    assert source.startswith("flowchart TD\n")
    assert '-- "1234" -->' in source
    assert '-- "match" -->' in source
    assert '-- "USER_BUSY" -->' in source
    # Quotes and angle brackets are Mermaid entity codes; nothing breaks a label.
    assert "Say #quot;hello#quot; #lt;now#gt;" in source
    # "end" is a Mermaid keyword: it must never be a class or node name.
    assert not re.search(r"\b(class \S+|classDef) end\b", source)
    node_ids = re.findall(r"^  (n\d+)[\[\(\{>]", source, flags=re.MULTILINE)
    assert node_ids == [f"n{i}" for i in range(len(node_ids))]


def test_diagram_marks_failures() -> None:
    answers: dict[str, Answer] = {"start": pivot_to("x", k__=node("hangup")), "x": status(500)}
    transcript = simulate(CannedKazooServer(answers), PivotTarget(START))
    source = mermaid(transcript)
    assert "answered 500, not 200" in source
    assert "pivotFailure" in source


def test_markdown_wraps_the_diagram_in_a_mermaid_fence() -> None:
    text = markdown(_ivr_call())
    assert text.startswith("```mermaid\nflowchart TD\n")
    assert text.endswith("```\n")


def test_redact_url_hides_only_the_token() -> None:
    url = "http://h:1/pivot/a?token=s3cr3t&step=menu&g=x%20y"
    assert redact_url(url) == "http://h:1/pivot/a?token=***&step=menu&g=x%20y"
    assert redact_url("http://h/pivot/a?step=1") == "http://h/pivot/a?step=1"
