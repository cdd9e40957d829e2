"""What API Gateway's HTTP API does around a Lambda: routes, v2 events, proxy results.

This is the one builder of payload-format-2.0 events (HTTP API and Function URL) and the
one route matcher: ``pivotkit serve``, the in-process transport of ``pivotkit call``,
``pivotkit.local.events`` (the v1/v2/url sample shapes) and the tests all build their
events here, and the function's proxy result comes back into an ``HttpResponse`` (the one
response type of ``pivotkit.http``) with the gateway's own rules:

- headers lower-cased, repeated headers comma-joined, hop-by-hop headers dropped, cookies
  moved to ``cookies``;
- ``rawPath`` and ``rawQueryString`` exactly as sent (percent-encoding kept), plus the
  parsed ``queryStringParameters`` (repeated keys comma-joined, as the gateway does);
- the body as a UTF-8 string only for ``text/*``, ``application/json``, ``application/xml``
  and ``application/javascript``; anything else, form bodies and a missing Content-Type
  included, arrives base64-encoded with ``isBase64Encoded: true`` (as observed on AWS);
- no ``body`` key at all when the request has none.
"""

from __future__ import annotations

import base64
import re
import time
import uuid
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl, unquote, urlsplit

from pivotkit.http import HttpResponse, body_bytes
from pivotkit.local.lambda_context import LOCAL_ACCOUNT

LOCAL_API_ID = "local"
_TEXT_TYPES = ("application/json", "application/xml", "application/javascript")
# Hop-by-hop headers (RFC 9110 7.6.1) end at the gateway; the integration never sees them.
HOP_BY_HOP_HEADERS = frozenset({"connection", "te", "keep-alive", "transfer-encoding", "upgrade"})
_TEMPLATE_PARAM = re.compile(r"\{([A-Za-z0-9_]+)(\+?)\}")


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

# The local gateway's routes, most specific last: (function, methods, path template).
_ROUTES = (
    ("pivot", PIVOT_METHODS, "/pivot/{customer}"),
    ("pivot", PIVOT_METHODS, "/pivot/{customer}/{proxy+}"),
    ("hooks", WEBHOOK_METHODS, "/hooks/{customer}"),
    ("media", MEDIA_METHODS, "/media/{customer}"),
    ("media", MEDIA_METHODS, "/media/{customer}/{proxy+}"),
)
# Functions whose routes name each customer literally, so an unknown one reaches no function.
_LITERAL_CUSTOMER = frozenset({"pivot", "hooks"})


def template_parameters(template: str, path: str) -> dict[str, str] | None:
    """Path parameters if ``path`` matches the route template (``{name}`` is one segment,
    ``{name+}`` the rest of the path), else ``None``. Gateways hand the values over
    percent-decoded; empty segments count for nothing."""
    template_parts = [part for part in template.split("/") if part]
    path_parts = [part for part in path.split("/") if part]
    found: dict[str, str] = {}
    for index, part in enumerate(template_parts):
        variable = _TEMPLATE_PARAM.fullmatch(part)
        if index >= len(path_parts):
            return None
        if variable and variable.group(2):
            found[variable.group(1)] = unquote("/".join(path_parts[index:]))
            return found
        if variable:
            found[variable.group(1)] = unquote(path_parts[index])
        elif part != path_parts[index]:
            return None
    return found if len(template_parts) == len(path_parts) else None


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
    for function, methods, template in _ROUTES:
        found = template_parameters(template, raw_path) if verb in methods else None
        if found is None:
            continue
        customer = found["customer"]
        path = template
        if function in _LITERAL_CUSTOMER:
            if customers is not None and customer not in customers:
                return None
            del found["customer"]  # literal in the route, not a parameter
            path = template.replace("{customer}", customer)
        return RouteMatch(function, customer, f"{verb} {path}", found)
    return None


@dataclass(frozen=True, slots=True, kw_only=True)
class GatewayRequest:
    """One HTTP request as a client sends it to the gateway: ``target`` as sent
    (``/pivot/acme?token=...``), ``headers`` in order with repeated names allowed, and
    ``domain_name`` the host the client reached (the ``Host`` header's value)."""

    method: str
    target: str
    headers: Sequence[tuple[str, str]] = ()
    body: bytes = b""
    domain_name: str
    source_ip: str = "127.0.0.1"

    @classmethod
    def for_url(
        cls, method: str, url: str, headers: Sequence[tuple[str, str]] = (), body: bytes = b""
    ) -> GatewayRequest:
        """The request a client sends to an absolute ``url``: its path and query as the
        target, its ``host[:port]`` as the domain name."""
        parts = urlsplit(url)
        target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
        return cls(
            method=method, target=target, headers=headers, body=body, domain_name=parts.netloc
        )

    @property
    def path(self) -> str:
        return self.target.partition("?")[0]

    @property
    def query(self) -> str:
        return self.target.partition("?")[2]

    def header(self, name: str) -> str | None:
        """The first value of header ``name`` (any case), or None."""
        wanted = name.lower()
        return next((value for key, value in self.headers if key.lower() == wanted), None)


