"""The Pivot function as Lambda runs it (``make_pivot_handler``, in-memory state) against
arbitrary events: it always answers, a client's garbage is never a 5xx, every 200 is a
callflow Kazoo accepts, and a refused request stores nothing."""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from typing import Any
from urllib.parse import urlsplit

import pytest
from hypothesis import given

from examples import acme
from pivotkit.app import EngineSettings
from pivotkit.aws.lambda_entry import make_pivot_handler
from pivotkit.local.events import lambda_event
from pivotkit.local.kazoo_encoding import KazooCall, pivot_http_request
from pivotkit.local.schemas import load_schema_sets, validate_callflow
from pivotkit.state import InMemoryStateStore
from tests.fuzz.profile import FUZZ, count_case
from tests.fuzz.strategies import (
    ACCOUNT_ID,
    FUZZ_CUSTOMER,
    FUZZ_TOKEN,
    HOST,
    KNOWN_CALL,
    TOKENS,
    cosmetic_first_requests,
    http_events,
    odd_events,
    pivot_requests,
)

# Time is not what is tested here: on a shared 2-core runner a stall of a few seconds
# would otherwise exhaust the state budget or the step's time limit and turn a good
# request into a 503 (the time budgets have tests of their own).
UNHURRIED = EngineSettings(state_budget_seconds=120.0, step_time_limit_seconds=None)


class Subject:
    """One handler and its store for a whole test (hypothesis runs many cases per test)."""

    def __init__(self) -> None:
        self.store = InMemoryStateStore()
        self.handler = make_pivot_handler(
            {"PIVOTKIT_TOKENS": json.dumps(TOKENS), "PIVOTKIT_OBSERVABILITY": "off"},
            customers={"fuzz": FUZZ_CUSTOMER, "acme": acme.customer},
            state=self.store,
            engine=UNHURRIED,
        )
        self.schemas = sorted(load_schema_sets())
        self._walk_known_call_into_its_menu()

    def _walk_known_call_into_its_menu(self) -> None:
        url = f"https://{HOST}/pivot/fuzz?token={FUZZ_TOKEN}"
        call = KazooCall(account_id=ACCOUNT_ID, call_id=KNOWN_CALL)
        result = self.handler(lambda_event(pivot_http_request(call, url), "v2"), None)
        assert result["statusCode"] == 200

    def answer(self, event: Any) -> dict[str, Any]:
        before = self.store.records()
        result = self.handler(event, None)
        check_answer(result, self.schemas)
        if result["statusCode"] != 200:
            # A refused request may have tried a conditional write that lost; none landed.
            assert self.store.records() == before
        return result


def check_answer(result: Mapping[str, Any], schemas: list[str]) -> None:
    status = result["statusCode"]
    assert isinstance(status, int) and result["isBase64Encoded"] is False
    assert result["headers"]["Content-Type"] == "application/json"
    body = json.loads(result["body"])
    assert 200 <= status < 500, body  # nothing here is the server's fault
    if status != 200:
        assert set(body) == {"error", "message"}, body
        return
    assert isinstance(body, dict) and isinstance(body.get("module"), str), body
    for url in urls_in(body):
        # Whatever forwarding headers said, Kazoo is sent back to this API only.
        parts = urlsplit(url)
        assert parts.scheme in ("http", "https") and parts.netloc == HOST, url
    if schemas:
        assert validate_callflow(body, schemas) == []


URL_FIELDS = frozenset({"voice_url", "url", "uri"})


def urls_in(tree: Any) -> Iterator[str]:
    """Every URL the answer gives Kazoo (pivot voice_url, recording and webhook URLs)."""
    if isinstance(tree, dict):
        for key, value in tree.items():
            if key in URL_FIELDS and isinstance(value, str):
                yield value
            else:
                yield from urls_in(value)
    elif isinstance(tree, list):
        for item in tree:
            yield from urls_in(item)


@pytest.fixture(scope="module")
def subject() -> Iterator[Subject]:
    yield Subject()


@FUZZ
@given(event=http_events(pivot_requests()))
def test_pivot_events_get_an_answer_kazoo_can_use(subject: Subject, event: dict[str, Any]) -> None:
    count_case("pivot: HTTP events")
    subject.answer(event)


@FUZZ
@given(event=http_events(cosmetic_first_requests()))
def test_cosmetic_oddities_never_cost_the_call(subject: Subject, event: dict[str, Any]) -> None:
    # Display fields that are not UTF-8, odd custom variable and SIP header names and
    # forged forwarding headers: the caller still reaches the IVR.
    count_case("pivot: cosmetic oddities")
    result = subject.answer(event)
    assert result["statusCode"] == 200, result["body"]


@FUZZ
@given(event=odd_events)
def test_events_no_gateway_sends_are_refused_cleanly(subject: Subject, event: Any) -> None:
    count_case("pivot: odd events")
    assert subject.answer(event)["statusCode"] >= 400
