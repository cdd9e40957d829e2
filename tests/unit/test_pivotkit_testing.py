"""``pivotkit.testing``: a customer's test harness, tested on a small flow of its own."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from pivotkit import (
    Call,
    Customer,
    Flow,
    Node,
    conference,
    endpoint,
    hangup,
    raw,
    ring_group,
    tts,
    voicemail,
)
from pivotkit.local.schemas import schemas_root
from pivotkit.testing import NO_KEY, Caller, CallFailed, Harness, call

MAILBOX = "7a7a7a7a7a7a7a7a7a7a7a7a7a7a7a01"
AGENT = "7a7a7a7a7a7a7a7a7a7a7a7a7a7a7a02"
NEW_YEAR_UTC = datetime(2027, 1, 1, 0, 0, tzinfo=UTC)


def make_flow() -> Flow:
    flow = Flow()

    @flow.step()
    def start(call: Call) -> Node:
        who = call.request.caller_id_name or "stranger"
        vip = call.vars.get("vip") == "yes"
        greeting = tts(
            f"Hello {who}. It is {call.now():%H:%M} UTC." + (" Welcome back." if vip else "")
        )
        return call.gather("choice", prompt=greeting.then(tts("Press 1, 2, 3 or 4.")))

    @flow.step(sensitive=False)
    def choice(call: Call) -> Node:
        call.state["choice"] = call.digits
        if call.digits == NO_KEY:
            return tts("No choice.").then(voicemail(MAILBOX))
        if call.digits == "1":
            return ring_group([endpoint("user", AGENT)], timeout=20).then(voicemail(MAILBOX))
        if call.digits == "2":
            return conference(config={"name": f"room-{call.request.account_id[:4]}"})
        if call.digits == "3":
            raise RuntimeError("the booking service is down")  # a 500: Kazoo falls back
        if call.digits == "4":
            return raw("tts", {})  # no text: a callflow Kazoo's schemas refuse
        return tts("Goodbye.").then(hangup())

    return flow


customer = Customer(slug="harness_demo", flow=make_flow())
needs_schemas = pytest.mark.skipif(schemas_root() is None, reason="Kazoo schemas not available")


def test_what_the_caller_hears_comes_from_the_caller_details_and_the_clock() -> None:
    caller = Caller(number="+13125550100", name="Ada", custom_vars={"vip": "yes"})
    result = call(customer, now=NEW_YEAR_UTC, caller=caller, digits=["9"])
    assert result.said == [
        "Hello Ada. It is 00:00 UTC. Welcome back.",
        "Press 1, 2, 3 or 4.",
        "Goodbye.",
    ]
    assert result.heard == result.said  # nothing was played
    result.assert_heard("Welcome back")
    result.assert_not_heard("No choice")
    result.assert_hangup()
    assert [r.step for r in result.requests] == ["start", "choice"]
    assert result.requests[1].digits == {"choice_1": "9"}
    assert result.requests[0].variables == {"vip": "yes"}


def test_now_takes_iso_text_with_an_offset_and_refuses_a_naive_time() -> None:
    result = call(customer, now="2026-12-31T18:00-06:00", digits=["9"])
    result.assert_heard("It is 00:00 UTC.")
    with pytest.raises(ValueError, match="aware datetime"):
        call(customer, now=datetime(2027, 1, 1))
    with pytest.raises(ValueError, match="no UTC offset"):
        call(customer, now="2027-01-01T00:00")


def test_no_key_is_a_timeout_and_the_call_goes_to_voicemail() -> None:
    result = call(customer, digits=[NO_KEY])
    result.assert_heard("No choice.")
    result.assert_voicemail(MAILBOX)
    assert result.state == {"choice": ""}
    assert result.ending == "bridged"


def test_bridges_are_scripted_and_reported_in_order() -> None:
    result = call(customer, digits=["1"], bridges=["NO_ANSWER"])
    assert [(b.module, b.target, b.outcome) for b in result.bridges] == [
        ("ring_group", f"[user:{AGENT}]", "NO_ANSWER"),
        ("voicemail", MAILBOX, "answer"),
    ]
    assert result.connected_to == result.bridges[-1]
    assert result.answered("ring_group") == [
        {"endpoints": [{"endpoint_type": "user", "id": AGENT}], "timeout": 20}
    ]


def test_a_conference_by_name_and_the_account_it_came_from() -> None:
    result = call(customer, caller=Caller(account_id="beef" + "0" * 28), digits=["2"])
    result.assert_conference("room-beef")


def test_assertions_say_what_was_expected_and_show_the_call() -> None:
    result = call(customer, digits=[NO_KEY])
    with pytest.raises(AssertionError) as wrong:
        result.assert_connected("user", AGENT)
    message = str(wrong.value)
    assert message.startswith(f"expected the call to reach user {AGENT}; it reached voicemail")
    assert "says: No choice." in message  # the transcript follows
    with pytest.raises(AssertionError, match="the caller never heard 'Goodbye'"):
        result.assert_heard("Goodbye")
    with pytest.raises(AssertionError, match="expected a hangup; the call ended bridged"):
        result.assert_hangup()
    with pytest.raises(AssertionError, match="expected Kazoo to take a fallback"):
        result.assert_fallback()


def test_a_failing_step_fails_the_test_unless_a_fallback_is_what_it_tests() -> None:
    with pytest.raises(CallFailed, match="answered 500, not 200"):
        call(customer, digits=["3"])
    result = call(customer, digits=["3"], allow_failures=True)
    result.assert_fallback()
    result.assert_heard(customer.fallback_message)
    result.assert_hangup()  # the customer's fallback target


def test_a_refused_first_request_is_a_result_when_failures_are_allowed() -> None:
    guarded = Customer(
        slug="harness_demo", flow=make_flow(), allowed_account_ids=frozenset({"a" * 32})
    )
    with pytest.raises(CallFailed, match="answered 403, not 200"):
        call(guarded)
    result = call(guarded, allow_failures=True)
    assert result.ending == "failed"  # Kazoo's own pivot node has no fallback: hangup
    assert result.failures == ["answered 403, not 200"]
    assert result.heard == []


@needs_schemas
def test_an_answer_kazoo_refuses_fails_even_when_failures_are_allowed() -> None:
    with pytest.raises(CallFailed, match=r"schema-invalid callflow.*'text' is a required"):
        call(customer, digits=["4"], allow_failures=True)


def test_without_schemas_the_check_is_skipped_and_says_so(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("KAZOO_SCHEMAS", str(tmp_path / "nowhere"))
    result = call(customer, digits=["4"])  # Kazoo would refuse it; nothing here can tell
    assert result.validation.startswith("skipped: Kazoo schemas not found")


@needs_schemas
def test_with_schemas_the_result_names_them() -> None:
    assert call(customer, digits=["9"]).validation.startswith("Kazoo ")


def test_a_harness_keeps_one_clock_and_one_store_across_calls() -> None:
    harness = Harness(customer, now=NEW_YEAR_UTC)
    first = harness.call(digits=["9"])
    harness.advance(timedelta(hours=1, minutes=30))
    second = harness.call(digits=[NO_KEY])
    first.assert_heard("It is 00:00 UTC.")
    second.assert_heard("It is 01:30 UTC.")
    assert harness.now == NEW_YEAR_UTC + timedelta(hours=1, minutes=30)
    assert (first.state, second.state) == ({"choice": "9"}, {"choice": ""})  # two calls
    harness.now = "2027-06-01T12:00Z"
    harness.call(digits=["9"]).assert_heard("It is 12:00 UTC.")


def test_without_now_steps_see_the_system_clock() -> None:
    before = datetime.now(UTC).replace(second=0, microsecond=0)
    heard = call(customer, digits=["9"]).said[0]
    after = datetime.now(UTC)
    assert any(f"It is {t:%H:%M} UTC." in heard for t in (before, after))


def test_digits_are_checked_before_the_call() -> None:
    with pytest.raises(ValueError, match="only 0-9, \\* and # can be pressed"):
        call(customer, digits=["1a"])


def test_when_the_digits_run_out_the_caller_hangs_up() -> None:
    result = call(customer)
    assert result.ending == "caller_hangup"
    assert len(result.requests) == 1