def media_type(content_type: str | None) -> str:
    """A Content-Type's media type, lower-cased and without parameters (``""`` for none)."""
    return (content_type or "").split(";", 1)[0].strip().lower()


def is_text_body(content_type: str | None) -> bool:
    """Whether the HTTP API passes a body with this Content-Type as text."""
    kind = media_type(content_type)
    return kind.startswith("text/") or kind in _TEXT_TYPES


def http_api_event(
    request: GatewayRequest,
    *,
    request_id: str | None = None,
    now: float | None = None,
    route_key: str | None = None,
    path_parameters: Mapping[str, str] | None = None,
    account_id: str = LOCAL_ACCOUNT,
    api_id: str = LOCAL_API_ID,
) -> dict[str, Any]:
    """The HTTP API (payload format 2.0) event for one request.

    Without a ``route_key`` the local gateway's routes decide it and the path parameters
    (``$default`` where none matches); a Function URL passes ``route_key="$default"``.
    """
    raw_path, raw_query = request.path, request.query
    joined: dict[str, str] = {}
    cookies: list[str] = []
    for name, value in request.headers:
        lowered = name.lower()
        if lowered in HOP_BY_HOP_HEADERS:
            continue
        if lowered == "cookie":
            cookies.extend(c.strip() for c in value.split(";") if c.strip())
            continue
        joined[lowered] = f"{joined[lowered]},{value}" if lowered in joined else value
    joined.setdefault("host", request.domain_name)
    joined.setdefault("x-forwarded-for", request.source_ip)
    epoch = time.time() if now is None else now
    if route_key is None:
        route = match_route(request.method, raw_path)
        route_key = route.route_key if route else "$default"
        path_parameters = route.path_parameters if route else None
    event: dict[str, Any] = {
        "version": "2.0",
        "routeKey": route_key,
        "rawPath": raw_path or "/",
        "rawQueryString": raw_query,
    }
    if cookies:
        event["cookies"] = cookies
    event["headers"] = joined
    if raw_query:
        event["queryStringParameters"] = _gateway_query_map(raw_query)
    event["requestContext"] = {
        "accountId": account_id,
        "apiId": api_id,
        "domainName": request.domain_name,
        "domainPrefix": request.domain_name.split(".", 1)[0].split(":", 1)[0],
        "http": {
            "method": request.method.upper(),
            "path": raw_path or "/",
            "protocol": "HTTP/1.1",
            "sourceIp": request.source_ip,
            "userAgent": joined.get("user-agent", ""),
        },
        "requestId": request_id or str(uuid.uuid4()),
        "routeKey": route_key,
        "stage": "$default",
        "time": time.strftime("%d/%b/%Y:%H:%M:%S +0000", time.gmtime(epoch)),
        "timeEpoch": int(epoch * 1000),
    }
    if request.body:
        if is_text_body(joined.get("content-type")):
            event["body"] = request.body.decode("utf-8", errors="replace")
            event["isBase64Encoded"] = False
        else:
            event["body"] = base64.b64encode(request.body).decode("ascii")
            event["isBase64Encoded"] = True
    else:
        event["isBase64Encoded"] = False
    if path_parameters:
        event["pathParameters"] = dict(path_parameters)
    return event


def _gateway_query_map(raw_query: str) -> dict[str, str]:
    """The gateway's lossy parsed query: repeated keys comma-joined."""
    parsed: dict[str, str] = {}
    for key, value in parse_qsl(raw_query, keep_blank_values=True):
        parsed[key] = f"{parsed[key]},{value}" if key in parsed else value
    return parsed


class BadProxyResult(ValueError):
    """The function returned something the HTTP API answers with a 500 for."""


def proxy_response(result: object) -> HttpResponse:
    """The answer the client of the HTTP API receives for a function's result (payload
    format 2.0)."""
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
    else:
        try:
            body = body_bytes(raw_body, base64_encoded=result.get("isBase64Encoded") is True)
        except ValueError as exc:
            raise BadProxyResult("function returned invalid base64 in body") from exc
    return HttpResponse(status, body, headers)
