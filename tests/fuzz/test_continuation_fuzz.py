"""Forged and foreign continuations (issue 16 item 4) against the Pivot function as Lambda
runs it: whatever the request, a continuation whose ``sig`` is not the kit's for that very
call is a 403 ``bad_continuation``, answered before any state is read; the genuine one
beside it is never refused for its signature."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any
from urllib.parse import quote

import pytest
from hypothesis import given
from hypothesis import strategies as st

from pivotkit.local.events import EVENT_SHAPES, lambda_event
from pivotkit.local.kazoo_encoding import KazooCall, pivot_http_request
from tests.fuzz.continuations import fields, foreign_sig, forged_sig, signature
from tests.fuzz.pivot_subject import Subject
from tests.fuzz.profile import FUZZ, count_case
from tests.fuzz.strategies import (
    ACCOUNT_ID,
    COLLECTIONS,
    HOST,
    KNOWN_CALL,
    STEPS,
    TOKENS,
)


@pytest.fixture(scope="module")
def subject() -> Iterator[Subject]:
    yield Subject()


@st.composite
def continuation_cases(draw: st.DrawFn) -> tuple[Any, Any]:
    """(genuine event, forged event): the same Kazoo request of one call, to a continuation
    URL signed as the kit signs it, and to the same URL with a forged or foreign ``sig``."""
    slug = draw(st.sampled_from(sorted(STEPS)))
    token = TOKENS[slug][0]
    call_id = draw(st.sampled_from([KNOWN_CALL, "fuzz-other@10.0.0.5"]) | st.uuids().map(str))
    collection = draw(st.none() | st.sampled_from(COLLECTIONS))
    query: dict[str, str] = {
        "token": token,
        "step": draw(st.sampled_from(STEPS[slug])),
        "hop": str(draw(st.integers(0, 9))),
        "seq": str(draw(st.integers(0, 5))),
    }
    if collection is not None:
        query["g"] = collection
    call = KazooCall(account_id=ACCOUNT_ID, call_id=call_id)
    if collection is not None:
        call = call.with_digits(collection, draw(st.sampled_from(["", "1", "2", "4711"])))
    signed = fields(slug, query, ACCOUNT_ID, call_id)
    genuine = signature(token, signed)
    if draw(st.booleans()):
        bad: str | None = draw(foreign_sig(token, signed))
    else:
        bad = draw(forged_sig(genuine))
    method = draw(st.sampled_from(["get", "post"]))
    body_format = "json" if method == "post" and draw(st.booleans()) else "form"
    shape = draw(st.sampled_from(EVENT_SHAPES))

    def event(sig: str | None) -> Any:
        url = f"https://{HOST}/pivot/{slug}?" + "&".join(f"{k}={v}" for k, v in query.items())
        if sig is not None:
            url += "&sig=" + quote(sig, safe="")
        request = pivot_http_request(call, url, method=method, req_body_format=body_format)
        return lambda_event(request, shape)

    return event(genuine), event(bad)


@FUZZ
@given(case=continuation_cases())
def test_forged_and_foreign_continuations_are_refused_before_any_state_read(
    subject: Subject, case: tuple[Any, Any]
) -> None:
    count_case("pivot: forged and foreign continuations")
    genuine, forged = case
    reads = subject.store.reads
    result = subject.answer(forged)
    assert result["statusCode"] == 403, result["body"]
    assert json.loads(result["body"])["error"] == "bad_continuation"
    assert subject.store.reads == reads  # no state read for a forgery
    # The genuine URL is never refused for its signature (it may be stale, expired, ...).
    answer = subject.answer(genuine)
    assert json.loads(answer["body"]).get("error") != "bad_continuation", answer["body"]
