"""Steps that call a booking service on 127.0.0.1 (a real ``http.server``) through
``call.http``: whatever the service does (slow from 0.5 to 6 s, refusing connections,
answering 500 or garbage), the caller gets a schema-valid answer inside the pivot node's
``req_timeout_ms`` (the harness counts a later answer as Kazoo's timeout) and the step saw
``OutboundError`` of the kind that happened. A step that spends 3 s on I/O and then saves
state is answered 200, with the default 5000 ms timeout."""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import pytest
from pydantic import BaseModel

from pivotkit import Call, Customer, Flow, Node, OutboundError, hangup, tts
from pivotkit.testing import Harness
from tests.booking_service import Behaviour, BookingService, booking_service, refused_url

API_KEY = "sk-test-booking-key"


class BookingConfig(BaseModel):
    booking_url: str


class Seen:
    """What the step saw: the OutboundError kinds and time_left() at its start."""

    def __init__(self) -> None:
        self.kinds: list[str] = []
        self.time_left_at_start: list[float] = []


def booking_customer(seen: Seen, *, track_path: bool = False) -> Customer:
    flow = Flow(track_path=track_path)

    @flow.step()
    def start(call: Call) -> Node:
        seen.time_left_at_start.append(call.time_left())
        config = call.config_as(BookingConfig)
        try:
            booking = call.http.post(
                f"{config.booking_url}/bookings",
                json={"slot": "09:00"},
                headers={"Authorization": f"Bearer {call.secrets['booking_api_key']}"},
            )
        except OutboundError as error:
            seen.kinds.append(error.kind)
            return tts("Sorry, we cannot book right now. Please call back later.").then(hangup())
        call.state["booking"] = booking["id"]
        return tts(f"Your booking {booking['id']} is confirmed.").then(hangup())

    return Customer(
        slug="booker", flow=flow, config_model=BookingConfig, secrets=("booking_api_key",)
    )


@pytest.fixture
def service() -> Iterator[BookingService]:
    with booking_service() as running:
        yield running


def place_call(customer: Customer, url: str) -> tuple[Any, float]:
    harness = Harness(customer, config={"booking_url": url}, secrets={"booking_api_key": API_KEY})
    started = time.perf_counter()
    result = harness.call(allow_failures=True)
    return result, time.perf_counter() - started


def test_a_step_that_spends_3_s_on_io_then_saves_state_answers_200(
    service: BookingService,
) -> None:
    seen = Seen()
    service.behaviour = Behaviour(delay_seconds=3.0)
    result, took = place_call(booking_customer(seen, track_path=True), service.url)
    assert result.failures == [] and not result.fell_back
    result.assert_heard("Your booking b1 is confirmed.")
    assert result.state == {"booking": "b1"} and [e["step"] for e in result.trail] == ["start"]
    assert 3.0 <= took < 4.5 and seen.kinds == []
    assert 4.4 <= seen.time_left_at_start[0] <= 4.5  # 5.0 s less the reply margin


@pytest.mark.parametrize("delay", [0.5, 2.0])
def test_a_slow_service_inside_the_budget_books(service: BookingService, delay: float) -> None:
    seen = Seen()
    service.behaviour = Behaviour(delay_seconds=delay)
    result, took = place_call(booking_customer(seen), service.url)
    result.assert_heard("Your booking b1 is confirmed.")
    assert delay <= took < 4.5 and seen.kinds == []


def test_a_service_slower_than_the_budget_is_a_timeout_the_step_answers(
    service: BookingService,
) -> None:
    seen = Seen()
    service.behaviour = Behaviour(delay_seconds=6.0)
    result, took = place_call(booking_customer(seen), service.url)
    result.assert_heard("Sorry, we cannot book right now. Please call back later.")
    assert not result.fell_back and result.failures == []
    assert seen.kinds == ["timeout"]
    # The POST got what was left after the state write's reserve: 4.5 - 1.2 = 3.3 s.
    assert 3.1 <= took < 4.5
    assert len(service.posts()) == 1  # no time for a retry, so none was tried


def test_a_refused_connection(service: BookingService) -> None:
    seen = Seen()
    result, took = place_call(booking_customer(seen), refused_url())
    result.assert_heard("Sorry, we cannot book right now. Please call back later.")
    assert seen.kinds == ["refused"] and took < 1.0


def test_a_500_is_retried_with_the_same_key_then_reported(service: BookingService) -> None:
    seen = Seen()
    service.behaviour = Behaviour(status=500)
    result, took = place_call(booking_customer(seen), service.url)
    result.assert_heard("Sorry, we cannot book right now. Please call back later.")
    assert seen.kinds == ["status"] and took < 1.5
    keys = {post.headers["Idempotency-Key"] for post in service.posts()}
    assert len(service.posts()) == 3 and len(keys) == 1  # DEFAULT_MAX_ATTEMPTS, one key


def test_garbage_json(service: BookingService) -> None:
    seen = Seen()
    service.behaviour = Behaviour(garbage=True)
    result, _ = place_call(booking_customer(seen), service.url)
    result.assert_heard("Sorry, we cannot book right now. Please call back later.")
    assert seen.kinds == ["bad_json"] and len(service.posts()) == 1


def test_an_uncaught_outbound_error_is_a_502_and_kazoos_fallback(
    service: BookingService,
) -> None:
    flow = Flow()

    @flow.step()
    def start(call: Call) -> Node:
        return call.goto("book")  # a pivot node the kit emits: it has the fallback

    @flow.step()
    def book(call: Call) -> Node:
        call.http.get(f"{call.config_as(BookingConfig).booking_url}/slots")
        return tts("unreachable")

    customer = Customer(slug="careless", flow=flow, config_model=BookingConfig)
    service.behaviour = Behaviour(status=503)
    result = Harness(customer, config={"booking_url": service.url}).call(allow_failures=True)
    assert result.fell_back, result.render()
    assert any("502" in failure for failure in result.failures), result.failures


def test_no_log_line_holds_a_body_or_the_key(
    service: BookingService, caplog: pytest.LogCaptureFixture
) -> None:
    seen = Seen()
    service.behaviour = Behaviour(status=500)
    with caplog.at_level("DEBUG"):
        place_call(booking_customer(seen), f"{service.url}?api_key=in-the-query")
    logged = "\n".join(record.getMessage() for record in caplog.records)
    assert "outbound POST" in logged
    assert API_KEY not in logged and "in-the-query" not in logged and "09:00" not in logged
    assert service.posts()[0].headers["Authorization"] == f"Bearer {API_KEY}"
