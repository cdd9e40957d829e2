"""PivotRequest: typed names over Kazoo's wire parameters."""

from __future__ import annotations

import dataclasses
from typing import Any

import pytest

from pivotkit.errors import NotAPivotRequest
from pivotkit.request import MAX_CALL_ID_LENGTH, WIRE_NAMES, PivotRequest, parse_params

ACCOUNT = "3a1f0e2d4c5b6a7980f1e2d3c4b5a697"
CALL = "5f3c2a1b7d6e4f809a1b2c3d4e5f6a7b@10.0.0.5"

# The follow-up request after a collect_dtmf and a set_variables, as Kazoo writes it.
FOLLOW_UP = (
    f"Account-ID={ACCOUNT}&Api-Version=4.x&Call-ID=5f3c2a1b7d6e4f809a1b2c3d4e5f6a7b%4010.0.0.5"
    "&Caller-ID-Name=John+Smith&Caller-ID-Number=%2B14155550123"
    "&Custom-Application-Vars[session]=abc&&Digits[menu_choice]=1&Direction=inbound"
    "&From=%2B14155550123&From-Realm=203.0.113.10&Language=en-us&Request=%2B14155550199"
    "&Request-Realm=10.0.0.5&To=%2B14155550199&To-Realm=10.0.0.5"
)


def request(**params: Any) -> PivotRequest:
    return PivotRequest.from_params({"Account-ID": ACCOUNT, "Call-ID": CALL, **params})


def test_every_kazoo_field_has_its_wire_name() -> None:
    decoded = PivotRequest.from_params(parse_params(FOLLOW_UP))
    assert decoded.account_id == ACCOUNT
    assert decoded.call_id == CALL
    assert decoded.api_version == "4.x"
    assert decoded.caller_id_name == "John Smith"
    assert decoded.caller_id_number == "+14155550123"
    assert decoded.direction == "inbound"
    assert (decoded.from_, decoded.from_realm) == ("+14155550123", "203.0.113.10")
    assert (decoded.to, decoded.to_realm) == ("+14155550199", "10.0.0.5")
    assert (decoded.request, decoded.request_realm) == ("+14155550199", "10.0.0.5")
    assert decoded.language == "en-us"
    assert decoded.custom_application_vars == {"session": "abc"}
    assert decoded.custom_sip_headers == {}
    assert decoded.collections == {"menu_choice": "1"}
    assert decoded.user_ids == ()
    assert decoded.call_status is None
    assert decoded.recording_url is None


def test_twiml_only_fields_are_read_when_present() -> None:
    decoded = request(
        **{
            "Call-Status": "in-progress",
            "Recording-Url": "http://r/1.mp3",
            "Recording-Duration": "12",
            "Recording-ID": "r1",
            "Transcription-ID": "t1",
            "Transcription-Status": "completed",
            "Transcription-Text": "hello",
            "Transcription-Url": "http://t/1",
        }
    )
    assert decoded.call_status == "in-progress"
    assert (decoded.recording_url, decoded.recording_duration, decoded.recording_id) == (
        "http://r/1.mp3",
        "12",
        "r1",
    )
    assert (decoded.transcription_id, decoded.transcription_status) == ("t1", "completed")
    assert (decoded.transcription_text, decoded.transcription_url) == ("hello", "http://t/1")


def test_construction_by_field_name_works_too() -> None:
    built = PivotRequest(account_id=ACCOUNT, call_id=CALL, from_="+1", user_ids=("u",))
    assert built.from_ == "+1"
    # raw is what arrived on the wire; it takes no part in comparing requests.
    assert built == request(From="+1", **{"User-ID": "u"})


def test_user_id_is_always_a_tuple() -> None:
    assert request(**{"User-ID": "owner1"}).user_ids == ("owner1",)
    assert request(**{"User-ID": ["a", "b"]}).user_ids == ("a", "b")
    assert request().user_ids == ()


def test_digits_by_collection() -> None:
    decoded = request(Digits={"menu": "2", "pin": ""})
    assert decoded.digits("menu") == "2"
    assert decoded.digits("pin") == ""  # the caller pressed nothing
    assert decoded.digits("other") is None  # never collected
    assert decoded.digits() is None


