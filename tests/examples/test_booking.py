"""booking: a background job against a fake booking service on 127.0.0.1 that is sometimes
slow or down, lap by lap as Kazoo would ask (every answer checked against both schema lines).

Jobs run as ``pivotkit serve`` runs them, on the engine's background thread (deployed, the
function's own asynchronous invocation, tests/integration/test_work_deployed.py). A lap's
hold music lasts ``lap_seconds``; the tests ask again at once (a service still sleeping)
or once the job has ended (``join``: the music outlasted it).
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator, Mapping
from typing import Any

import pytest

from examples import booking
from examples.booking.config import BookingConfig
from pivotkit.app import PivotApp
from pivotkit.config import StaticConfig
from pivotkit.customers import StaticTokens
from pivotkit.deferred import ThreadDeferrer
from pivotkit.deferred_runner import DeferredWork
from pivotkit.local.kazoo_encoding import KazooCall, pivot_http_request
from pivotkit.secrets import StaticSecrets
from pivotkit.state import InMemoryStateStore
from pivotkit.testing import FakeHttp, Harness
from pivotkit.work import InMemoryJobStore, job_event
from tests.booking_service import BookingService, booking_service, refused_url

TOKEN = "booking-test-token"
API_KEY = "bk-test-5e3a"
ACCOUNT_ID = "3a1f0e2d4c5b6a7980f1e2d3c4b5a697"
BOOKED = "You are booked for 09:00. Your reference is b 1."


class Line:
    """One booking customer on in-memory stores, its jobs on a background thread."""

    def __init__(self, url: str, *, wait_seconds: float = 3.0, defer: bool = True) -> None:
        customers = {"booking": booking.customer}
        config = StaticConfig(
            {"booking": BookingConfig(booking_url=url, wait_seconds=wait_seconds, lap_seconds=2)}
        )
        secrets = StaticSecrets({"booking": {"booking_api_key": API_KEY}})
        self.jobs = InMemoryJobStore()
        self.work = DeferredWork(customers, self.jobs, config=config, secrets=secrets)
        self.events: list[Mapping[str, Any]] = []
        self.thread = ThreadDeferrer(self.work.run)
        self.app = PivotApp(
            customers,
            InMemoryStateStore(),
            StaticTokens({"booking": [TOKEN]}),
            jobs=self.jobs,
            deferrer=self if defer else _Lost(self.events),
            config=config,
            secrets=secrets,
        )
        self.call = KazooCall(account_id=ACCOUNT_ID, call_id="booking-1@10.0.0.5")
        self.answers: list[dict[str, Any]] = []

    def defer(self, event: Mapping[str, Any]) -> None:
        self.events.append(event)
        self.thread.defer(event)

    def send(self, url: str) -> dict[str, Any]:
        response = self.app.handle(pivot_http_request(self.call, url).as_http_request())
        assert response.status == 200, response.body
        tree: dict[str, Any] = json.loads(response.body)
        self.answers.append(tree)
        return tree

    def press_1(self) -> dict[str, Any]:
        first = self.send(f"https://pivot.example.com/pivot/booking?token={TOKEN}")
        collect = module(first, "collect_dtmf")
        self.call = self.call.with_digits(collect["data"]["collection_name"], "1")
        return self.send(module(first, "pivot")["data"]["voice_url"])

    def lap(self, previous: dict[str, Any]) -> dict[str, Any]:
        """Kazoo's next request once the previous answer's hold audio has played."""
        return self.send(module(previous, "pivot")["data"]["voice_url"])


class _Lost:
    """A deferrer whose invocations never run (an event lost on the way)."""

    def __init__(self, events: list[Mapping[str, Any]]) -> None:
        self.events = events

    def defer(self, event: Mapping[str, Any]) -> None:
        self.events.append(event)


def module(tree: Mapping[str, Any], name: str) -> dict[str, Any]:
    node: Any = tree
    while node is not None:
        if node["module"] == name:
            return dict(node)
        node = node.get("children", {}).get("_")
    raise LookupError(f"no {name} in the answer")


def said(tree: Mapping[str, Any]) -> list[str]:
    texts, node = [], tree
    while node is not None and node["module"] != "pivot":  # not the pivot's fallback
        if node["module"] == "tts":
            texts.append(node["data"]["text"])
        if node["module"] == "play":
            texts.append(node["data"]["id"])
        node = node.get("children", {}).get("_")
    return texts


def is_hold(tree: Mapping[str, Any]) -> bool:
    try:
        return "step=booked" in module(tree, "pivot")["data"]["voice_url"]
    except LookupError:
        return False


@pytest.fixture
def service() -> Iterator[BookingService]:
    with booking_service() as running:
        yield running


def test_a_fast_service_books_on_the_first_lap(service: BookingService, kazoo_errors: Any) -> None:
    line = Line(service.url)
    holding = line.press_1()
    assert is_hold(holding)
    assert said(holding) == ["Please hold while we book that.", "silence_stream://2000"]
    line.thread.join()  # the two seconds of music outlast a quick booking
    answer = line.lap(holding)
    assert said(answer) == [BOOKED]
    assert module(answer, "hangup")
    (post,) = service.posts()
    assert post.path == "/bookings"
    assert post.headers["Authorization"] == f"Bearer {API_KEY}"
    (event,) = line.events
    assert post.headers["Idempotency-Key"] == f"job-{event['job']['job_id']}"
    assert json.loads(post.body) == {"slot": "09:00", "caller": line.call.caller_id_number}
    assert all(kazoo_errors(tree) == [] for tree in line.answers)


def test_a_slow_service_means_more_music_then_the_booking(
    service: BookingService, kazoo_errors: Any
) -> None:
    service.behaviour.delay_seconds = 1.0
    line = Line(service.url)
    holding = line.press_1()
    again = line.lap(holding)  # asked while the service is still thinking
    assert is_hold(again)
    assert said(again) == ["silence_stream://2000"]
    line.thread.join()
    assert said(line.lap(again)) == [BOOKED]
    assert len(service.posts()) == 1
    assert all(kazoo_errors(tree) == [] for tree in line.answers)


@pytest.mark.parametrize("failure", ["refused", "500", "garbage", "slower_than_the_wait"])
def test_a_failing_service_ends_in_the_apology(
    service: BookingService, failure: str, kazoo_errors: Any
) -> None:
    url, wait = service.url, 3.0
    if failure == "refused":
        url = refused_url()
    elif failure == "500":
        service.behaviour.status = 500
    elif failure == "garbage":
        service.behaviour.garbage = True
    else:
        service.behaviour.delay_seconds, wait = 1.5, 0.5
    line = Line(url, wait_seconds=wait)
    holding = line.press_1()
    line.thread.join()
    answer = line.lap(holding)
    assert said(answer) == [booking.APOLOGY]
    assert module(answer, "hangup")
    (record,) = line.jobs.records()
    assert (record.status, record.reason) == ("failed", "job_failed")
    assert all(kazoo_errors(tree) == [] for tree in line.answers)


def test_a_job_never_run_still_ends_in_the_apology_after_the_wait(kazoo_errors: Any) -> None:
    """Nothing is lost silently: an invocation that never ran leaves the job pending, and
    the caller hears the apology once the wait is over, never music forever."""
    line = Line(refused_url(), wait_seconds=0.5, defer=False)
    holding = line.press_1()
    assert is_hold(line.lap(holding))
    time.sleep(0.6)
    answer = line.lap(holding)
    assert said(answer) == [booking.APOLOGY]
    assert len(line.events) == 1
    assert all(kazoo_errors(tree) == [] for tree in line.answers)


def test_a_redelivered_job_books_once_and_its_event_carries_no_secret(
    service: BookingService,
) -> None:
    line = Line(service.url)
    holding = line.press_1()
    line.thread.join()
    (event,) = line.events
    line.work.run(event)  # Lambda delivering the same invocation again
    assert len(service.posts()) == 1
    assert said(line.lap(holding)) == [BOOKED]
    text = json.dumps(event)
    assert API_KEY not in text and TOKEN not in text
    assert event == job_event(line.jobs.records()[0].job)


def test_racing_duplicates_of_the_press_start_one_booking(service: BookingService) -> None:
    line = Line(service.url)
    first = line.send(f"https://pivot.example.com/pivot/booking?token={TOKEN}")
    collect = module(first, "collect_dtmf")
    line.call = line.call.with_digits(collect["data"]["collection_name"], "1")
    url = module(first, "pivot")["data"]["voice_url"]
    answers = [line.send(url) for _ in range(3)]  # Kazoo retrying the same continuation
    assert all(is_hold(answer) for answer in answers)
    line.thread.join()
    assert len(service.posts()) == 1
    assert len(line.jobs.records()) == 1


def test_the_public_harness_walks_a_booking_call(service: BookingService) -> None:
    """pivotkit.testing runs a job as soon as its answer is settled (the hold audio
    outlasts it), so a whole call is one ``call``: the menu, the hold, the booking."""
    harness = Harness(
        booking.customer,
        config={"booking_url": service.url, "lap_seconds": 2},
        secrets={"booking_api_key": API_KEY},
    )
    result = harness.call(digits=["1"])
    assert result.heard == [
        "Welcome. Press 1 to book the first free appointment, at 09:00.",
        "Please hold while we book that.",
        "silence_stream://2000",
        BOOKED,
    ]
    result.assert_hangup()
    (record,) = harness.jobs.records()
    assert record.status == "done"
    assert len(service.posts()) == 1


def test_the_public_harness_hears_the_apology_when_the_service_is_down() -> None:
    harness = Harness(
        booking.customer,
        config={"booking_url": refused_url()},
        secrets={"booking_api_key": API_KEY},
    )
    result = harness.call(digits=["1"])
    assert result.heard[-1] == booking.APOLOGY
    result.assert_hangup()


def test_a_jobs_http_goes_through_the_harness_fake_network() -> None:
    fake = FakeHttp()
    fake.answer("POST", "https://booking.test/bookings", {"id": "b7", "slot": "09:00"})
    harness = Harness(
        booking.customer,
        config={"booking_url": "https://booking.test"},
        secrets={"booking_api_key": API_KEY},
        outbound=fake,
    )
    result = harness.call(digits=["1"])
    assert result.heard[-1] == "You are booked for 09:00. Your reference is b 7."
    (sent,) = fake.sent
    (record,) = harness.jobs.records()
    assert sent.headers["Idempotency-Key"] == f"job-{record.job.job_id}"
