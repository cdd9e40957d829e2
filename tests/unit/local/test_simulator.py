"""The virtual Kazoo's walking rules, against canned answers (no server, no handler)."""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from typing import Any

import pytest

from pivotkit.local.simulator import (
    Caller,
    Limits,
    PivotTarget,
    Script,
    ScriptError,
    TransportError,
    TransportTimeout,
    WireAnswer,
    simulate,
)
from tests.unit.local.simulator_support import (
    BASE,
    START,
    Answer,
    CannedKazooServer,
    chain,
    node,
    pivot_to,
    status,
)


def call(
    answers: Mapping[str, Any],
    script: Script | None = None,
    *,
    caller: Caller | None = None,
    validator: Callable[[Mapping[str, Any]], list[str]] | None = None,
    limits: Limits | None = None,
) -> tuple[Any, CannedKazooServer]:
    server = CannedKazooServer(answers)
    transcript = simulate(
        server,
        PivotTarget(START),
        caller or Caller(call_id="call-1@test"),
        script or Script(),
        validator=validator,
        limits=limits,
    )
    return transcript, server


# --- requests as Kazoo sends them -------------------------------------------------------


def test_first_request_is_kazoos_get_with_the_callers_parameters() -> None:
    transcript, server = call(
        {"start": node("hangup")},
        caller=Caller(number="+15550001", name="Ann", call_id="c1@h", user_ids=("u1", "u2")),
    )
    first = server.requests[0]
    assert first.method == "GET"
    assert first.url.startswith(f"{START}&Account-ID=")
    params = server.params(0)
    assert params["Call-ID"] == "c1@h"
    assert params["Caller-ID-Number"] == "+15550001"
    assert params["Caller-ID-Name"] == "Ann"
    assert params["User-ID"] == ["u1", "u2"]
    assert params["Api-Version"] == "4.x"
    assert "Digits" not in params
    assert transcript.ending == "hangup"
    assert transcript.ok


def test_digits_accumulate_over_the_whole_call() -> None:
    answers = {
        "start": chain(
            node("collect_dtmf", {"collection_name": "pin", "max_digits": 4}), pivot_to("menu")
        ),
        "menu": chain(node("collect_dtmf", {"collection_name": "choice"}), pivot_to("done")),
        "done": node("hangup"),
    }
    transcript, server = call(answers, Script.parse("1234#,2"))
    assert server.params(1)["Digits"] == {"pin": "1234"}
    assert server.params(2)["Digits"] == {"pin": "1234", "choice": "2"}
    assert transcript.collections == {"pin": "1234", "choice": "2"}
    assert transcript.digits_pressed == ["1234", "2"]
    assert transcript.requests == 3


def test_nested_pivot_decides_method_and_body_format() -> None:
    answers = {
        "start": pivot_to("form", method="post"),
        "form": pivot_to("json", method="post", body_format="json"),
        "json": node("hangup"),
    }
    _, server = call(answers)
    form, as_json = server.requests[1], server.requests[2]
    assert form.method == "POST"
    assert form.header("content-type") == "application/x-www-form-urlencoded"
    assert form.url == f"{BASE}?token=T0K3N&step=form"
    assert as_json.header("content-type") == "application/json"
    assert json.loads(as_json.body)["Call-ID"] == "call-1@test"


def test_set_variables_travel_as_custom_application_vars() -> None:
    answers = {
        "start": chain(
            node("set_variables", {"custom_application_vars": {"session": "abc"}}),
            pivot_to("next", method="post", body_format="json"),
        ),
        "next": chain(
            node("set_variables", {"custom_application_vars": {"lang": "fr"}}), pivot_to("last")
        ),
        "last": node("hangup"),
    }
    transcript, server = call(answers)
    assert server.params(1)["Custom-Application-Vars"] == {"session": "abc"}
    assert server.params(2)["Custom-Application-Vars"] == {"session": "abc", "lang": "fr"}
    assert transcript.variables == {"session": "abc", "lang": "fr"}


def test_set_cid_and_language_change_later_requests() -> None:
    answers = {
        "start": chain(
            node("set_cid", {"caller_id_number": "+1999", "caller_id_name": "Front desk"}),
            node("language", {"language": "fr-ca"}),
            pivot_to("next"),
        ),
        "next": node("hangup"),
    }
    _, server = call(answers)
    params = server.params(1)
    assert (params["Caller-ID-Number"], params["Caller-ID-Name"]) == ("+1999", "Front desk")
    assert params["Language"] == "fr-ca"


# --- failures and fallbacks -------------------------------------------------------------


