"""The Pivot function as Lambda runs it (``make_pivot_handler``, in-memory state) against
arbitrary events: it always answers, a client's garbage is never a 5xx, every 200 is a
callflow Kazoo accepts, and a refused request stores nothing."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from hypothesis import given

from tests.fuzz.pivot_subject import Subject
from tests.fuzz.profile import FUZZ, count_case
from tests.fuzz.strategies import (
    cosmetic_first_requests,
    http_events,
    odd_events,
    pivot_requests,
)


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
