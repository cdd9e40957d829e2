"""``pivotkit.outbound`` on a scripted transport (``pivotkit.testing.FakeHttp``): what is
retried and when, the budget, the headers sent, what an error shows, and
``call.idempotency_key``."""

from __future__ import annotations

import time

import pytest

from pivotkit import Call, Customer, Flow, Node, OutboundError, tts
from pivotkit.outbound import MIN_ATTEMPT_SECONDS, Http, RawRequest, RawResponse
from pivotkit.testing import FakeHttp, Harness

URL = "https://booking.test/bookings"


def client(fake: FakeHttp, *, left: float = 3.0, key: str | None = "pk1-key") -> Http:
    deadline = time.monotonic() + left
    return Http(
        budget=lambda: deadline - time.monotonic(),
        idempotency_key=key,
        transport=fake,
        sleep=lambda _: None,
    )


def test_json_goes_out_and_comes_back_with_the_key() -> None:
    fake = FakeHttp()
    fake.answer("POST", URL, {"id": "b1"}, status=201)
    assert client(fake).post(URL, json={"slot": "09:00"}) == {"id": "b1"}
    (sent,) = fake.sent
    assert sent.json == {"slot": "09:00"}
    assert sent.headers["Idempotency-Key"] == "pk1-key"
    assert sent.headers["Content-Type"] == sent.headers["Accept"] == "application/json"


def test_a_key_of_the_steps_own_or_none() -> None:
    fake = FakeHttp()
    fake.answer("POST", URL, {})
    http = client(fake)
    http.post(URL, json={}, headers={"idempotency-key": "mine"})
    http.post(URL, json={}, idempotency_key=False)
    assert [s.headers.get("idempotency-key") for s in fake.sent] == ["mine", None]
    assert "Idempotency-Key" not in fake.sent[1].headers


def test_params_join_the_query() -> None:
    fake = FakeHttp()
    fake.answer("GET", URL, [])
    client(fake).get(f"{URL}?day=mon", params={"n": 2})
    assert fake.sent[0].url == f"{URL}?day=mon&n=2"


@pytest.mark.parametrize("failure", ["timeout", "refused"])
def test_a_repeatable_request_is_retried_then_succeeds(failure: str) -> None:
    fake = FakeHttp()
    fake.fail("GET", URL, failure)
    fake.answer("GET", URL, {"slots": []})
    http = client(fake, key=None)
    assert http.get(URL) == {"slots": []} and http.attempts == 2


def test_a_post_without_a_key_is_never_retried() -> None:
    fake = FakeHttp()
    fake.answer("POST", URL, None, status=503)
    fake.answer("POST", URL, {"id": "b1"})
    http = client(fake, key=None)
    with pytest.raises(OutboundError) as caught:
        http.post(URL, json={})
    assert caught.value.kind == "status" and caught.value.status_code == 503
    assert http.attempts == 1


def test_a_post_with_a_key_is_retried_under_the_same_key() -> None:
    fake = FakeHttp()
    fake.answer("POST", URL, None, status=503)
    fake.answer("POST", URL, {"id": "b1"})
    assert client(fake).post(URL, json={}) == {"id": "b1"}
    assert {s.headers["Idempotency-Key"] for s in fake.sent} == {"pk1-key"}
    assert len(fake.sent) == 2


def test_a_4xx_is_not_retried() -> None:
    fake = FakeHttp()
    fake.answer("GET", URL, {"error": "no such slot"}, status=404)
    http = client(fake)
    with pytest.raises(OutboundError) as caught:
        http.get(URL)
    assert (caught.value.kind, caught.value.status_code, http.attempts) == ("status", 404, 1)


def test_attempts_stop_at_max_attempts() -> None:
    fake = FakeHttp()
    fake.fail("GET", URL, "timeout")
    http = client(fake)
    with pytest.raises(OutboundError) as caught:
        http.get(URL)
    assert caught.value.kind == "timeout" and http.attempts == 3