@pytest.mark.parametrize(
    "failure",
    [
        status(500),
        status(404),
        status(204, b""),
        TransportTimeout("slow"),
        TransportError("refused"),
    ],
    ids=["500", "404", "204", "timeout", "refused"],
)
def test_a_failed_request_takes_the_pivot_nodes_fallback(failure: Answer) -> None:
    answers = {
        "start": pivot_to("broken", k__=chain(node("tts", {"text": "Sorry."}), node("hangup"))),
        "broken": failure,
    }
    transcript, _ = call(answers)
    assert transcript.heard == ["Sorry."]
    assert [e.kind for e in transcript.events].count("fallback") == 1
    assert transcript.ending == "hangup"
    assert len(transcript.failures) == 1
    assert not transcript.ok  # the endpoint failed, even though Kazoo recovered


def test_a_failed_request_without_fallback_hangs_up() -> None:
    transcript, _ = call({"start": status(503)})
    assert transcript.ending == "failed"
    assert "no '_' child" in transcript.reason
    assert not transcript.ok


@pytest.mark.parametrize(
    ("answer", "expected"),
    [
        (WireAnswer(200, {"content-type": "application/json"}, b"", 1.0), "empty body"),
        (WireAnswer(200, {"content-type": "application/json"}, b"{nope", 1.0), "invalid JSON"),
        (WireAnswer(200, {}, b'{"module":"hangup","data":{}}', 1.0), "no Content-Type"),
        (WireAnswer(200, {"content-type": "text/xml"}, b"<Response/>", 1.0), "text/xml"),
        (WireAnswer(200, {"content-type": "application/json"}, b"[1]", 1.0), "not a callflow"),
    ],
)
def test_a_200_kazoo_cannot_use_ends_the_call_without_fallback(
    answer: WireAnswer, expected: str
) -> None:
    answers = {"start": pivot_to("bad", k__=node("tts", {"text": "never heard"})), "bad": answer}
    transcript, _ = call(answers)
    assert transcript.ending == "failed"
    assert expected in transcript.failures[0]
    assert "never heard" not in transcript.heard


def test_other_content_types_work_by_luck_and_count_as_failures() -> None:
    body = b'{"module":"tts","data":{"text":"still heard"}}'
    answers = {"start": WireAnswer(200, {"content-type": "text/plain"}, body, 1.0)}
    transcript, _ = call(answers)
    assert transcript.heard == ["still heard"]  # TwiML fails, then kazoo JSON runs it
    assert "send application/json" in transcript.failures[0]
    assert not transcript.ok


def test_a_schema_invalid_answer_is_dead_air_not_fallback() -> None:
    answers = {
        "start": pivot_to("bad", k__=node("tts", {"text": "never heard"})),
        "bad": node("say", {"text": "hello"}),
    }

    def validator(tree: Mapping[str, Any]) -> list[str]:
        return ["unknown module say"] if tree.get("module") == "say" else []

    transcript, _ = call(answers, validator=validator)
    assert transcript.ending == "failed"
    assert "dead air" in transcript.failures[0]
    assert transcript.events[-2].detail["errors"] == ["unknown module say"]
    assert transcript.heard == []


def test_every_answer_is_validated() -> None:
    seen: list[str] = []

    def validator(tree: Mapping[str, Any]) -> list[str]:
        seen.append(str(tree["module"]))
        return []

    call({"start": pivot_to("b"), "b": node("hangup")}, validator=validator)
    assert seen == ["pivot", "hangup"]


# --- walking nodes ----------------------------------------------------------------------


def test_flow_that_runs_out_of_children_hangs_up() -> None:
    transcript, _ = call({"start": node("tts", {"text": "Bye."})})
    assert transcript.heard == ["Bye."]
    assert transcript.ending == "hangup"
    assert "no child" in transcript.reason


def test_response_ends_the_call_with_its_code() -> None:
    transcript, _ = call({"start": node("response", {"code": 486, "message": "Busy"})})
    assert (transcript.ending, transcript.reason) == ("response", "response 486 Busy")


def test_play_and_tts_are_what_the_caller_hears() -> None:
    flow = chain(node("play", {"id": "media/welcome"}), node("tts", {"text": "Hi"}), node("hangup"))
    transcript, _ = call({"start": flow})
    assert transcript.heard == ["media/welcome", "Hi"]


