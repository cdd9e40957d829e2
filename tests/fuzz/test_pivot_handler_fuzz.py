"""The Pivot function as Lambda runs it (``make_pivot_handler``, in-memory state) against
arbitrary events: it always answers, a client's garbage is never a 5xx, every 200 is a
callflow Kazoo accepts, and a refused request stores nothing."""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from typing import Any

import pytest
from hypothesis import given

from customers import acme
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
    http_events,
    odd_events,
    pivot_requests,
)


class Subject:
    """One handler and its store for a whole test (hypothesis runs many cases per test)."""

    def __init__(self) -> None:
        self.store = InMemoryStateStore()
        self.handler = make_pivot_handler(
            {"PIVOTKIT_TOKENS": json.dumps(TOKENS), "PIVOTKIT_OBSERVABILITY": "off"},
            customers={"fuzz": FUZZ_CUSTOMER, "acme": acme.customer},
            state=self.store,
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
    if schemas:
        assert validate_callflow(body, schemas) == []


@pytest.fixture(scope="module")
def subject() -> Iterator[Subject]:
    yield Subject()


@FUZZ
@given(event=http_events(pivot_requests()))
def test_pivot_events_get_an_answer_kazoo_can_use(subject: Subject, event: dict[str, Any]) -> None:
    count_case("pivot: HTTP events")
    subject.answer(event)


@FUZZ
@given(event=odd_events)
def test_events_no_gateway_sends_are_refused_cleanly(subject: Subject, event: Any) -> None:
    count_case("pivot: odd events")
    assert subject.answer(event)["statusCode"] >= 400
