"""frontdesk: the features and the miscellaneous modules, on the main and staff lines."""

from __future__ import annotations

import pytest

from examples.frontdesk import CRM_WEBHOOK, FEATURES, REMOTE_ACCESS_PIN, customer, ids
from pivotkit.testing import NO_KEY, Caller, call

STAFF = Caller(user_ids=("5f5f5f5f5f5f5f5f5f5f5f5f5f5f5f5f",))


def test_an_outside_call_is_announced_to_the_crm_then_checked_for_fax() -> None:
    result = call(customer, branches={"menu": ["0"]})
    (hook,) = result.answered("webhook")
    assert hook == {
        "uri": CRM_WEBHOOK,
        "http_verb": "post",
        "retries": 2,
        "custom_data": {"line": "main"},
    }
    assert [b.text for b in result.branches] == [
        "fax_detect -> ON_VOICE (default)",
        f"menu {ids.MAIN_MENU} -> 0",
    ]
    assert [b.text for b in result.bridges] == [f"device {ids.RECEPTION_PHONE}: answered"]


def test_a_fax_machine_reaches_the_fax_box() -> None:
    result = call(customer, branches={"fax_detect": ["ON_FAX"]})
    assert [b.text for b in result.bridges] == [f"faxbox {ids.FAXBOX}: answered"]


@pytest.mark.parametrize(
    ("key", "module"),
    [("1", "directory"), ("9", "disa"), ("timeout", "device"), ("max_retries", "device")],
)
def test_the_stored_menus_branches(key: str, module: str) -> None:
    result = call(customer, branches={"menu": [key]})
    assert result.modules[-1] == module, result.render()


def test_remote_staff_get_a_dial_tone_after_the_pin() -> None:
    result = call(customer, branches={"menu": ["9"]})
    (access,) = result.answered("disa")
    assert access == {"pin": REMOTE_ACCESS_PIN, "max_digits": 15, "preconnect_audio": "dialtone"}


def test_sales_unanswered_falls_back_to_reception() -> None:
    result = call(customer, branches={"menu": ["2"]}, bridges=["NO_ANSWER"])
    assert [b.text for b in result.bridges] == [
        f"group {ids.SALES}: NO_ANSWER (480) -> child '_'",
        f"device {ids.RECEPTION_PHONE}: answered",
    ]


EXPECTED_FEATURES = {
    "1": ("group_pickup", {"group_id": ids.SALES, "approved_group_id": ids.STAFF}),
    "2": ("intercept", {"device_id": ids.RECEPTION_PHONE, "approved_group_id": ids.STAFF}),
    "3": ("eavesdrop", {"device_id": ids.RECEPTION_PHONE, "approved_group_id": ids.SUPERVISORS}),
    "4": (
        "page_group",
        {
            "endpoints": [{"endpoint_type": "device", "id": ids.OVERHEAD_SPEAKERS}],
            "audio": "one-way",
            "timeout": 20,
        },
    ),
    "5": ("hotdesk", {"action": "toggle"}),
    "6": ("call_forward", {"action": "toggle"}),
    "7": ("do_not_disturb", {"action": "toggle"}),
}


@pytest.mark.parametrize("key", sorted(FEATURES))
def test_staff_phones_get_the_feature_menu(key: str) -> None:
    result = call(customer, caller=STAFF, digits=[key])
    label, _ = FEATURES[key]
    assert f"To {label}, press {key}." in result.heard[0]
    module, data = EXPECTED_FEATURES[key]
    assert result.answered(module) == [data]
    assert not result.answered("webhook")  # staff calls are not CRM events


def test_staff_pressing_nothing_hear_goodbye() -> None:
    result = call(customer, caller=STAFF, digits=["8", NO_KEY])
    result.assert_heard("That is not a feature.")
    assert result.heard[-1] == "Goodbye."


@pytest.mark.parametrize("key", sorted(FEATURES))
def test_a_staff_phone_dialling_a_feature_code_gets_it_in_the_first_answer(key: str) -> None:
    result = call(customer, caller=Caller(user_ids=STAFF.user_ids, dialled=f"*8{key}"))
    module, data = EXPECTED_FEATURES[key]
    assert len(result.requests) == 1
    assert result.answered(module) == [data]
    assert result.heard == []  # no menu read out first


@pytest.mark.parametrize(
    ("caller", "first_module"),
    [
        (Caller(user_ids=STAFF.user_ids, dialled="*89"), "tts"),  # no such code
        (Caller(user_ids=STAFF.user_ids, dialled="83"), "tts"),  # no star
        (Caller(dialled="*83"), "webhook"),  # not a staff phone
    ],
)
def test_only_a_staff_phone_dialling_a_known_code_skips_the_menu(
    caller: Caller, first_module: str
) -> None:
    result = call(customer, caller=caller, digits=[NO_KEY], branches={"menu": ["0"]})
    assert result.answers[0]["module"] == first_module
    assert not result.answered("eavesdrop")


def test_voice_calls_on_the_main_line_are_recorded_before_the_menu() -> None:
    result = call(customer, branches={"menu": ["0"]})
    (recording,) = result.answered("record_call")
    assert recording["action"] == "start"
    assert recording["url"].startswith(
        "https://pivot.test.invalid/media/frontdesk/recordings?token="
    )
    assert result.modules.index("record_call") < result.modules.index("menu")
