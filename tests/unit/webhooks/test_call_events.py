"""Decoding Kazoo's call webhooks: each kind of event, each way Kazoo sends it."""

from __future__ import annotations

import json

import pytest

from pivotkit.call_events import (
    CALL_EVENT_KINDS,
    CHANNEL_ANSWER,
    CHANNEL_CREATE,
    CHANNEL_DESTROY,
    decode_call_event,
)
from pivotkit.errors import MethodNotAllowed, NotACallEvent, UnsupportedMediaType
from pivotkit.http import HttpRequest
from pivotkit.local.kazoo_webhooks import channel_event, webhook_request

ACCOUNT = "4a6b8c0d2e4f60718293a4b5c6d7e8f9"
CALL = "3c1a9e0b-77f2-4d7e-9a51-0e2b6c5d4f10@198.51.100.20"
AT = 1_764_000_000.0  # a Unix time; Kazoo sends it as Gregorian seconds
URI = "https://fn.example.net/hooks/acme?token=t0k3n"
WAYS = [("get", "form-data"), ("post", "form-data"), ("post", "json"), ("put", "json")]


def http(fields: dict[str, object], verb: str, body_format: str) -> HttpRequest:
    sent = webhook_request(fields, URI, http_verb=verb, body_format=body_format)  # type: ignore[arg-type]
    path, _, query = sent.url.removeprefix("https://fn.example.net").partition("?")
    return HttpRequest(
        method=sent.method,
        path=path,
        raw_query=query,
        headers={name.lower(): value for name, value in sent.headers},
        body=sent.body,
    )


@pytest.mark.parametrize(("verb", "body_format"), WAYS)
def test_a_destroy_says_how_and_when_the_call_ended(verb: str, body_format: str) -> None:
    fields = channel_event(
        CHANNEL_DESTROY,
        call_id=CALL,
        account_id=ACCOUNT,
        at=AT,
        hangup_cause="ORIGINATOR_CANCEL",
        hangup_code="sip:487",
        duration_seconds=95,
        billing_seconds=88,
        ringing_seconds=7,
    )
    event = decode_call_event(http(fields, verb, body_format))
    assert event.kind == CHANNEL_DESTROY
    assert event.ended and event.answered is True
    assert (event.call_id, event.account_id) == (CALL, ACCOUNT)
    assert event.at == AT
    assert (event.hangup_cause, event.hangup_code) == ("ORIGINATOR_CANCEL", "sip:487")
    assert (event.duration_seconds, event.billing_seconds, event.ringing_seconds) == (95, 88, 7)
    assert event.direction == "inbound"
    assert event.caller_id_number == "+15551230001"
    assert event.is_internal_leg is False
    assert event.hook_id == "0f0e0d0c0b0a09080706050403020100"
    assert "token" not in event.raw  # ours, not Kazoo's: never handed to a hook


@pytest.mark.parametrize(("verb", "body_format"), WAYS)
@pytest.mark.parametrize("kind", [CHANNEL_CREATE, CHANNEL_ANSWER])
def test_create_and_answer_carry_no_hangup(kind: str, verb: str, body_format: str) -> None:
    fields = channel_event(kind, call_id=CALL, account_id=ACCOUNT, at=AT)
    event = decode_call_event(http(fields, verb, body_format))
    assert event.kind == kind and not event.ended
    assert event.hangup_cause is None and event.duration_seconds is None
    assert event.answered is None
    assert event.at == AT


def test_a_leg_the_call_rang_names_the_callers_leg() -> None:
    fields = channel_event(
        CHANNEL_DESTROY,
        call_id="b-leg-1",
        account_id=ACCOUNT,
        at=AT,
        direction="outbound",
        other_leg_call_id=CALL,
        hangup_cause="NO_ANSWER",
        hangup_code="sip:480",
        duration_seconds=20,
        ringing_seconds=20,
    )
    event = decode_call_event(http(fields, "post", "form-data"))
    assert (event.direction, event.other_leg_call_id) == ("outbound", CALL)
    assert event.answered is False


def test_custom_data_arrives_merged_at_the_top() -> None:
    fields = channel_event(
        CHANNEL_DESTROY, call_id=CALL, account_id=ACCOUNT, at=AT, custom_data={"site": "lyon"}
    )
    event = decode_call_event(http(fields, "post", "json"))
    assert event.raw["site"] == "lyon"


def test_objects_and_text_from_the_callers_side() -> None:
    fields = channel_event(CHANNEL_DESTROY, call_id=CALL, account_id=ACCOUNT, at=AT)
    fields["custom_channel_vars"] = {"Queue-Slot": "3"}
    fields["caller_id_name"] = "Zoë & Co"
    event = decode_call_event(http(fields, "get", "form-data"))
    assert event.custom_channel_vars == {"Queue-Slot": "3"}
    assert event.caller_id_name == "Zoë & Co"
    # A Latin-1 caller name (Kazoo passes bytes on as they are) is text, not a refusal.
    latin = http(fields, "post", "form-data")
    body = latin.body.replace(b"Zo%C3%AB", b"Zo%EB")
    event = decode_call_event(
        HttpRequest(latin.method, latin.path, latin.raw_query, latin.headers, body)
    )
    assert event.caller_id_name == "Zoë & Co"


def test_every_kind_is_a_channel_event() -> None:
    assert all(kind.startswith("channel_") for kind in CALL_EVENT_KINDS)


def _post_json(payload: object) -> HttpRequest:
    return HttpRequest(
        "POST",
        "/hooks/acme",
        "token=t",
        {"content-type": "application/json"},
        json.dumps(payload).encode(),
    )


@pytest.mark.parametrize(
    ("change", "named"),
    [
        ({"hook_event": "notifications"}, "hook_event"),
        ({"hook_event": None}, "hook_event"),
        ({"call_id": None}, "call_id"),
        ({"call_id": ""}, "call_id"),
        ({"call_id": "x" * 513}, "call_id"),
        ({"account_id": "ACME"}, "account_id"),
        ({"account_id": None}, "account_id"),
        ({"duration_seconds": "six"}, "duration_seconds"),
        ({"duration_seconds": -1}, "duration_seconds"),
        ({"billing_seconds": True}, "billing_seconds"),
        ({"timestamp": 1.5}, "timestamp"),
        ({"hangup_cause": {"a": 1}}, "hangup_cause"),
        ({"is_internal_leg": "maybe"}, "is_internal_leg"),
        ({"custom_channel_vars": ["a"]}, "custom_channel_vars"),
    ],
)
def test_what_is_not_a_call_event_is_a_400_naming_the_field(
    change: dict[str, object], named: str
) -> None:
    fields = {**channel_event(CHANNEL_DESTROY, call_id=CALL, account_id=ACCOUNT, at=AT), **change}
    payload = {k: v for k, v in fields.items() if v is not None}
    with pytest.raises(NotACallEvent, match=named) as raised:
        decode_call_event(_post_json(payload))
    assert raised.value.status == 400


def test_other_methods_and_body_types_are_refused() -> None:
    with pytest.raises(MethodNotAllowed):
        decode_call_event(HttpRequest("DELETE", "/hooks/acme", "token=t"))
    with pytest.raises(UnsupportedMediaType):
        decode_call_event(
            HttpRequest("POST", "/hooks/acme", "token=t", {"content-type": "text/xml"}, b"<a/>")
        )
    with pytest.raises(NotACallEvent):
        decode_call_event(HttpRequest("POST", "/hooks/acme", "token=t", {}, b"\xff\xfe"))
