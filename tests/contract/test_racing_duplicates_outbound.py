"""Racing duplicates of one continuation whose step books against a service (a real
``http.server`` on 127.0.0.1), on the in-memory store and on DynamoDB (moto).

The engine does not claim a transition before running its step (docs/outbound.md,
"Racing duplicates", says why): each duplicate runs the step body, and every POST they make
carries the same ``Idempotency-Key``, so a service that honours the key books once. What
holds, on both stores: 8 duplicates answer 200 with one callflow, the state is applied once,
and the service got the POSTs of that one transition under one key and made one booking.
The next transition of the call sends another key.
"""

from __future__ import annotations

import json
import threading
from typing import Any

from pivotkit import Call, Customer, Flow, Node, OutboundError, hangup, tts
from pivotkit.app import PivotApp
from pivotkit.customers import StaticTokens
from pivotkit.http import HttpResponse
from pivotkit.local.kazoo_encoding import KazooCall
from pivotkit.state import CallKey
from tests.booking_service import BookingService, booking_service
from tests.contract.conftest import StoreUnderTest
from tests.contract.demo_call import ACCOUNT_ID, BASE_URL, TOKEN, Clock, find, to_http

DUPLICATES = 8


def booking_flow(service_url: str) -> Flow:
    flow = Flow()

    @flow.step()
    def start(call: Call) -> Node:
        return call.gather("slot", prompt=tts("Press 1 for nine o'clock."), max_digits=1)

    @flow.step()
    def slot(call: Call) -> Node:
        try:
            booking = call.http.post(f"{service_url}/bookings", json={"slot": call.digits})
        except OutboundError:
            return tts("Sorry, we cannot book right now.").then(hangup())
        call.state["booking"] = booking["id"]
        return call.gather("confirm", prompt=tts(f"Booked {booking['id']}. Press 1."))

    @flow.step()
    def confirm(call: Call) -> Node:
        call.http.post(f"{service_url}/bookings", json={"confirm": call.state["booking"]})
        call.state["confirmed"] = True
        return tts("Confirmed.").then(hangup())

    return flow


def press(app: PivotApp, call: KazooCall, answer: HttpResponse, digits: str) -> tuple[Any, str]:
    tree = json.loads(answer.body)
    collect, continuation = find(tree, "collect_dtmf"), find(tree, "pivot")
    return call.with_digits(collect["data"]["collection_name"], digits), str(
        continuation["data"]["voice_url"]
    )


def race(app: PivotApp, call: KazooCall, url: str) -> list[HttpResponse]:
    gate = threading.Barrier(DUPLICATES)
    answers: list[HttpResponse] = []
    lock = threading.Lock()

    def send() -> None:
        request = to_http(call, url)
        gate.wait()
        response = app.handle(request)
        with lock:
            answers.append(response)

    threads = [threading.Thread(target=send) for _ in range(DUPLICATES)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return answers


def test_racing_duplicates_book_once_under_one_key(subject: StoreUnderTest) -> None:
    with booking_service() as service:
        run_the_race(subject, service)


def run_the_race(subject: StoreUnderTest, service: BookingService) -> None:
    customer = Customer(slug="demo", flow=booking_flow(service.url))
    app = PivotApp(
        {"demo": customer}, subject.store, StaticTokens({"demo": [TOKEN]}), clock=Clock()
    )
    call = KazooCall(account_id=ACCOUNT_ID, call_id="race@10.0.0.5")
    first = app.handle(to_http(call, f"{BASE_URL}/pivot/demo?token={TOKEN}"))
    call, url = press(app, call, first, "1")

    answers = race(app, call, url)
    assert [a.status for a in answers] == [200] * DUPLICATES
    assert len({a.body for a in answers}) == 1
    posts = service.posts()
    keys = {post.headers["Idempotency-Key"] for post in posts}
    # Every duplicate ran the step (no claim), all under the one key; one booking.
    assert 1 <= len(posts) <= DUPLICATES and len(keys) == 1
    assert list(service.bookings) == list(keys) and len(service.bookings) == 1
    record = subject.store.load(CallKey("demo", ACCOUNT_ID, call.call_id), now=app.clock())
    assert record is not None and record.state == {"booking": "b1"} and record.version == 1

    # The next transition is another booking request: another key.
    call, url = press(app, call, answers[0], "1")
    assert app.handle(to_http(call, url)).status == 200
    assert (
        len(service.bookings) == 2
        and len({p.headers["Idempotency-Key"] for p in service.posts()}) == 2
    )
