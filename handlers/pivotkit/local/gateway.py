"""What API Gateway's HTTP API does around a Lambda: routes, v2 events, proxy results.

``pivotkit serve`` and the in-process transport of ``pivotkit call`` both turn an HTTP
request into the payload-format-2.0 event a deployed HTTP API delivers, and the function's
proxy result back into an HTTP response, with the gateway's own rules:

- headers lower-cased, repeated headers comma-joined, cookies moved to ``cookies``;
- ``rawPath`` and ``rawQueryString`` exactly as sent (percent-encoding kept), plus the
  parsed ``queryStringParameters`` (repeated keys comma-joined, as the gateway does);
- the body as a UTF-8 string only for ``text/*``, ``application/json``, ``application/xml``
  and ``application/javascript``; anything else, form bodies and a missing Content-Type
  included, arrives base64-encoded with ``isBase64Encoded: true`` (as observed on AWS);
- no ``body`` key at all when the request has none.
"""

from __future__ import annotations

import base64
import binascii
import time
import uuid
from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl, unquote

from pivotkit.local.lambda_context import LOCAL_ACCOUNT

LOCAL_API_ID = "local"
_TEXT_TYPES = ("application/json", "application/xml", "application/javascript")
# Hop-by-hop headers end at the gateway; the integration never sees them.
_HOP_BY_HOP = frozenset({"connection", "te", "keep-alive", "transfer-encoding", "upgrade"})


@dataclass(frozen=True, slots=True)
class RouteMatch:
    """Which function serves a path, and the route's key and path parameters."""

    function: str  # "pivot", "media" or "hooks"
    customer: str
    route_key: str
    path_parameters: Mapping[str, str]


PIVOT_METHODS = frozenset({"GET", "POST"})
MEDIA_METHODS = frozenset({"GET", "PUT", "POST"})
WEBHOOK_METHODS = frozenset({"GET", "POST", "PUT"})  # Kazoo's webhook http_verb values


def match_route(
    method: str, raw_path: str, customers: Collection[str] | None = None
) -> RouteMatch | None:
    """The routes of the local gateway, or ``None`` where it answers 404. Deployed, each
    customer has its own Function URL, which hands the function the same payload-2.0 event
    for any path; ``pivotkit.aws.customer_entry`` then sends ``/media/`` to the media handler
    and the rest to the Pivot handler.

    Pivot routes are literal per customer (``GET|POST /pivot/acme`` and
    ``/pivot/acme/{proxy+}``), so an unknown customer never reaches a function; media
    routes take the customer as a parameter (``GET|PUT|POST /media/{customer}/{proxy+}``);
    call webhooks are literal per customer too (``GET|POST|PUT /hooks/acme``).
    ``customers=None`` accepts any slug (the functions then answer for unknown ones).
    """
    verb = method.upper()
    segments = raw_path.split("/")[1:] if raw_path.startswith("/") else []
    if len(segments) < 2 or not segments[1]:
        return None
    head, customer, rest = segments[0], unquote(segments[1]), "/".join(segments[2:])
    if head == "pivot" and verb in PIVOT_METHODS:
        if customers is not None and customer not in customers:
            return None
        if rest:
            key = f"{verb} /pivot/{customer}/{{proxy+}}"
            return RouteMatch("pivot", customer, key, {"proxy": unquote(rest)})
        return RouteMatch("pivot", customer, f"{verb} /pivot/{customer}", {})
    if head == "hooks" and verb in WEBHOOK_METHODS and not rest:
        if customers is not None and customer not in customers:
            return None
        return RouteMatch("hooks", customer, f"{verb} /hooks/{customer}", {})
    if head == "media" and verb in MEDIA_METHODS:
        if rest:
            key = f"{verb} /media/{{customer}}/{{proxy+}}"
            params = {"customer": customer, "proxy": unquote(rest)}
            return RouteMatch("media", customer, key, params)
        key = f"{verb} /media/{{customer}}"
        return RouteMatch("media", customer, key, {"customer": customer})
    return None


def is_text_body(content_type: str | None) -> bool:
    """Whether the HTTP API passes a body with this Content-Type as text."""
    media_type = (content_type or "").split(";", 1)[0].strip().lower()
    return media_type.startswith("text/") or media_type in _TEXT_TYPES


