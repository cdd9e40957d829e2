"""``pivotkit replay`` sends each event to the function API Gateway would have invoked.

It routes on the path the handlers see (``pivotkit.http``): a REST API's stage, a custom
domain's base path mapping and SAM's catch-all ``/{proxy+}`` resource do not change which
function answers.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pytest

from pivotkit.local.events import EventContext, lambda_event, rest_v1_event
from pivotkit.local.kazoo_encoding import KazooCall, KazooHttpRequest, pivot_http_request
from pivotkit.local.replaying import invoke
from pivotkit.local.runtime import LocalRuntime

CONTEXT = EventContext(request_id="req-1")
CALL = KazooCall(account_id="3a1f0e2d4c5b6a7980f1e2d3c4b5a697", call_id="route-1@test")


class Named:
    """A function that answers with its own name, so the test sees which one ran."""

    def __init__(self, name: str) -> None:
        self.name = name

    def __call__(self, event: Mapping[str, Any], context: Any) -> Mapping[str, Any]:
        return {"statusCode": 200, "headers": {}, "body": self.name}


def runtime(environment: dict[str, str] | None = None) -> LocalRuntime:
    return LocalRuntime(
        customers={},
        tokens={},
        functions={"pivot": Named("pivot"), "media": Named("media")},
        backend="memory",
        backend_detail="memory",
        environment=environment or {},
    )


def pivot(url: str) -> KazooHttpRequest:
    return pivot_http_request(CALL, url)


def media_put(url: str) -> KazooHttpRequest:
    headers = (("host", "pivot.example.com"), ("content-type", "audio/mpeg"))
    return KazooHttpRequest("PUT", url, headers, b"ID3audio")


EVENTS: dict[str, tuple[dict[str, Any], str]] = {
    "REST stage": (
        lambda_event(pivot("https://a1.execute-api.us-east-1.amazonaws.com/prod/pivot/acme"), "v1"),
        "pivot",
    ),
    "REST /{proxy+}": (
        rest_v1_event(
            pivot("https://a1.execute-api.us-east-1.amazonaws.com/prod/pivot/acme?token=t"),
            route="/{proxy+}",
            context=CONTEXT,
        ),
        "pivot",
    ),
    "REST /{proxy+} media": (
        rest_v1_event(
            media_put("https://a1.execute-api.us-east-1.amazonaws.com/prod/media/acme/t/c.mp3"),
            route="/{proxy+}",
            context=CONTEXT,
        ),
        "media",
    ),
    "REST base path mapping": (
        rest_v1_event(
            pivot("https://pivot.example.com/kazoo/pivot/acme?token=t"),
            base_path="/kazoo",
            context=CONTEXT,
        ),
        "pivot",
    ),
    "REST base path mapping, /{proxy+} media": (
        rest_v1_event(
            media_put("https://pivot.example.com/kazoo/media/acme/t/c.mp3"),
            base_path="/kazoo",
            route="/{proxy+}",
            context=CONTEXT,
        ),
        "media",
    ),
    "HTTP API": (
        lambda_event(pivot("https://a1.execute-api.eu-west-1.amazonaws.com/pivot/acme"), "v2"),
        "pivot",
    ),
}


@pytest.mark.parametrize(("event", "function"), EVENTS.values(), ids=EVENTS.keys())
def test_replay_invokes_the_function_the_gateway_would(
    event: dict[str, Any], function: str
) -> None:
    assert invoke(runtime(), event).body == function.encode()


def test_a_public_url_with_a_path_routes_as_the_handlers_see_it() -> None:
    """An HTTP API behind a mapping the event does not show: PIVOTKIT_PUBLIC_URL says it."""
    event = lambda_event(pivot("https://pivot.example.com/kazoo/media/acme"), "v2")
    with pytest.raises(ValueError, match="neither a /pivot nor a /media route"):
        invoke(runtime(), event)
    public = runtime({"PIVOTKIT_PUBLIC_URL": "https://pivot.example.com/kazoo"})
    assert invoke(public, event).body == b"media"


@pytest.mark.parametrize(
    "event",
    [
        {"version": "2.0", "rawPath": "/admin", "requestContext": {}},
        {"httpMethod": "GET", "path": "/x/pivot", "resource": "/{proxy+}"},
        {"not": "http"},
    ],
)
def test_events_no_function_takes_are_refused(event: dict[str, Any]) -> None:
    with pytest.raises(ValueError):
        invoke(runtime(), event)


def test_the_base_path_mapping_event_has_the_gateways_shape() -> None:
    """Behind a custom domain's base path mapping the REST API puts the mapping in ``path``
    and ``requestContext.path`` alike, routes on the rest and names no stage in either."""
    event = rest_v1_event(
        pivot("https://pivot.example.com/kazoo/pivot/acme?token=t"),
        base_path="/kazoo",
        context=CONTEXT,
    )
    assert event["path"] == event["requestContext"]["path"] == "/kazoo/pivot/acme"
    assert event["resource"] == event["requestContext"]["resourcePath"] == "/pivot/{customer}"
    assert event["pathParameters"] == {"customer": "acme"}
    with pytest.raises(ValueError, match="base path"):
        rest_v1_event(pivot("https://pivot.example.com/pivot/acme"), base_path="/kazoo")
