"""pivotkit.http.from_lambda_event feeding the decoder: the parts decoding relies on."""

from __future__ import annotations

from typing import Any

import pytest

from pivotkit.errors import BadRequest
from pivotkit.http import from_lambda_event
from pivotkit.request import decode_pivot_request, parse_params

ACCOUNT = "3a1f0e2d4c5b6a7980f1e2d3c4b5a697"


def rest_event(multi: dict[str, list[str]]) -> dict[str, Any]:
    return {
        "resource": "/pivot/{customer}",
        "path": "/pivot/acme",
        "httpMethod": "GET",
        "headers": None,
        "multiValueHeaders": None,
        "queryStringParameters": {key: values[-1] for key, values in multi.items()},
        "multiValueQueryStringParameters": multi,
        "requestContext": {"stage": "prod", "path": "/prod/pivot/acme"},
        "body": None,
        "isBase64Encoded": False,
    }


def test_rest_query_rebuild_keeps_commas_repeats_and_reserved_characters() -> None:
    event = rest_event(
        {
            "Account-ID": [ACCOUNT],
            "Call-ID": ["a,b@10.0.0.5"],
            "Caller-ID-Name": ["Smith, John & Co = 100% +1"],
            "User-ID[]": ["u1", "u2,still-u2"],
            "Custom-SIP-Headers[X-Foo]": ["~café☎"],
            "Digits[menu]": [""],
        }
    )
    decoded = decode_pivot_request(from_lambda_event(event))
    assert decoded.call_id == "a,b@10.0.0.5"
    assert decoded.caller_id_name == "Smith, John & Co = 100% +1"
    assert decoded.user_ids == ("u1", "u2,still-u2")
    assert decoded.custom_sip_headers == {"X-Foo": "~café☎"}
    assert decoded.digits("menu") == ""


def test_rest_query_falls_back_to_the_single_value_map() -> None:
    event = rest_event({})
    event["multiValueQueryStringParameters"] = None
    event["queryStringParameters"] = {"token": "a b+c"}
    assert parse_params(from_lambda_event(event).raw_query) == {"token": "a b+c"}


@pytest.mark.parametrize(
    "multi",
    [
        {"From": ["\ud800"]},  # an unpaired surrogate from a JSON escape
        {"Digits[\udfff]": ["1"]},
    ],
)
def test_rest_query_with_unpaired_surrogates_is_a_bad_request(
    multi: dict[str, list[str]],
) -> None:
    event = rest_event({"Account-ID": [ACCOUNT], "Call-ID": ["c"], **multi})
    with pytest.raises(BadRequest, match="UTF-8"):
        decode_pivot_request(from_lambda_event(event))


def test_rest_query_with_an_unpaired_surrogate_in_a_display_field_still_decodes() -> None:
    # Caller-ID-Name is free text: its bytes are repaired, not refused.
    event = rest_event({"Account-ID": [ACCOUNT], "Call-ID": ["c"], "Caller-ID-Name": ["\ud800"]})
    assert decode_pivot_request(from_lambda_event(event)).caller_id_name == "\xed\xa0\ufffd"


def test_v2_raw_query_string_is_read_as_sent() -> None:
    event = {
        "version": "2.0",
        "rawPath": "/pivot/acme",
        "rawQueryString": f"Account-ID={ACCOUNT}&Call-ID=c&User-ID[]=a%2Cb&User-ID[]=c",
        "queryStringParameters": {"User-ID[]": "a,b,c"},  # what not to read
        "headers": {},
        "requestContext": {"http": {"method": "GET"}, "stage": "$default"},
        "isBase64Encoded": False,
    }
    assert decode_pivot_request(from_lambda_event(event)).user_ids == ("a,b", "c")


def test_unpaired_surrogate_in_a_plain_text_body_is_a_bad_request() -> None:
    event = {
        "version": "2.0",
        "rawPath": "/pivot/acme",
        "rawQueryString": "",
        "headers": {"content-type": "application/x-www-form-urlencoded"},
        "requestContext": {"http": {"method": "POST"}, "stage": "$default"},
        "body": f"Account-ID={ACCOUNT}&Call-ID=\ud800",
        "isBase64Encoded": False,
    }
    with pytest.raises(BadRequest, match="UTF-8"):
        decode_pivot_request(from_lambda_event(event))


@pytest.mark.parametrize(
    ("context", "base_url"),
    [
        # execute-api domain: requestContext.path carries the stage
        (
            {"stage": "prod", "path": "/prod/pivot/acme", "domainName": "a.execute-api.aws"},
            "https://a.execute-api.aws/prod",
        ),
        # custom domain with a base path mapping
        (
            {"stage": "prod", "path": "/voice/pivot/acme", "domainName": "pivot.example.com"},
            "https://pivot.example.com/voice",
        ),
        # custom domain without a base path: no stage in the URL Kazoo calls
        (
            {"stage": "prod", "path": "/pivot/acme", "domainName": "pivot.example.com"},
            "https://pivot.example.com",
        ),
        # no requestContext.path at all (hand-written events): the stage is the best guess
        ({"stage": "prod", "domainName": "a.execute-api.aws"}, "https://a.execute-api.aws/prod"),
    ],
)
def test_rest_base_url(context: dict[str, str], base_url: str) -> None:
    event = rest_event({})
    event["requestContext"] = context
    http = from_lambda_event(event)
    assert (http.path, http.base_url) == ("/pivot/acme", base_url)