def test_no_budget_no_attempt() -> None:
    fake = FakeHttp()
    fake.answer("GET", URL, {})
    with pytest.raises(OutboundError) as caught:
        client(fake, left=MIN_ATTEMPT_SECONDS / 2).get(URL)
    assert caught.value.kind == "budget" and fake.sent == []


def test_the_timeouts_are_capped_by_the_budget_and_the_steps_own() -> None:
    seen: list[tuple[float, float]] = []

    class Recording(FakeHttp):
        def send(
            self, request: RawRequest, *, connect_timeout: float, read_timeout: float
        ) -> RawResponse:
            seen.append((connect_timeout, read_timeout))
            return super().send(request, connect_timeout=connect_timeout, read_timeout=read_timeout)

    fake = Recording()
    fake.answer("GET", URL, {})
    http = client(fake, left=2.0)
    http.get(URL)
    http.get(URL, timeout=0.5)
    (connect, read), (_, capped) = seen
    assert connect == 1.0 and 1.9 < read <= 2.0 and 0.4 < capped <= 0.5


def test_garbage_is_bad_json_and_an_empty_body_is_none() -> None:
    fake = FakeHttp()
    fake.answer_raw("GET", URL, b"<html>")
    fake.answer_raw("DELETE", URL, b"", status=204)
    with pytest.raises(OutboundError) as caught:
        client(fake).get(URL)
    assert caught.value.kind == "bad_json"
    assert client(fake).delete(URL) is None


def test_an_error_shows_no_query_and_no_user_info() -> None:
    fake = FakeHttp()
    error_url = "https://user:pw@booking.test:8443/bookings?api_key=s3cret#frag"
    with pytest.raises(OutboundError) as caught:
        client(fake).get(error_url)  # unscripted: refused
    error = caught.value
    assert error.url == "https://booking.test:8443/bookings"
    assert "s3cret" not in str(error) and "pw" not in str(error)
    assert (error.status, error.code) == (502, "outbound_failed")


def test_a_body_that_is_not_json_is_the_steps_mistake() -> None:
    with pytest.raises(TypeError):
        client(FakeHttp()).post(URL, json={"when": object()})


def test_the_idempotency_key_is_per_transition_and_hides_the_call() -> None:
    keys: list[tuple[str, str, int]] = []
    flow = Flow()

    @flow.step()
    def start(call: Call) -> Node:
        keys.append((call.idempotency_key, call.step, call.seq))
        call.state["n"] = call.state.get("n", 0) + 1
        return call.gather("again", prompt=tts("Press a key."), max_digits=1)

    @flow.step()
    def again(call: Call) -> Node:
        keys.append((call.idempotency_key, call.step, call.seq))
        call.state["n"] += 1
        return tts("Bye.")

    harness = Harness(Customer(slug="keys", flow=flow), outbound=FakeHttp())
    harness.call(digits=["1"])
    harness.call(digits=["1"])
    first, second, third, _ = keys
    assert first[0].startswith("pk1-") and len(first[0]) == 36
    assert len({k for k, _, _ in keys}) == 4  # per call, step and seq
    assert "keys-1" not in first[0] and (first[1], second[1], second[2]) == ("start", "again", 1)
    assert third[1:] == ("start", 0)


def test_a_step_sees_the_fake_through_the_harness() -> None:
    flow = Flow()

    @flow.step()
    def start(call: Call) -> Node:
        try:
            slots = call.http.get("https://booking.test/slots")
        except OutboundError as error:
            return tts(f"Sorry ({error.kind}).")
        return tts(f"{len(slots)} slots free.")

    fake = FakeHttp()
    fake.answer("GET", "https://booking.test/slots", ["09:00", "10:30"])
    fake.fail("GET", "https://booking.test/slots", "timeout")
    harness = Harness(Customer(slug="slots", flow=flow), outbound=fake)
    harness.call().assert_heard("2 slots free.")
    harness.call().assert_heard("Sorry (timeout).")
