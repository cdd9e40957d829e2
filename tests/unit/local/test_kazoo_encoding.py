"""Kazoo's encoding of a Pivot request, checked against docs/kazoo-notes.md ("The round trip",
"Keys and values on the wire") and round-tripped through pivotkit's decoder."""

from __future__ import annotations

import json
from dataclasses import replace
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pivotkit.local.kazoo_encoding import (
    KazooCall,
    encode_form,
    encode_json,
    kazoo_params,
    pivot_http_request,
    urlencode_value,
)
from pivotkit.request import PivotRequest, parse_params

ACCOUNT = "3a1f0e2d4c5b6a7980f1e2d3c4b5a697"
CALL_ID = "5f3c2a1b7d6e4f809a1b2c3d4e5f6a7b@10.0.0.5"
VOICE_URL = "https://abc.lambda-url.us-east-1.on.aws/pivot?token=S3CR3T"

# §2b, verbatim.
FIRST_REQUEST_PARAMS = (
    "Account-ID=3a1f0e2d4c5b6a7980f1e2d3c4b5a697&Api-Version=4.x"
    "&Call-ID=5f3c2a1b7d6e4f809a1b2c3d4e5f6a7b%4010.0.0.5&Caller-ID-Name=John+Smith"
    "&Caller-ID-Number=%2B14155550123&&&Direction=inbound&From=%2B14155550123"
    "&From-Realm=203.0.113.10&Language=en-us&Request=%2B14155550199&Request-Realm=10.0.0.5"
    "&To=%2B14155550199&To-Realm=10.0.0.5"
)
FIRST_REQUEST_JSON = (
    '{"Account-ID":"3a1f0e2d4c5b6a7980f1e2d3c4b5a697","Api-Version":"4.x",'
    '"Call-ID":"5f3c2a1b7d6e4f809a1b2c3d4e5f6a7b@10.0.0.5","Caller-ID-Name":"John Smith",'
    '"Caller-ID-Number":"+14155550123","Custom-Application-Vars":{},"Custom-SIP-Headers":{},'
    '"Direction":"inbound","From":"+14155550123","From-Realm":"203.0.113.10",'
    '"Language":"en-us","Request":"+14155550199","Request-Realm":"10.0.0.5",'
    '"To":"+14155550199","To-Realm":"10.0.0.5"}'
)

CALL = KazooCall(account_id=ACCOUNT, call_id=CALL_ID)


def test_first_get_request_is_section_2b_byte_for_byte() -> None:
    request = pivot_http_request(CALL, VOICE_URL)
    assert request.method == "GET"
    assert request.url == f"{VOICE_URL}&{FIRST_REQUEST_PARAMS}"
    assert request.raw_query == f"token=S3CR3T&{FIRST_REQUEST_PARAMS}"
    assert request.path == "/pivot"
    assert request.body == b""
    assert request.header("content-type") is None
    assert request.header("host") == "abc.lambda-url.us-east-1.on.aws"


def test_first_post_form_request_is_section_2b() -> None:
    request = pivot_http_request(CALL, VOICE_URL, method="post")
    assert request.method == "POST"
    assert request.url == VOICE_URL  # only voice_url's own query
    assert request.body == FIRST_REQUEST_PARAMS.encode()
    assert request.header("content-type") == "application/x-www-form-urlencoded"
    assert request.header("content-length") == str(len(FIRST_REQUEST_PARAMS))


def test_first_post_json_request_is_section_2b() -> None:
    request = pivot_http_request(CALL, VOICE_URL, method="POST", req_body_format="json")
    assert request.body == FIRST_REQUEST_JSON.encode()
    assert request.header("content-type") == "application/json"


def test_follow_up_request_gains_digits_and_vars() -> None:
    call = CALL.with_digits("menu_choice", "1").with_vars({"session": "abc"})
    query = pivot_http_request(call, VOICE_URL).raw_query
    assert "&Custom-Application-Vars[session]=abc&&Digits[menu_choice]=1&Direction=" in query
    body = json.loads(
        pivot_http_request(call, VOICE_URL, method="post", req_body_format="json").body
    )
    assert body["Custom-Application-Vars"] == {"session": "abc"}
    assert body["Digits"] == {"menu_choice": "1"}


def test_collections_accumulate_over_the_call() -> None:
    call = CALL.with_digits("menu", "1").with_digits("pin", "").with_digits("menu", "2")
    assert kazoo_params(call)["Digits"] == {"menu": "2", "pin": ""}


def test_parameters_come_in_kazoo_order() -> None:
    call = replace(CALL.with_digits("d", "1"), user_ids=("u1",), call_status="in-progress")
    assert list(kazoo_params(call)) == [
        "Account-ID",
        "Api-Version",
        "Call-ID",
        "Call-Status",
        "Caller-ID-Name",
        "Caller-ID-Number",
        "Custom-Application-Vars",
        "Custom-SIP-Headers",
        "Digits",
        "Direction",
        "From",
        "From-Realm",
        "Language",
        "Request",
        "Request-Realm",
        "To",
        "To-Realm",
        "User-ID",
    ]


def test_one_owner_is_plain_several_are_a_list() -> None:
    assert "User-ID" not in kazoo_params(CALL)
    one = KazooCall(account_id=ACCOUNT, call_id=CALL_ID, user_ids=("o1",))
    assert encode_form({"User-ID": kazoo_params(one)["User-ID"]}) == "User-ID=o1"
    two = KazooCall(account_id=ACCOUNT, call_id=CALL_ID, user_ids=("o1", "o2"))
    assert encode_form({"User-ID": kazoo_params(two)["User-ID"]}) == "User-ID[]=o1&User-ID[]=o2"