@pytest.mark.parametrize(
    ("raw_path", "stage", "path", "base_url"),
    [
        ("/pivot/acme", "$default", "/pivot/acme", "https://h.example"),
        ("/prod/pivot/acme", "prod", "/pivot/acme", "https://h.example/prod"),
        # a custom domain mapped to a named stage: rawPath has no stage in it
        ("/pivot/acme", "prod", "/pivot/acme", "https://h.example"),
    ],
)
def test_v2_stage_prefix(raw_path: str, stage: str, path: str, base_url: str) -> None:
    event = {
        "version": "2.0",
        "rawPath": raw_path,
        "rawQueryString": "",
        "headers": {},
        "requestContext": {"http": {"method": "GET"}, "stage": stage, "domainName": "h.example"},
    }
    http = from_lambda_event(event)
    assert (http.path, http.base_url) == (path, base_url)


def _rest_on_custom_domain(path: str, resource: str, params: dict[str, str]) -> dict[str, Any]:
    event = rest_event({})
    event.update({"path": path, "resource": resource, "pathParameters": params})
    event["requestContext"] = {"stage": "prod", "path": path, "domainName": "api.example.com"}
    return event


@pytest.mark.parametrize(
    ("path", "resource", "params", "routed"),
    [
        # a base path mapping "kazoo": path and requestContext.path both carry it
        ("/kazoo/pivot/acme", "/pivot/{customer}", {"customer": "acme"}, "/pivot/acme"),
        ("/kazoo/pivot/acme", "/pivot/acme", {}, "/pivot/acme"),
        (
            "/kazoo/media/acme/recordings/c1.mp3",
            "/media/{customer}/{proxy+}",
            {"customer": "acme", "proxy": "recordings/c1.mp3"},
            "/media/acme/recordings/c1.mp3",
        ),
        ("/a/b/pivot/acme", "/{proxy+}", {"proxy": "pivot/acme"}, "/pivot/acme"),
    ],
)
def test_rest_base_path_mapping_is_removed_from_the_routed_path(
    path: str, resource: str, params: dict[str, str], routed: str
) -> None:
    http = from_lambda_event(_rest_on_custom_domain(path, resource, params))
    base_path = path[: -len(routed)]
    assert (http.path, http.base_url) == (routed, f"https://api.example.com{base_path}")


def test_rest_path_not_matching_its_resource_is_left_alone() -> None:
    event = _rest_on_custom_domain("/kazoo/other/acme", "/pivot/{customer}", {})
    assert from_lambda_event(event).path == "/kazoo/other/acme"


@pytest.mark.parametrize("raw_path", ["/kazoo/pivot/acme", "/pivot/acme"])
def test_public_url_with_a_path_strips_that_path(raw_path: str) -> None:
    event = {
        "version": "2.0",
        "rawPath": raw_path,
        "rawQueryString": "",
        "headers": {},
        "requestContext": {"http": {"method": "GET"}, "stage": "$default"},
    }
    http = from_lambda_event(event, public_url="https://voice.example.com/kazoo/")
    assert (http.path, http.base_url) == ("/pivot/acme", "https://voice.example.com/kazoo")


def _v2_with_headers(headers: dict[str, str], domain: str | None) -> dict[str, Any]:
    context: dict[str, Any] = {"http": {"method": "GET"}, "stage": "$default"}
    if domain is not None:
        context["domainName"] = domain
    return {
        "version": "2.0",
        "rawPath": "/pivot/acme",
        "rawQueryString": "",
        "headers": headers,
        "requestContext": context,
    }


@pytest.mark.parametrize(
    ("proto", "scheme"),
    [
        ("http", "http"),
        ("HTTPS", "https"),
        ("http, https", "http"),
        ("https://evil.example/steal?x=", "https"),
        ("javascript", "https"),
        ("ftp", "https"),
        ("", "https"),
    ],
)
def test_forwarded_proto_only_names_http_or_https(proto: str, scheme: str) -> None:
    event = _v2_with_headers({"x-forwarded-proto": proto}, "h.example")
    assert from_lambda_event(event).base_url == f"{scheme}://h.example"


@pytest.mark.parametrize(
    ("host", "expected"),
    [
        ("evil.example", "https://h.example"),  # the API's own domain wins
    ],
)
def test_host_header_never_overrides_the_apis_domain(host: str, expected: str) -> None:
    event = _v2_with_headers({"host": host}, "h.example")
    assert from_lambda_event(event).base_url == expected


@pytest.mark.parametrize(
    ("host", "expected"),
    [
        ("h.example:8080", "https://h.example:8080"),
        ("[::1]:9000", "https://[::1]:9000"),
        # not a plain host: dropped, so the URL has no host rather than a hostile one
        ("evil.example/steal?x=", "https:"),
        ("user@evil.example", "https:"),
    ],
)
def test_host_header_without_a_domain_name_must_be_a_plain_host(host: str, expected: str) -> None:
    event = _v2_with_headers({"host": host}, None)
    assert from_lambda_event(event).base_url == expected


def test_forwarded_headers_cannot_move_a_configured_public_url() -> None:
    headers = {"x-forwarded-proto": "https://evil.example/steal?x=", "host": "evil.example"}
    event = _v2_with_headers(headers, "h.example")
    assert from_lambda_event(event, public_url="https://voice.example.com").base_url == (
        "https://voice.example.com"
    )
