"""The edge on its own: any event normalises to an ``HttpRequest`` or a ``ClientError``, and
any request decodes to a ``PivotRequest`` or a ``ClientError``: never another exception
(which the handler would have to turn into a 500)."""

from __future__ import annotations

from typing import Any

from hypothesis import given

from pivotkit.errors import ClientError
from pivotkit.http import from_lambda_event
from pivotkit.request import PivotRequest, decode_pivot_request, query_params
from tests.fuzz.profile import FUZZ, count_case
from tests.fuzz.strategies import http_events, odd_events, pivot_requests


@FUZZ
@given(event=http_events(pivot_requests()) | odd_events)
def test_events_decode_or_are_client_errors(event: Any) -> None:
    count_case("decoder: events")
    try:
        http = from_lambda_event(event)
    except ClientError as error:
        assert 400 <= error.status < 500
        return
    try:
        decoded = decode_pivot_request(http)
    except ClientError as error:
        assert 400 <= error.status < 500
    else:
        assert isinstance(decoded, PivotRequest)
        assert decoded.call_id and len(decoded.account_id) == 32
    try:
        flat = query_params(http, frozenset({"token", "step", "seq", "hop", "g"}))
    except ClientError as error:
        assert 400 <= error.status < 500
    else:
        assert all(isinstance(value, str) for value in flat.values())
