"""decode_pivot_request and query_params: which part of the HTTP request is read, and how."""

from __future__ import annotations

import json

import pytest

from pivotkit.errors import BadRequest, MethodNotAllowed, NotAPivotRequest, UnsupportedMediaType
from pivotkit.http import HttpRequest
from pivotkit.request import (
    MAX_DEPTH,
    MAX_PARAMS,
    decode_pivot_request,
    parse_json_object,
    query_params,
)

ACCOUNT = "3a1f0e2d4c5b6a7980f1e2d3c4b5a697"
FORM = f"Account-ID={ACCOUNT}&Call-ID=c1%4010.0.0.5&Digits[menu]=3&User-ID=u1"
JSON_BODY = {"Account-ID": ACCOUNT, "Call-ID": "c1@10.0.0.5", "Digits": {"menu": "3"}}


def http(
    method: str = "GET",
    *,
    query: str = "",
    body: bytes = b"",
    content_type: str | None = None,
) -> HttpRequest:
    headers = {} if content_type is None else {"content-type": content_type}
    return HttpRequest(
        method=method, path="/pivot/acme", raw_query=query, headers=headers, body=body
    )


def test_get_reads_the_query_string() -> None:
    decoded = decode_pivot_request(http(query=f"token=T&step=menu&{FORM}"))
    assert decoded.call_id == "c1@10.0.0.5"
    assert decoded.digits("menu") == "3"
    assert decoded.user_ids == ("u1",)
    assert decoded.raw["token"] == "T"  # continuation parameters stay visible in raw


def test_get_ignores_any_body() -> None:
    decoded = decode_pivot_request(http(query=FORM, body=b"Call-ID=other"))
    assert decoded.call_id == "c1@10.0.0.5"


@pytest.mark.parametrize(
    "content_type",
    [
        "application/x-www-form-urlencoded",
        "Application/X-WWW-Form-Urlencoded; charset=UTF-8",
        None,  # a POST without Content-Type is tried as a form
    ],
)
def test_post_form_reads_the_body_not_the_query(content_type: str | None) -> None:
    request = http(
        "POST", query="token=T&Call-ID=forged", body=FORM.encode(), content_type=content_type
    )
    decoded = decode_pivot_request(request)
    assert decoded.call_id == "c1@10.0.0.5"
    assert "token" not in decoded.raw


def test_post_json_reads_the_object() -> None:
    body = json.dumps(JSON_BODY).encode()
    decoded = decode_pivot_request(http("POST", body=body, content_type="application/json"))
    assert decoded.call_id == "c1@10.0.0.5"
    assert decoded.digits("menu") == "3"


def test_lower_case_method_names_are_accepted() -> None:
    assert decode_pivot_request(http("get", query=FORM)).call_id == "c1@10.0.0.5"


@pytest.mark.parametrize("method", ["HEAD", "PUT", "DELETE", "PATCH", "OPTIONS", ""])
def test_other_methods_are_not_allowed(method: str) -> None:
    with pytest.raises(MethodNotAllowed):
        decode_pivot_request(http(method, query=FORM))


@pytest.mark.parametrize(
    "content_type", ["text/plain", "multipart/form-data; boundary=x", "application/xml"]
)
def test_post_with_another_content_type_is_unsupported(content_type: str) -> None:
    with pytest.raises(UnsupportedMediaType) as caught:
        decode_pivot_request(http("POST", body=FORM.encode(), content_type=content_type))
    assert caught.value.status == 415


def test_post_form_body_must_be_utf8() -> None:
    with pytest.raises(BadRequest, match="UTF-8"):
        decode_pivot_request(http("POST", body=b"Call-ID=\xff", content_type=None))


def test_empty_post_is_not_a_pivot_request() -> None:
    with pytest.raises(NotAPivotRequest, match="missing Account-ID, Call-ID"):
        decode_pivot_request(http("POST", content_type="application/x-www-form-urlencoded"))


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (b"", "not valid JSON"),
        (b"{", "not valid JSON"),
        (b'{"a": NaN}', "not valid JSON"),
        (b'{"a": Infinity}', "not valid JSON"),
        (b"\xff\xfe{}", "not valid JSON"),
        (b'{"a": 1' + b"0" * 5000 + b"}", "not valid JSON"),  # past int's digit limit
        (b"[1, 2]", "not an object"),
        (b'"text"', "not an object"),
        (b"null", "not an object"),
        (b"[" * 50_000 + b"]" * 50_000, "nested too deeply"),
        (b'{"a": "\\ud800"}', "surrogate"),
    ],
)
def test_bad_json_bodies(body: bytes, message: str) -> None:
    with pytest.raises(BadRequest, match=message):
        decode_pivot_request(http("POST", body=body, content_type="application/json"))


def test_json_paired_surrogate_escapes_are_fine() -> None:
    assert parse_json_object(b'{"a": "\\ud83d\\udcde"}') == {"a": "📞"}


def test_json_limits_match_the_form_limits() -> None:
    deepest: object = "v"
    for _ in range(MAX_DEPTH):
        deepest = {"x": deepest}
    assert parse_json_object(json.dumps({"a": deepest}).encode())["a"] == deepest
    with pytest.raises(BadRequest, match="nested"):
        parse_json_object(json.dumps({"a": [deepest]}).encode())
    with pytest.raises(BadRequest, match="more than"):
        parse_json_object(json.dumps({"a": list(range(MAX_PARAMS))}).encode())


def test_query_params_are_flat_and_last_wins() -> None:
    request = http("POST", query="token=T1&step=menu&seq=4&hop=2&g=menu_2&token=T2&Digits[x]=1&&")
    assert query_params(request) == {
        "token": "T2",
        "step": "menu",
        "seq": "4",
        "hop": "2",
        "g": "menu_2",
        "Digits[x]": "1",
    }


def test_query_params_reject_garbage_like_the_decoder() -> None:
    with pytest.raises(BadRequest):
        query_params(http(query="token=%ZZ"))
