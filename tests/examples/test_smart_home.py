"""smart_home: a named DTMF collection read back on the next request, and manual presence."""

from __future__ import annotations

import json
from urllib.parse import parse_qs, urlsplit

import pytest

from examples import smart_home
from examples.smart_home import HOME_PIN, PIN_COLLECTION, customer
from pivotkit.local.kazoo_encoding import KazooCall, pivot_http_request
from pivotkit.testing import NO_KEY, call
from tests.examples.support import ACCOUNT_ID, BASE_URL, TOKEN, app_for, to_http
from tests.signing import signed


def test_the_pin_comes_back_as_digits_of_the_named_collection() -> None:
    result = call(customer, digits=[HOME_PIN, NO_KEY])
    first, second = result.requests[:2]
    assert first.digits == {}
    # The next request carries Digits[home_pin]; its URL names no collection (call.goto).
    assert second.digits == {PIN_COLLECTION: HOME_PIN}
    query = parse_qs(urlsplit(second.url).query)
    assert query["step"] == ["check_pin"]
    assert second.step == "check_pin"
    assert "g" not in query
    (collect,) = [d for d in result.answered("collect_dtmf") if d.get("max_digits") == 4]
    assert collect["collection_name"] == PIN_COLLECTION
    result.assert_heard("For the garage door, press 1.")


@pytest.mark.parametrize(
    ("appliance", "status", "presence_id", "spoken"),
    [
        ("1", "1", "garage-door", "The garage door is now idle."),
        ("2", "3", "porch-light@iot.example.com", "The porch light is now busy."),
        ("3", "2", "washer", "The washing machine is now ringing."),
    ],
)
def test_keyed_digits_choose_the_appliance_and_its_status(
    appliance: str, status: str, presence_id: str, spoken: str
) -> None:
    result = call(customer, digits=[HOME_PIN, appliance, status, NO_KEY])
    (presence,) = result.answered("manual_presence")
    assert presence["presence_id"] == presence_id
    assert presence["status"] == {"1": "idle", "2": "ringing", "3": "busy"}[status]
    result.assert_heard(spoken)
    assert result.heard[-1] == "Goodbye."


def test_the_pin_stays_in_every_later_request() -> None:
    result = call(customer, digits=[HOME_PIN, "1", "9", "2", "2", NO_KEY])
    assert all(r.digits[PIN_COLLECTION] == HOME_PIN for r in result.requests[1:])
    result.assert_heard("Nothing changed.")  # 9 is not a status
    assert len(result.answered("manual_presence")) == 1


def test_three_wrong_pins_end_the_call() -> None:
    result = call(customer, digits=["1111", NO_KEY, "9"])
    assert result.heard.count("That PIN is not right. Please try again.") == 2
    assert result.heard[-1] == "Sorry, that PIN is not right. Goodbye."
    assert result.state == {"pin_tries": 3}


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
