"""Lambda events for Kazoo's requests: realistic shapes, and read back to the same request."""

from __future__ import annotations

import base64
from datetime import UTC, datetime
from typing import Any

import pytest

from pivotkit.http import from_lambda_event
from pivotkit.local.events import (
    EVENT_SHAPES,
    EventContext,
    EventShape,
    endpoint_url,
    function_url_event,
    http_v2_event,
    lambda_event,
    rest_v1_event,
)
from pivotkit.local.kazoo_encoding import KazooCall, KazooHttpRequest, pivot_http_request
from pivotkit.request import PivotRequest, decode_pivot_request, query_params

ACCOUNT = "3a1f0e2d4c5b6a7980f1e2d3c4b5a697"
CONTEXT = EventContext(
    request_id="c6af9ac6-7b61-11e6-9a41-93e8deadbeef",
    time=datetime(2026, 3, 4, 19, 15, 17, tzinfo=UTC),
)
# Everything that has bitten Pivot decoders: commas (gateways comma-join repeated keys),
# repeated User-ID[], digits incl. an empty collection, nested vars, SIP headers, UTF-8.
CALL = KazooCall(
    account_id=ACCOUNT,
    call_id="5f3c2a1b7d6e4f80,9a1b@10.0.0.5",
    caller_id_name="Smith, John",
    user_ids=("owner-a", "owner,b"),
    collections={"menu_1": "1", "pin_2": ""},
    custom_application_vars={"session": "a,b c+d", "lang": "français"},
    custom_sip_headers={"X-Account-Tag": "v=1;tag=2,3"},
)
VARIANTS = [("get", "form"), ("post", "form"), ("post", "json")]


def kazoo_request(shape: EventShape, method: str, body_format: str) -> KazooHttpRequest:
    url = endpoint_url(shape, "acme") + "?token=S3CR3T&step=menu&hop=2&seq=1&g=menu_1"
    return pivot_http_request(CALL, url, method=method, req_body_format=body_format)


EXPECTED = PivotRequest.from_params(
    {
        "Account-ID": ACCOUNT,
        "Call-ID": CALL.call_id,
        "Api-Version": "4.x",
        "Caller-ID-Name": CALL.caller_id_name,
        "Caller-ID-Number": CALL.caller_id_number,
        "Custom-Application-Vars": dict(CALL.custom_application_vars),
        "Custom-SIP-Headers": dict(CALL.custom_sip_headers),
        "Digits": dict(CALL.collections or {}),
        "Direction": "inbound",
        "From": CALL.from_user,
        "From-Realm": CALL.from_realm,
        "Language": CALL.language,
        "Request": CALL.request_user,
        "Request-Realm": CALL.request_realm,
        "To": CALL.to_user,
        "To-Realm": CALL.to_realm,
        "User-ID": list(CALL.user_ids),
    }
)


@pytest.mark.parametrize("shape", EVENT_SHAPES)
@pytest.mark.parametrize(("method", "body_format"), VARIANTS)
def test_every_shape_reads_back_to_the_same_pivot_request(
    shape: EventShape, method: str, body_format: str
) -> None:
    event = lambda_event(kazoo_request(shape, method, body_format), shape, context=CONTEXT)
    http = from_lambda_event(event)
    assert http.method == method.upper()
    assert http.path == "/pivot/acme"
    decoded = decode_pivot_request(http)
    assert decoded == EXPECTED  # every field but raw
    assert decoded.user_ids == ("owner-a", "owner,b")
    assert decoded.digits("pin_2") == ""
    continuation = query_params(http)
    assert continuation["token"] == "S3CR3T"
    assert (continuation["step"], continuation["hop"], continuation["seq"]) == ("menu", "2", "1")
    assert continuation["g"] == "menu_1"


@pytest.mark.parametrize("shape", EVENT_SHAPES)
def test_base_url_is_where_kazoo_reaches_the_api(shape: EventShape) -> None:
    event = lambda_event(kazoo_request(shape, "get", "form"), shape, context=CONTEXT)
    assert from_lambda_event(event).base_url + "/pivot/acme" == endpoint_url(shape, "acme")


def test_rest_v1_event_shape() -> None:
    event = rest_v1_event(kazoo_request("v1", "get", "form"), context=CONTEXT)
    assert "rawQueryString" not in event and "version" not in event
    assert event["resource"] == "/pivot/{customer}"
    assert event["path"] == "/pivot/acme"
    assert event["pathParameters"] == {"customer": "acme"}
    assert event["httpMethod"] == "GET"
    assert event["body"] is None and event["isBase64Encoded"] is False
    multi = event["multiValueQueryStringParameters"]
    assert multi["User-ID[]"] == ["owner-a", "owner,b"]  # decoded, one entry per value
    assert multi["Caller-ID-Name"] == ["Smith, John"]
    assert multi["Custom-Application-Vars[session]"] == ["a,b c+d"]
    assert event["queryStringParameters"]["User-ID[]"] == "owner,b"  # last value wins
    context = event["requestContext"]
    assert context["stage"] == "prod"
    assert context["path"] == "/prod/pivot/acme"
    assert context["resourcePath"] == "/pivot/{customer}"
    assert context["requestId"] == CONTEXT.request_id
    assert context["requestTime"] == "04/Mar/2026:19:15:17 +0000"
    assert context["requestTimeEpoch"] == 1772651717000
    assert context["domainName"] == "a1b2c3d4e5.execute-api.us-east-1.amazonaws.com"
    assert context["identity"]["sourceIp"] == CONTEXT.source_ip
    assert event["headers"]["X-Forwarded-Proto"] == "https"
    assert event["multiValueHeaders"]["host"] == [context["domainName"]]
    # hop-by-hop headers httpc sends never reach the integration
    assert "te" not in event["headers"] and "connection" not in event["headers"]


