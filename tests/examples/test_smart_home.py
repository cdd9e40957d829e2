"""smart_home: a named DTMF collection read back on the next request, and manual presence."""

from __future__ import annotations

import json
from urllib.parse import parse_qs, urlsplit

import pytest

from customers import smart_home
from customers.smart_home import HOME_PIN, PIN_COLLECTION
from pivotkit.local.kazoo_encoding import KazooCall, pivot_http_request
from pivotkit.state import InMemoryStateStore
from tests.examples.support import (
    ACCOUNT_ID,
    BASE_URL,
    TOKEN,
    answered,
    app_for,
    call_app,
    cli_call,
    ran,
    said,
    to_http,
)
from tests.signing import signed


def test_the_pin_comes_back_as_digits_of_the_named_collection(
    capsys: pytest.CaptureFixture[str],
) -> None:
    transcript = cli_call(capsys, "smart_home", "--digits", f"{HOME_PIN},")
    first, second = ran(transcript, "request")[:2]
    assert first["digits"] == {}
    # The next request carries Digits[home_pin]; its URL names no collection (call.goto).
    assert second["digits"] == {PIN_COLLECTION: HOME_PIN}
    query = parse_qs(urlsplit(second["url"]).query)
    assert query["step"] == ["check_pin"]
    assert "g" not in query
    (collect,) = [d for d in answered(transcript, "collect_dtmf") if d.get("max_digits") == 4]
    assert collect["collection_name"] == PIN_COLLECTION
    assert "For the garage door, press 1." in said(transcript)


@pytest.mark.parametrize(
    ("appliance", "status", "presence_id", "spoken"),
    [
        ("1", "1", "garage-door", "The garage door is now idle."),
        ("2", "3", "porch-light@iot.example.com", "The porch light is now busy."),
        ("3", "2", "washer", "The washing machine is now ringing."),
    ],
)
def test_keyed_digits_choose_the_appliance_and_its_status(
    capsys: pytest.CaptureFixture[str], appliance: str, status: str, presence_id: str, spoken: str
) -> None:
    transcript = cli_call(capsys, "smart_home", "--digits", f"{HOME_PIN},{appliance},{status},")
    (presence,) = answered(transcript, "manual_presence")
    assert presence["presence_id"] == presence_id
    assert presence["status"] == {"1": "idle", "2": "ringing", "3": "busy"}[status]
    assert spoken in said(transcript)
    assert transcript["heard"][-1] == "Goodbye."


def test_the_pin_stays_in_every_later_request(capsys: pytest.CaptureFixture[str]) -> None:
    transcript = cli_call(capsys, "smart_home", "--digits", f"{HOME_PIN},1,9,2,2,")
    requests = ran(transcript, "request")
    assert all(r["digits"][PIN_COLLECTION] == HOME_PIN for r in requests[1:])
    assert "Nothing changed." in said(transcript)  # 9 is not a status
    assert len(answered(transcript, "manual_presence")) == 1


def test_three_wrong_pins_end_the_call() -> None:
    store = InMemoryStateStore()
    transcript = call_app(
        app_for(smart_home.customer, store), "smart_home", digits=["1111", "", "9"]
    )
    assert transcript["heard"].count("That PIN is not right. Please try again.") == 2
    assert transcript["heard"][-1] == "Sorry, that PIN is not right. Goodbye."
    (record,) = store.records()
    assert record.state == {"pin_tries": 3}


def test_a_continuation_without_the_pin_hangs_up() -> None:
    # What a forged request for the appliance menu would get: no Digits[home_pin].
    call = KazooCall(account_id=ACCOUNT_ID, call_id="forged@test").with_digits("appliance_2", "1")
    url = f"{BASE_URL}/pivot/smart_home?token={TOKEN}&step=appliance&hop=2&seq=0&g=appliance_2"
    app = app_for(smart_home.customer)
    # Unsigned, the engine refuses it before the step runs.
    refused = app.handle(to_http(pivot_http_request(call, url)))
    assert (refused.status, json.loads(refused.body)["error"]) == (403, "bad_continuation")
    # Even signed for this call (say the signing key leaked), the step itself checks the PIN.
    response = app.handle(to_http(pivot_http_request(call, signed(url, call))))
    assert response.status == 200
    assert json.loads(response.body) == {"module": "hangup", "data": {}}