@pytest.mark.parametrize(
    ("entry", "data", "stored"),
    [
        ("1234#", {"max_digits": 8}, "1234"),
        ("123456", {"max_digits": 4}, "1234"),
        ("12*3", {"max_digits": 8, "terminators": ["*"]}, "12"),
        ("9", {}, "9"),
        ("", {"max_digits": 4}, ""),
    ],
    ids=["terminator", "max-digits", "custom-terminator", "default-one-digit", "timeout"],
)
def test_collect_dtmf_stores_what_kazoo_would(
    entry: str, data: dict[str, Any], stored: str
) -> None:
    flow = chain(node("collect_dtmf", {"collection_name": "c", **data}), pivot_to("next"))
    _, server = call({"start": flow, "next": node("hangup")}, Script(digits=[entry]))
    assert server.params(1)["Digits"] == {"c": stored}


def test_unnamed_collection_is_default() -> None:
    flow = chain(node("collect_dtmf"), pivot_to("next"))
    _, server = call({"start": flow, "next": node("hangup")}, Script(digits=["5"]))
    assert server.params(1)["Digits"] == {"default": "5"}


def test_caller_hangs_up_when_the_script_runs_out() -> None:
    flow = chain(node("collect_dtmf", {"collection_name": "c"}), pivot_to("next"))
    transcript, server = call({"start": flow})
    assert transcript.ending == "caller_hangup"
    assert transcript.ok  # nothing went wrong on the endpoint's side
    assert len(server.requests) == 1


def test_interactive_prompt_answers_when_the_script_is_used_up() -> None:
    questions: list[str] = []

    def prompt(question: str) -> str | None:
        questions.append(question)
        return "7"

    flow = chain(node("collect_dtmf", {"collection_name": "c"}), pivot_to("next"))
    _, server = call({"start": flow, "next": node("hangup")}, Script(prompt=prompt))
    assert server.params(1)["Digits"] == {"c": "7"}
    assert "c" in questions[0]


@pytest.mark.parametrize(
    ("number", "regex", "heard"),
    [("+14155550123", "^\\+1415", "matched"), ("+442071234567", "^\\+1415", "other")],
)
def test_check_cid_matches_the_callers_number(number: str, regex: str, heard: str) -> None:
    flow = node(
        "check_cid",
        {"regex": regex},
        match=node("tts", {"text": "matched"}),
        nomatch=node("tts", {"text": "other"}),
    )
    transcript, _ = call({"start": flow}, caller=Caller(number=number))
    assert transcript.heard == [heard]


def test_branch_option_overrides_the_default_and_is_used_once_per_visit() -> None:
    fax = node("fax_detect", {}, ON_FAX=node("tts", {"text": "fax"}), ON_VOICE=pivot_to("again"))
    answers = {
        "start": fax,
        "again": node(
            "fax_detect",
            {},
            ON_FAX=node("tts", {"text": "fax"}),
            ON_VOICE=node("tts", {"text": "voice"}),
        ),
    }
    transcript, _ = call(answers, Script.parse(branches=["fax_detect=ON_VOICE,ON_FAX"]))
    assert transcript.heard == ["fax"]
    transcript, _ = call(answers)
    assert transcript.heard == ["voice"]  # default ON_VOICE both times


def test_menu_takes_the_pressed_key_or_timeout() -> None:
    menu = node(
        "menu",
        {"id": "m" * 32},
        k_1=node("tts", {"text": "one"}),
        timeout=node("tts", {"text": "nothing"}),
    )
    assert call({"start": menu}, Script(digits=["1"]))[0].heard == ["one"]
    assert call({"start": menu}, Script(digits=[""]))[0].heard == ["nothing"]


def test_missing_branch_key_falls_back_to_underscore() -> None:
    flow = node("cidlistmatch", {"id": "l" * 32}, k__=node("tts", {"text": "default"}))
    transcript, _ = call({"start": flow})
    assert transcript.heard == ["default"]


def test_skip_module_goes_straight_to_underscore() -> None:
    flow = chain(node("tts", {"text": "skipped", "skip_module": True}), node("tts", {"text": "x"}))
    assert call({"start": flow})[0].heard == ["x"]


def test_unsimulated_modules_continue_to_underscore() -> None:
    flow = chain(
        node("record_call", {"action": "start"}),
        node("manual_presence", {"presence_id": "p"}),
        node("tts", {"text": "after"}),
    )
    transcript, _ = call({"start": flow})
    assert transcript.heard == ["after"]
    assert [e.module for e in transcript.events if e.kind == "action"] == [
        "record_call",
        "manual_presence",
    ]


# --- bridging ---------------------------------------------------------------------------


def _bridge_flow(**children: Any) -> dict[str, Any]:
    return node("user", {"id": "u" * 32, "timeout": 20}, **children)


def test_answered_bridge_ends_the_simulation() -> None:
    transcript, _ = call({"start": _bridge_flow(k__=node("tts", {"text": "never"}))})
    assert transcript.ending == "bridged"
    assert transcript.heard == []