def test_rest_v1_post_form_body_is_text_unless_a_binary_media_type() -> None:
    request = kazoo_request("v1", "post", "form")
    event = rest_v1_event(request, context=CONTEXT)
    assert event["isBase64Encoded"] is False
    assert event["body"] == request.body.decode()
    assert event["multiValueQueryStringParameters"] == {
        "token": ["S3CR3T"],
        "step": ["menu"],
        "hop": ["2"],
        "seq": ["1"],
        "g": ["menu_1"],
    }
    binary = rest_v1_event(
        request, context=CONTEXT, binary_media_types=("application/x-www-form-urlencoded",)
    )
    assert binary["isBase64Encoded"] is True
    assert base64.b64decode(binary["body"]) == request.body
    assert decode_pivot_request(from_lambda_event(binary)) == EXPECTED


def test_rest_v1_without_query_has_null_maps() -> None:
    request = pivot_http_request(CALL, endpoint_url("v1", "acme"), method="post")
    event = rest_v1_event(request, context=CONTEXT)
    assert event["queryStringParameters"] is None
    assert event["multiValueQueryStringParameters"] is None


def test_http_v2_event_shape() -> None:
    request = kazoo_request("v2", "get", "form")
    event = http_v2_event(request, context=CONTEXT)
    assert event["version"] == "2.0"
    assert event["routeKey"] == "ANY /pivot/{customer}"
    assert event["rawPath"] == "/pivot/acme"
    assert event["rawQueryString"] == request.raw_query
    assert event["pathParameters"] == {"customer": "acme"}
    # what a decoder must NOT read: repeated keys and commas inside values merge
    assert event["queryStringParameters"]["User-ID[]"] == "owner-a,owner,b"
    assert "body" not in event and event["isBase64Encoded"] is False
    context = event["requestContext"]
    assert context["http"]["method"] == "GET"
    assert context["http"]["path"] == "/pivot/acme"
    assert context["http"]["sourceIp"] == CONTEXT.source_ip
    assert context["stage"] == "$default"
    assert context["routeKey"] == "ANY /pivot/{customer}"
    assert context["timeEpoch"] == 1772651717000
    assert all(name == name.lower() for name in event["headers"])


@pytest.mark.parametrize(("body_format", "base64_encoded"), [("form", True), ("json", False)])
def test_v2_and_function_url_base64_encode_form_bodies(
    body_format: str, base64_encoded: bool
) -> None:
    for shape in ("v2", "url"):
        request = kazoo_request(shape, "post", body_format)
        event = lambda_event(request, shape, context=CONTEXT)
        assert event["isBase64Encoded"] is base64_encoded
        body = base64.b64decode(event["body"]) if base64_encoded else event["body"].encode()
        assert body == request.body


def test_function_url_event_shape() -> None:
    event = function_url_event(kazoo_request("url", "get", "form"), context=CONTEXT)
    assert event["routeKey"] == "$default"
    assert "pathParameters" not in event
    context = event["requestContext"]
    assert context["stage"] == "$default"
    assert context["accountId"] == "anonymous"
    assert context["domainName"].endswith(".lambda-url.us-east-1.on.aws")
    assert context["apiId"] == context["domainName"].split(".")[0]
    assert event["headers"]["x-forwarded-proto"] == "https"


def test_rest_v1_stage_prefix_only_stripped_when_present() -> None:
    # A custom domain without a base path: the request path carries no stage.
    request = pivot_http_request(CALL, "https://pivot.example.com/pivot/acme?token=t")
    event = rest_v1_event(request, context=CONTEXT)
    assert event["path"] == event["requestContext"]["path"] == "/pivot/acme"
    http = from_lambda_event(event)
    assert (http.path, http.base_url) == ("/pivot/acme", "https://pivot.example.com")


def test_unmatched_route_has_no_path_parameters() -> None:
    request = pivot_http_request(CALL, "https://a.execute-api.us-east-1.amazonaws.com/prod/other")
    v1: dict[str, Any] = rest_v1_event(request, context=CONTEXT)
    assert v1["pathParameters"] is None
    assert v1["resource"] == "/other"
    assert "pathParameters" not in http_v2_event(request, context=CONTEXT)


def test_unknown_shape_is_refused() -> None:
    with pytest.raises(ValueError, match="shape"):
        lambda_event(kazoo_request("url", "get", "form"), "alb", context=CONTEXT)  # type: ignore[arg-type]


def test_default_context_is_fresh_per_event() -> None:
    request = kazoo_request("url", "get", "form")
    first = lambda_event(request, "url")["requestContext"]["requestId"]
    second = lambda_event(request, "url")["requestContext"]["requestId"]
    assert first != second