def test_legacy_plain_digits_is_the_default_collection() -> None:
    decoded = request(Digits="12")
    assert decoded.collections == {"default": "12"}
    assert decoded.digits() == "12"


def test_json_custom_vars_keep_their_json_types() -> None:
    decoded = request(**{"Custom-Application-Vars": {"n": 3, "ok": True, "l": [1, "a"]}})
    assert decoded.custom_application_vars == {"n": 3, "ok": True, "l": [1, "a"]}


def test_unknown_and_continuation_parameters_stay_in_raw_only() -> None:
    params = parse_params(f"token=S3CR3T&step=menu&seq=3&hop=2&g=menu_2&{FOLLOW_UP}&X-New=1")
    decoded = PivotRequest.from_params(params)
    assert decoded.raw == params
    assert decoded.raw["token"] == "S3CR3T"
    assert decoded.raw["X-New"] == "1"
    fields = {name: getattr(decoded, name) for name in WIRE_NAMES}
    assert "S3CR3T" not in fields.values()


def test_a_parameter_named_raw_does_not_replace_raw() -> None:
    decoded = request(raw="sneaky")
    assert decoded.raw["raw"] == "sneaky"
    assert decoded.raw["Account-ID"] == ACCOUNT


def test_it_is_frozen() -> None:
    decoded = request()
    with pytest.raises(dataclasses.FrozenInstanceError):
        decoded.call_id = "other"  # type: ignore[misc]


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({}, "missing Account-ID, Call-ID"),
        ({"Call-ID": CALL}, "missing Account-ID"),
        ({"Account-ID": ACCOUNT}, "missing Call-ID"),
        ({"Account-ID": "", "Call-ID": CALL}, "Account-ID is not a Kazoo account id"),
        ({"Account-ID": ACCOUNT.upper(), "Call-ID": CALL}, "Account-ID is not a Kazoo account id"),
        ({"Account-ID": ACCOUNT[:-1], "Call-ID": CALL}, "Account-ID is not a Kazoo account id"),
        ({"Account-ID": ACCOUNT + "0", "Call-ID": CALL}, "Account-ID is not a Kazoo account id"),
        ({"Account-ID": [ACCOUNT], "Call-ID": CALL}, "Account-ID is not a Kazoo account id"),
        ({"Account-ID": ACCOUNT, "Call-ID": ""}, "Call-ID must be a string"),
        ({"Account-ID": ACCOUNT, "Call-ID": {"a": "b"}}, "Call-ID must be a string"),
        (
            {"Account-ID": ACCOUNT, "Call-ID": "x" * (MAX_CALL_ID_LENGTH + 1)},
            "Call-ID must be a string",
        ),
    ],
)
def test_not_a_pivot_request_names_what_is_wrong(params: dict[str, Any], message: str) -> None:
    with pytest.raises(NotAPivotRequest, match=message):
        PivotRequest.from_params(params)


@pytest.mark.parametrize(
    ("params", "wire_name"),
    [
        ({"From": {"x": "1"}}, "From"),
        ({"Digits": {"menu": {"deeper": "1"}}}, "Digits"),
        ({"Digits": {"menu": 1}}, "Digits"),
        ({"User-ID": {"a": "b"}}, "User-ID"),
        ({"Caller-ID-Number": 14155550123}, "Caller-ID-Number"),
        ({"Custom-Application-Vars": "flat"}, "Custom-Application-Vars"),
    ],
)
def test_wrong_shapes_name_the_parameter(params: dict[str, Any], wire_name: str) -> None:
    with pytest.raises(NotAPivotRequest, match=f"^{wire_name} has the wrong shape$"):
        request(**params)


def test_error_messages_do_not_echo_the_input() -> None:
    with pytest.raises(NotAPivotRequest) as caught:
        PivotRequest.from_params({"Account-ID": "<evil>", "Call-ID": CALL})
    assert "<evil>" not in caught.value.message