@pytest.mark.parametrize(
    ("text", "encoded"),
    [
        ("John Smith", "John+Smith"),
        ("+1@x", "%2B1%40x"),
        ("AZaz09.-~_", "AZaz09.-~_"),
        ("a/b?c#d&e=f", "a%2Fb%3Fc%23d%26e%3Df"),
        ("é", "%C3%A9"),  # UTF-8 bytes, upper-case hex
        ("*!'()", "%2A%21%27%28%29"),
    ],
)
def test_values_are_encoded_like_kz_http_util(text: str, encoded: str) -> None:
    assert urlencode_value(text) == encoded


def test_form_shapes() -> None:
    assert encode_form({"a": True, "b": False, "n": 3, "f": 1.5}) == "a=true&b=false&n=3&f=1.5"
    assert encode_form({"k": {"x": {"y": "1"}}}) == "k[x][y]=1"
    assert encode_form({"k": {"l": ["1", "2"]}}) == "k[l][]=1&k[l][]=2"
    assert encode_form({"a": {}, "b": "1", "c": [], "d": {}}) == "&b=1&&"
    assert encode_form({"X-Hdr [raw]": "v"}) == "X-Hdr [raw]=v"  # keys are never encoded
    assert encode_form({}) == ""


@pytest.mark.parametrize("bad", [{"a": None}, {"a": [{"b": "c"}]}, {"a": [["x"]]}, {"a": object()}])
def test_what_kazoo_cannot_encode_is_refused(bad: dict[str, Any]) -> None:
    with pytest.raises(TypeError):
        encode_form(bad)


def test_json_is_compact_utf8_without_escaped_slashes() -> None:
    assert encode_json({"u": "http://x/é", "l": ("a",)}) == '{"u":"http://x/é","l":["a"]}'


@pytest.mark.parametrize(
    ("voice_url", "expected_prefix"),
    [
        ("https://h.example/p", "https://h.example/p?Account-ID="),
        ("https://h.example/p?a=1&b=2", "https://h.example/p?a=1&b=2&Account-ID="),
        ("http://h.example:8080/p?t=x#frag", "http://h.example:8080/p?t=x&Account-ID="),
    ],
)
def test_get_appends_parameters_after_voice_url_query(voice_url: str, expected_prefix: str) -> None:
    url = pivot_http_request(CALL, voice_url).url
    assert url.startswith(expected_prefix)
    assert "#" not in url


def test_host_header_has_the_port_but_never_userinfo() -> None:
    request = pivot_http_request(CALL, "https://user:pw@h.example:8443/p", method="post")
    assert request.header("host") == "h.example:8443"


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"method": "put"}, "method"),
        ({"method": "post", "req_body_format": "xml"}, "req_body_format"),
        ({"voice_url": "ftp://h/p"}, "voice_url"),
        ({"voice_url": "/relative"}, "voice_url"),
    ],
)
def test_pivot_node_settings_kazoo_rejects(kwargs: dict[str, str], message: str) -> None:
    voice_url = kwargs.pop("voice_url", VOICE_URL)
    with pytest.raises(ValueError, match=message):
        pivot_http_request(CALL, voice_url, **kwargs)


def test_decoding_kazoo_output_gives_the_call_back() -> None:
    call = KazooCall(
        account_id=ACCOUNT,
        call_id=CALL_ID,
        caller_id_name="Smith, John & Sons",
        user_ids=("o1", "o2"),
        collections={"menu": "1", "pin": ""},
        custom_application_vars={"session": "a b+c", "flag": "true"},
        custom_sip_headers={"X-Account": "1;tag=2"},
    )
    expected = PivotRequest.from_params(kazoo_params(call))
    for method, body_format in (("get", "form"), ("post", "form"), ("post", "json")):
        request = pivot_http_request(call, VOICE_URL, method=method, req_body_format=body_format)
        if body_format == "json":
            params = json.loads(request.body)
        else:
            params = parse_params(request.raw_query if method == "get" else request.body.decode())
        decoded = PivotRequest.from_params(params)
        assert decoded == expected  # every field but raw
        assert decoded.user_ids == ("o1", "o2")
        assert decoded.digits("pin") == ""


# Names that survive Kazoo's unencoded keys: no separators, brackets, escapes or '+'.
_names = st.text(
    alphabet=st.characters(codec="utf-8", exclude_characters="&=[]%+"),
    min_size=1,
    max_size=12,
)
_values = st.text(alphabet=st.characters(codec="utf-8"), max_size=20)
_trees = st.recursive(
    _values | st.lists(_values, min_size=1, max_size=3),
    lambda inner: st.dictionaries(_names, inner, min_size=1, max_size=4),
    max_leaves=12,
)


@settings(max_examples=100, deadline=None)
@given(params=st.dictionaries(_names, _trees, max_size=8))
def test_encode_then_parse_round_trips(params: dict[str, Any]) -> None:
    assert parse_params(encode_form(params)) == params


@settings(max_examples=50, deadline=None)
@given(params=st.dictionaries(_names, _trees | st.just({}), max_size=8))
def test_empty_objects_become_empty_segments_that_parse_away(params: dict[str, Any]) -> None:
    assert parse_params(encode_form(params)) == {k: v for k, v in params.items() if v != {}}
