"""parse_params has two ways through: a one-pass decode of the whole string (every valid
request) and a key-by-key decode that finds and names the first problem. Whenever the first
applies, both must give the same tree."""

from __future__ import annotations

import re

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pivotkit.errors import BadRequest
from pivotkit.request import (
    _HELD_BACK_ESCAPE,
    _NOT_HELD_BACK,
    _decode_key,
    _decode_value,
    _tree,
    _unescape_all_but_held_back,
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
def test_the_one_pass_decode_agrees_with_the_key_by_key_decode(raw: str) -> None:
    assert _unescape_all_but_held_back(raw) is not None
    try:
        expected = _tree(raw.split("&"), _decode_key, _decode_value)
    except BadRequest as error:  # a conflict or a depth error, whichever path finds it
        try:
            parse_params(raw)
        except BadRequest as same:
            assert same.message == error.message
            return
        raise AssertionError("the one-pass decode accepted what the other refused") from None
    assert parse_params(raw) == expected


def test_only_the_three_held_back_escapes_wait_for_the_second_pass() -> None:
    hex_digits = "0123456789abcdefABCDEF"
    escapes = [f"%{high}{low}" for high in hex_digits for low in hex_digits]
    held = [escape for escape in escapes if not re.fullmatch(_NOT_HELD_BACK, escape)]
    assert sorted(held) == ["%25", "%26", "%3D", "%3d"]
    assert all(_HELD_BACK_ESCAPE.fullmatch(escape) for escape in held)


def test_a_held_back_escape_is_decoded_exactly_once() -> None:
    assert parse_params("a%3Db=x%26y%3Dz&c=%2541&d=100%25") == {
        "a=b": "x&y=z",
        "c": "%41",
        "d": "100%",
    }