def http_api_event(
    *,
    method: str,
    target: str,
    headers: Iterable[tuple[str, str]],
    body: bytes,
    domain_name: str,
    source_ip: str = "127.0.0.1",
    request_id: str | None = None,
    now: float | None = None,
    route: RouteMatch | None = None,
) -> dict[str, Any]:
    """The HTTP API (payload format 2.0) event for one request.

    ``target`` is the request target as sent (``/pivot/acme?token=...``); ``headers`` are the
    request's headers in order, repeated names allowed.
    """
    raw_path, _, raw_query = target.partition("?")
    joined: dict[str, str] = {}
    cookies: list[str] = []
    for name, value in headers:
        lowered = name.lower()
        if lowered in _HOP_BY_HOP:
            continue
        if lowered == "cookie":
            cookies.extend(c.strip() for c in value.split(";") if c.strip())
            continue
        joined[lowered] = f"{joined[lowered]},{value}" if lowered in joined else value
    joined.setdefault("host", domain_name)
    joined.setdefault("x-forwarded-for", source_ip)
    epoch = time.time() if now is None else now
    route = route or match_route(method, raw_path)
    route_key = route.route_key if route else "$default"
    event: dict[str, Any] = {
        "version": "2.0",
        "routeKey": route_key,
        "rawPath": raw_path or "/",
        "rawQueryString": raw_query,
        "headers": joined,
        "requestContext": {
            "accountId": LOCAL_ACCOUNT,
            "apiId": LOCAL_API_ID,
            "domainName": domain_name,
            "domainPrefix": domain_name.split(".", 1)[0].split(":", 1)[0],
            "http": {
                "method": method.upper(),
                "path": raw_path or "/",
                "protocol": "HTTP/1.1",
                "sourceIp": source_ip,
                "userAgent": joined.get("user-agent", ""),
            },
            "requestId": request_id or str(uuid.uuid4()),
            "routeKey": route_key,
            "stage": "$default",
            "time": time.strftime("%d/%b/%Y:%H:%M:%S +0000", time.gmtime(epoch)),
            "timeEpoch": int(epoch * 1000),
        },
        "isBase64Encoded": False,
    }
    if cookies:
        event["cookies"] = cookies
    if raw_query:
        event["queryStringParameters"] = _gateway_query_map(raw_query)
    if route is not None and route.path_parameters:
        event["pathParameters"] = dict(route.path_parameters)
    if body:
        if is_text_body(joined.get("content-type")):
            event["body"] = body.decode("utf-8", errors="replace")
        else:
            event["body"] = base64.b64encode(body).decode("ascii")
            event["isBase64Encoded"] = True
    return event


def _gateway_query_map(raw_query: str) -> dict[str, str]:
    """The gateway's lossy parsed query: repeated keys comma-joined."""
    parsed: dict[str, str] = {}
    for key, value in parse_qsl(raw_query, keep_blank_values=True):
        parsed[key] = f"{parsed[key]},{value}" if key in parsed else value
    return parsed


@dataclass(frozen=True, slots=True)
class ProxyResponse:
    """A Lambda proxy result as the client of the HTTP API receives it."""

    status: int
    headers: Mapping[str, str]
    body: bytes


class BadProxyResult(ValueError):
    """The function returned something the HTTP API answers with a 500 for."""


def proxy_response(result: object) -> ProxyResponse:
    """Interpret a function's result the way the HTTP API does (payload format 2.0)."""
    if not isinstance(result, Mapping):
        raise BadProxyResult(f"function returned {type(result).__name__}, not an object")
    status = result.get("statusCode")
    if isinstance(status, bool) or not isinstance(status, int) or not 100 <= status <= 599:
        raise BadProxyResult(f"function returned statusCode {status!r}")
    raw_headers = result.get("headers") or {}
    if not isinstance(raw_headers, Mapping):
        raise BadProxyResult("function returned headers that are not an object")
    headers = {str(k): str(v) for k, v in raw_headers.items()}
    raw_body = result.get("body")
    if raw_body is None:
        body = b""
    elif not isinstance(raw_body, str):
        raise BadProxyResult("function returned a body that is not a string")
    elif result.get("isBase64Encoded") is True:
        try:
            body = base64.b64decode(raw_body, validate=True)
        except (binascii.Error, ValueError) as exc:
            raise BadProxyResult("function returned invalid base64 in body") from exc
    else:
        body = raw_body.encode("utf-8")
    return ProxyResponse(status, headers, body)