def test_failed_bridge_prefers_cause_then_sip_code_then_underscore() -> None:
    children = {
        "NO_ANSWER": node("tts", {"text": "cause"}),
        "sip:486": node("tts", {"text": "code"}),
        "_": node("tts", {"text": "default"}),
    }
    heard = [
        call({"start": _bridge_flow(**children)}, Script.parse(bridges=outcome))[0].heard
        for outcome in ("NO_ANSWER", "USER_BUSY", "CALL_REJECTED")
    ]
    assert heard == [["cause"], ["code"], ["default"]]


def test_bridge_outcomes_are_used_in_order_then_answer() -> None:
    flow = chain(
        node("device", {"id": "d" * 32, "timeout": 20}),
        node("voicemail", {"id": "v" * 32}),
    )
    transcript, _ = call({"start": flow}, Script.parse(bridges="NO_ANSWER"))
    outcomes = [e.detail["outcome"] for e in transcript.events if e.kind == "bridge"]
    assert outcomes == ["NO_ANSWER", "answer"]
    assert transcript.reason == f"connected to voicemail {'v' * 32}"


def test_failed_bridge_without_children_hangs_up() -> None:
    transcript, _ = call({"start": _bridge_flow()}, Script.parse(bridges="USER_BUSY"))
    assert transcript.ending == "hangup"


# --- guards and scripts -----------------------------------------------------------------


def test_loop_guard_stops_a_flow_that_pivots_forever() -> None:
    transcript, server = call({"start": pivot_to("start")}, limits=Limits(max_requests=5))
    assert transcript.ending == "loop_guard"
    assert len(server.requests) == 5
    assert not transcript.ok


def test_step_guard_stops_a_long_flow() -> None:
    flow = chain(*[node("tts", {"text": str(i)}) for i in range(20)])
    transcript, _ = call({"start": flow}, limits=Limits(max_steps=10))
    assert transcript.ending == "loop_guard"
    assert len(transcript.heard) == 10


@pytest.mark.parametrize(
    ("digits", "branches", "bridges"),
    [("12a", (), None), (None, ["menu"], None), (None, ["=1"], None), (None, (), "busy")],
)
def test_bad_scripts_are_refused(
    digits: str | None, branches: list[str], bridges: str | None
) -> None:
    with pytest.raises(ScriptError):
        Script.parse(digits, branches, bridges)


def test_script_parse_splits_entries_and_keeps_empty_ones() -> None:
    script = Script.parse(" 1234# ,,2", ["menu=1,2", "menu=3"], "NO_ANSWER,answer")
    assert script.digits == ["1234#", "", "2"]
    assert script.branches == {"menu": ["1", "2", "3"]}
    assert script.bridges == ["NO_ANSWER", "answer"]


def test_transcript_never_shows_the_token() -> None:
    answers = {"start": pivot_to("next"), "next": status(500)}
    transcript, _ = call(answers)
    text = transcript.render() + transcript.dumps()
    assert "T0K3N" not in text
    assert "token=***" in text


def test_failed_carrier_call_without_a_cause_child_stops_like_kazoo() -> None:
    # cf_resources never takes "_" after a failed bridge: Kazoo answers the failure.
    flow = {
        "module": "resources",
        "data": {"to_did": "+14155550100", "timeout": 30},
        "children": {"_": node("tts", {"text": "never heard"})},
    }
    transcript, _ = call({"start": flow}, Script.parse(bridges="NO_ANSWER"))
    assert transcript.ending == "failed"
    assert [e for e in transcript.events if e.kind == "say"] == []


def test_a_failed_conference_ends_the_flow_whatever_children_it_has() -> None:
    # cf_conference never runs a child (the builder refuses them); a hand-made tree that
    # has one must not make the virtual Kazoo walk into it.
    flow = node(
        "conference",
        {"id": "c" * 32},
        NO_ANSWER=node("tts", {"text": "never heard"}),
        k__=node("tts", {"text": "never heard either"}),
    )
    transcript, _ = call({"start": flow}, Script.parse(bridges="NO_ANSWER"))
    assert transcript.ending == "failed"
    assert transcript.heard == []


def test_a_mailbox_that_fails_continues_through_underscore_only() -> None:
    # voicemail follows "_" only: a cause-named child is never Kazoo's choice.
    flow = node(
        "voicemail",
        {"id": "v" * 32},
        NO_ANSWER=node("tts", {"text": "cause child"}),
        k__=node("tts", {"text": "after the mailbox"}),
    )
    transcript, _ = call({"start": flow}, Script.parse(bridges="NO_ANSWER"))
    assert transcript.heard == ["after the mailbox"]
