"""switchboard: each extension reaches its target; busy and unanswered calls reach a mailbox."""

from __future__ import annotations

import pytest

from examples.switchboard import area_code, customer, ids
from pivotkit.testing import NO_KEY, Caller, call


@pytest.mark.parametrize(
    ("extension", "target"),
    [
        ("101", f"device {ids.RECEPTION_PHONE}"),
        ("102", f"user {ids.MANAGER}"),
        ("200", "ring_group [device:"),
        ("300", f"ring_group [user:{ids.SUPPORT_AGENTS[0]}"),
        ("400", f"group {ids.BILLING_GROUP}"),
        ("500", f"conference {ids.ALL_HANDS_CONFERENCE}"),
        ("600", f"resources {ids.HEAD_OFFICE}"),
        ("601", f"resources {ids.ON_CALL_MOBILE}"),
        ("800", f"faxbox {ids.FAXBOX}"),
        ("900", f"voicemail {ids.GENERAL_MAILBOX}"),
    ],
)
def test_an_extension_connects_the_caller(extension: str, target: str) -> None:
    result = call(customer, digits=[extension])
    assert result.ending == "bridged"
    assert result.bridges[-1].text.startswith(target)


@pytest.mark.parametrize(
    ("extension", "outcome", "mailbox"),
    [
        ("101", "NO_ANSWER", ids.RECEPTION_MAILBOX),
        ("102", "USER_BUSY", ids.MANAGER_MAILBOX),
        ("200", "NO_ANSWER", ids.SALES_MAILBOX),
        ("300", "USER_BUSY", ids.SUPPORT_MAILBOX),
        ("400", "NO_ANSWER", ids.BILLING_MAILBOX),
        ("600", "USER_BUSY", ids.GENERAL_MAILBOX),
        ("601", "NO_ANSWER", ids.GENERAL_MAILBOX),
        ("101", "USER_NOT_REGISTERED", ids.RECEPTION_MAILBOX),  # the "_" child
    ],
)
def test_busy_or_unanswered_goes_to_the_mailbox(extension: str, outcome: str, mailbox: str) -> None:
    result = call(customer, digits=[extension], bridges=[outcome, "answer"])
    assert result.bridges[-1].text == f"voicemail {mailbox}: answered"
    result.assert_voicemail(mailbox)
    if outcome == "USER_BUSY":
        result.assert_heard("The line is busy.")
    else:
        result.assert_not_heard("The line is busy.")


@pytest.mark.parametrize(
    ("extension", "number", "local"),
    [("600", ids.HEAD_OFFICE, True), ("601", ids.ON_CALL_MOBILE, False)],
)
def test_outside_lines_use_local_or_global_carriers_and_name_each_failure(
    extension: str, number: str, local: bool
) -> None:
    result = call(customer, digits=[extension])
    (data,) = result.answered("resources")
    assert data == {"to_did": number, "use_local_resources": local, "timeout": 20}
    # resources never falls back to "_": the mailbox hangs under each named cause.
    answer = result.answers[-1]
    assert answer["module"] == "resources"
    assert sorted(answer["children"]) == ["NO_ANSWER", "USER_BUSY"]


def test_the_regional_bridge_is_named_after_the_callers_area_code() -> None:
    result = call(customer, digits=["501"], caller=Caller(number="+1 (872) 555-0144"))
    result.assert_heard("Joining the bridge for area code 8 7 2.")
    assert result.bridges[-1].text == "conference 'region-872': answered"
    result.assert_conference("region-872")


def test_a_hidden_number_cannot_choose_a_region() -> None:
    result = call(customer, digits=["501"], caller=Caller(number="anonymous"))
    result.assert_heard("Your area code is hidden")
    result.assert_connected("device", ids.RECEPTION_PHONE)


def test_three_wrong_extensions_reach_reception() -> None:
    result = call(customer, digits=["777", NO_KEY, "123"])
    result.assert_heard("There is no extension 7 7 7.")
    result.assert_not_heard("There is no extension 1 2 3.")  # the third miss transfers at once
    result.assert_heard("Let me put you through to reception.")
    result.assert_connected("device", ids.RECEPTION_PHONE)


def test_the_extension_list_is_read_out_then_the_caller_dials() -> None:
    result = call(customer, digits=["100", "102"], method="post")
    result.assert_heard("1 0 2, the manager.")
    result.assert_connected("user", ids.MANAGER)
    assert result.requests[0].method == "post"


@pytest.mark.parametrize(
    ("number", "code"),
    [("+13125550100", "312"), ("13125550100", "312"), ("(312) 555-0100", "312"),
     ("+442071234567", None), ("5550100", None), (None, None), ("anonymous", None)],
)  # fmt: skip
def test_area_code(number: str | None, code: str | None) -> None:
    assert area_code(number) == code
