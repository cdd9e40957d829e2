"""frontdesk: the features and the miscellaneous modules, on the main and staff lines."""

from __future__ import annotations

import pytest

from customers.frontdesk import CRM_WEBHOOK, FEATURES, REMOTE_ACCESS_PIN, ids
from tests.examples.support import answered, bridges, cli_call, ran, said

STAFF_USER = "5f5f5f5f5f5f5f5f5f5f5f5f5f5f5f5f"


def test_an_outside_call_is_announced_to_the_crm_then_checked_for_fax(
    capsys: pytest.CaptureFixture[str],
) -> None:
    transcript = cli_call(capsys, "frontdesk", "--branch", "menu=0")
    (hook,) = answered(transcript, "webhook")
    assert hook == {
        "uri": CRM_WEBHOOK,
        "http_verb": "post",
        "retries": 2,
        "custom_data": {"line": "main"},
    }
    assert [e["text"] for e in ran(transcript, "branch")] == [
        "fax_detect -> ON_VOICE (default)",
        f"menu {ids.MAIN_MENU} -> 0",
    ]
    assert bridges(transcript) == [f"device {ids.RECEPTION_PHONE}: answered"]


def test_a_fax_machine_reaches_the_fax_box(capsys: pytest.CaptureFixture[str]) -> None:
    transcript = cli_call(capsys, "frontdesk", "--branch", "fax_detect=ON_FAX")
    assert bridges(transcript) == [f"faxbox {ids.FAXBOX}: answered"]


@pytest.mark.parametrize(
    ("key", "module"),
    [("1", "directory"), ("9", "disa"), ("timeout", "device"), ("max_retries", "device")],
)
def test_the_stored_menus_branches(
    capsys: pytest.CaptureFixture[str], key: str, module: str
) -> None:
    transcript = cli_call(capsys, "frontdesk", "--branch", f"menu={key}")
    last = transcript["events"][-2]
    assert last["module"] == module, last


def test_remote_staff_get_a_dial_tone_after_the_pin(capsys: pytest.CaptureFixture[str]) -> None:
    transcript = cli_call(capsys, "frontdesk", "--branch", "menu=9")
    (access,) = answered(transcript, "disa")
    assert access == {"pin": REMOTE_ACCESS_PIN, "max_digits": 15, "preconnect_audio": "dialtone"}


def test_sales_unanswered_falls_back_to_reception(capsys: pytest.CaptureFixture[str]) -> None:
    transcript = cli_call(capsys, "frontdesk", "--branch", "menu=2", "--bridge", "NO_ANSWER")
    assert bridges(transcript) == [
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
def test_staff_phones_get_the_feature_menu(capsys: pytest.CaptureFixture[str], key: str) -> None:
    transcript = cli_call(capsys, "frontdesk", "--user-id", STAFF_USER, "--digits", key)
    label, _ = FEATURES[key]
    assert f"To {label}, press {key}." in transcript["heard"][0]
    module, data = EXPECTED_FEATURES[key]
    assert answered(transcript, module) == [data]
    assert not answered(transcript, "webhook")  # staff calls are not CRM events


def test_staff_pressing_nothing_hear_goodbye(capsys: pytest.CaptureFixture[str]) -> None:
    transcript = cli_call(capsys, "frontdesk", "--user-id", STAFF_USER, "--digits", "8,")
    assert "That is not a feature." in said(transcript)
    assert transcript["heard"][-1] == "Goodbye."


@pytest.mark.parametrize("key", sorted(FEATURES))
def test_a_staff_phone_dialling_a_feature_code_gets_it_in_the_first_answer(
    capsys: pytest.CaptureFixture[str], key: str
) -> None:
    transcript = cli_call(capsys, "frontdesk", "--user-id", STAFF_USER, "--dialled", f"*8{key}")
    module, data = EXPECTED_FEATURES[key]
    assert transcript["requests"] == 1
    assert answered(transcript, module) == [data]
    assert transcript["heard"] == []  # no menu read out first


@pytest.mark.parametrize(
    ("options", "first_module"),
    [
        (["--user-id", STAFF_USER, "--dialled", "*89", "--digits", ""], "tts"),  # no such code
        (["--user-id", STAFF_USER, "--dialled", "83", "--digits", ""], "tts"),  # no star
        (["--dialled", "*83", "--branch", "menu=0"], "webhook"),  # not a staff phone
    ],
)
def test_only_a_staff_phone_dialling_a_known_code_skips_the_menu(
    capsys: pytest.CaptureFixture[str], options: list[str], first_module: str
) -> None:
    transcript = cli_call(capsys, "frontdesk", *options)
    first_answer = next(e for e in transcript["events"] if e["kind"] == "answer")
    assert first_answer["callflow"]["module"] == first_module
    assert not answered(transcript, "eavesdrop")


def test_voice_calls_on_the_main_line_are_recorded_before_the_menu(
    capsys: pytest.CaptureFixture[str],
) -> None:
    transcript = cli_call(capsys, "frontdesk", "--branch", "menu=0")
    (recording,) = answered(transcript, "record_call")
    assert recording["action"] == "start"
    assert recording["url"].startswith("https://pivotkit.local/media/frontdesk/recordings?token=")
    modules = [e.get("module") for e in transcript["events"] if e["kind"] in ("action", "branch")]
    assert modules.index("record_call") < modules.index("menu")
