"""parse_params has two ways through: a one-pass decode of all values (every valid request)
and a value-by-value decode that finds and names the first problem. Whenever the first
applies, both must give the same values."""

from __future__ import annotations

import re

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pivotkit.request import (
    _HELD_BACK_ESCAPE,
    _NOT_HELD_BACK,
    _decode_all_values,
    _decode_value,
    _split_pairs,
    parse_params,
)

# Escapes that decode to separators, to "%" (a second decode) and to multi-byte UTF-8, in
# both hex-digit cases, so examples cut across every rule of the fast path.
_pieces = st.sampled_from(
    [
        *"[]&=+aZ09-_.~ é",
        *("%25", "%26", "%3D", "%3d", "%2B", "%2b", "%41", "%5B", "%5D", "%40"),
        *("%C3%A9", "%c3%a9", "%E2%98%8E", "%F0%9F%93%9E", "%2525", "%253D"),
    ]
)
valid_forms = st.lists(_pieces, max_size=60).map("".join)


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(raw=valid_forms)
def test_the_one_pass_decode_agrees_with_the_value_by_value_decode(raw: str) -> None:
    _, values = _split_pairs(raw)
    one_pass = _decode_all_values(values)
    assert one_pass is not None
    assert one_pass == [_decode_value(value) for value in values]


def test_only_the_three_held_back_escapes_wait_for_the_second_pass() -> None:
    hex_digits = "0123456789abcdefABCDEF"
    escapes = [f"%{high}{low}" for high in hex_digits for low in hex_digits]
    held = [escape for escape in escapes if not re.fullmatch(_NOT_HELD_BACK, escape)]
    assert sorted(held) == ["%25", "%26", "%3D", "%3d"]
    assert all(_HELD_BACK_ESCAPE.fullmatch(escape) for escape in held)


def test_a_held_back_escape_is_decoded_exactly_once() -> None:
    assert parse_params("a=x%26y%3Dz&c=%2541&d=100%25") == {
        "a": "x&y=z",
        "c": "%41",
        "d": "100%",
    }
