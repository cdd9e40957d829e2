"""The edge on its own: any event normalises to an ``HttpRequest`` or a ``ClientError``, and
any request decodes to a ``PivotRequest`` or a ``ClientError``: never another exception
(which the handler would have to turn into a 500)."""

from __future__ import annotations

from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from pivotkit.errors import ClientError
from pivotkit.http import from_lambda_event
from pivotkit.local.kazoo_encoding import encode_form
from pivotkit.request import (
    PivotRequest,
    decode_pivot_request,
    display_text,
    parse_params,
    query_params,
)
from tests.fuzz.profile import FUZZ, count_case
from tests.fuzz.strategies import (
    display_bytes,
    http_events,
    odd_events,
    pivot_requests,
    plain_keys,
)


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


def _as_decoded(value: str | bytes) -> str:
    return display_text(value) if isinstance(value, bytes) else value


@FUZZ
@given(
    variables=st.dictionaries(plain_keys, st.text(max_size=10), max_size=4),
    headers=st.dictionaries(plain_keys, st.text(max_size=10) | display_bytes, max_size=4),
    name=st.text(max_size=12) | display_bytes,
)
def test_what_kazoo_writes_unambiguously_comes_back_exactly(
    variables: dict[str, str], headers: dict[str, str | bytes], name: str | bytes
) -> None:
    # Keys go out raw and values escaped (kz_http_util): the decoder must invert exactly
    # that, display bytes included, with no stray byte costing a 400.
    count_case("decoder: Kazoo's keys and display bytes")
    params = {
        "Caller-ID-Name": name,
        "Custom-Application-Vars": variables,
        "Custom-SIP-Headers": headers,
    }
    assert parse_params(encode_form(params)) == {
        "Caller-ID-Name": _as_decoded(name),
        **({"Custom-Application-Vars": variables} if variables else {}),
        **(
            {"Custom-SIP-Headers": {k: _as_decoded(v) for k, v in headers.items()}}
            if headers
            else {}
        ),
    }
