"""Lambda events for a Kazoo request, in the three shapes AWS delivers HTTP in.

- ``v1``: API Gateway REST API, Lambda proxy integration (payload 1.0). No raw query string:
  only decoded ``queryStringParameters`` (last value wins) and
  ``multiValueQueryStringParameters``; headers keep the case they were sent in and also come
  as ``multiValueHeaders``; the body is base64 only for configured binary media types.
- ``v2``: API Gateway HTTP API (payload 2.0): ``rawPath``/``rawQueryString`` as sent,
  ``queryStringParameters`` decoded with repeated keys comma-joined, lower-case headers,
  ``requestContext.http``; the body is base64 unless its type is textual.
- ``url``: Lambda Function URL: the 2.0 shape with ``$default`` route and stage, a
  ``<url-id>.lambda-url.<region>.on.aws`` domain and no path parameters.

The field sets follow AWS's documented examples and the sample events Powertools for AWS
Lambda tests against. ``endpoint_url`` gives the URL each shape is reached at, to use as a
``voice_url``.
"""

from __future__ import annotations

import base64
import hashlib
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Final, Literal, TypeAlias
from urllib.parse import quote, unquote_plus

from pivotkit.local.gateway import (
    HOP_BY_HOP_HEADERS,
    GatewayRequest,
    http_api_event,
    media_type,
    template_parameters,
)
from pivotkit.local.kazoo_encoding import KazooHttpRequest

EventShape: TypeAlias = Literal["v1", "v2", "url"]
EVENT_SHAPES: Final[tuple[EventShape, ...]] = ("v1", "v2", "url")

DEFAULT_ROUTE: Final = "/pivot/{customer}"
DEFAULT_REGION: Final = "us-east-1"
DEFAULT_STAGE: Final = "prod"


@dataclass(frozen=True, slots=True)
class EventContext:
    """The per-request facts AWS adds: when, from where, under which ids."""

    request_id: str = field(default_factory=lambda: str(uuid.uuid4()))
    time: datetime = field(default_factory=lambda: datetime.now(UTC))
    source_ip: str = "198.51.100.7"  # the Kazoo server (documentation range)
    aws_account_id: str = "123456789012"

    @property
    def epoch_ms(self) -> int:
        return int(self.time.timestamp() * 1000)

    @property
    def clf_time(self) -> str:
        """``04/Mar/2020:19:15:17 +0000``: the format ``requestTime`` and ``time`` use."""
        return self.time.astimezone(UTC).strftime("%d/%b/%Y:%H:%M:%S +0000")

    @property
    def trace_id(self) -> str:
        digest = hashlib.sha256(self.request_id.encode()).hexdigest()
        return f"Root=1-{int(self.time.timestamp()):08x}-{digest[:24]}"


# Made-up ids of the API and of the Function URL in the URLs ``endpoint_url`` writes.
EXAMPLE_API_ID: Final = "a1b2c3d4e5"
EXAMPLE_URL_ID: Final = "pv7k2m4q9x3n8b5t6r1w0z2y4c6e8g0h"


def endpoint_url(
    shape: EventShape, customer: str, *, region: str = DEFAULT_REGION, stage: str = DEFAULT_STAGE
) -> str:
    """The public URL of ``customer``'s Pivot route behind each kind of endpoint: a REST API
    stage, an HTTP API ``$default`` stage, or a Function URL."""
    path = DEFAULT_ROUTE.replace("{customer}", quote(customer, safe=""))
    if shape == "v1":
        return f"https://{EXAMPLE_API_ID}.execute-api.{region}.amazonaws.com/{stage}{path}"
    if shape == "v2":
        return f"https://{EXAMPLE_API_ID}.execute-api.{region}.amazonaws.com{path}"
    return f"https://{EXAMPLE_URL_ID}.lambda-url.{region}.on.aws{path}"


def lambda_event(
    request: KazooHttpRequest,
    shape: EventShape,
    *,
    stage: str = DEFAULT_STAGE,
    route: str = DEFAULT_ROUTE,
    context: EventContext | None = None,
) -> dict[str, Any]:
    """The event Lambda receives for ``request`` arriving through ``shape``.

    ``stage`` applies to ``v1`` only (an HTTP API is assumed on its ``$default`` stage and a
    Function URL has none); ``route`` is the resource or route template that matched.
    """
    context = context or EventContext()
    if shape == "v1":
        return rest_v1_event(request, stage=stage, route=route, context=context)
    if shape == "v2":
        return http_v2_event(request, route=route, context=context)
    if shape == "url":
        return function_url_event(request, context=context)
    raise ValueError(f"unknown event shape {shape!r}")


def rest_v1_event(
    request: KazooHttpRequest,
    *,
    stage: str = DEFAULT_STAGE,
    route: str = DEFAULT_ROUTE,
    context: EventContext | None = None,
    binary_media_types: tuple[str, ...] = (),
    base_path: str = "",
) -> dict[str, Any]:
    """A REST API proxy event. ``path`` is relative to the stage; ``requestContext.path``
    is the path as requested (stage included).

    ``base_path`` (``/kazoo``) is a custom domain's base path mapping: the URL names no
    stage, and the gateway keeps the mapping in ``path`` and ``requestContext.path`` alike
    while ``route`` matches the rest (``/kazoo/pivot/acme`` on ``/pivot/{customer}``).
    ``route="/{proxy+}"`` is SAM's catch-all resource.
    """
    context = context or EventContext()
    full_path = request.path
    if base_path:
        if not _has_prefix(full_path, base_path):
            raise ValueError(f"{full_path!r} does not start with the base path {base_path!r}")
        path, routed = full_path, full_path[len(base_path) :] or "/"
    else:
        prefix = f"/{stage}"
        path = (full_path[len(prefix) :] or "/") if _has_prefix(full_path, prefix) else full_path
        routed = path
    path_parameters = template_parameters(route, routed)
    headers = _forwarded(request, context, title_case=True)
    multi_query = _decoded_query(request.raw_query)
    kind = media_type(request.header("content-type"))
    binary = kind in binary_media_types or not _is_utf8(request.body)
    body, is_base64 = _body(request, base64_encoded=binary)
    domain = request.host
    return {
        "resource": route if path_parameters is not None else routed,
        "path": path,
        "httpMethod": request.method,
        "headers": {name: values[-1] for name, values in headers.items()},
        "multiValueHeaders": headers,
        "queryStringParameters": (
            {key: values[-1] for key, values in multi_query.items()} if multi_query else None
        ),
        "multiValueQueryStringParameters": multi_query or None,
        "pathParameters": path_parameters,
        "stageVariables": None,
        "requestContext": {
            "resourceId": hashlib.sha256(route.encode()).hexdigest()[:6],
            "resourcePath": route,
            "httpMethod": request.method,
            "extendedRequestId": _short_id(context.request_id),
            "requestTime": context.clf_time,
            "path": full_path,
            "accountId": context.aws_account_id,
            "protocol": "HTTP/1.1",
            "stage": stage,
            "domainPrefix": domain.split(".", 1)[0],
            "requestTimeEpoch": context.epoch_ms,
            "requestId": context.request_id,
            "identity": {
                "cognitoIdentityPoolId": None,
                "accountId": None,
                "cognitoIdentityId": None,
                "caller": None,
                "sourceIp": context.source_ip,
                "principalOrgId": None,
                "accessKey": None,
                "cognitoAuthenticationType": None,
                "cognitoAuthenticationProvider": None,
                "userArn": None,
                "userAgent": request.header("user-agent"),
                "user": None,
            },
            "domainName": domain,
            "apiId": domain.split(".", 1)[0],
        },
        "body": body,
        "isBase64Encoded": is_base64,
    }


def http_v2_event(
    request: KazooHttpRequest,
    *,
    route: str = DEFAULT_ROUTE,
    context: EventContext | None = None,
) -> dict[str, Any]:
    """An HTTP API (payload 2.0) event on the ``$default`` stage."""
    context = context or EventContext()
    return _v2_event(
        request,
        context,
        route_key=f"ANY {route}",
        path_parameters=template_parameters(route, request.path),
        account_id=context.aws_account_id,
    )


def function_url_event(
    request: KazooHttpRequest, *, context: EventContext | None = None
) -> dict[str, Any]:
    """A Lambda Function URL event (auth type NONE, so the caller account is anonymous)."""
    context = context or EventContext()
    # Function URLs terminate TLS themselves and say how.
    tls = (("x-amzn-tls-version", "TLSv1.3"), ("x-amzn-tls-cipher-suite", "TLS_AES_128_GCM_SHA256"))
    return _v2_event(request, context, route_key="$default", account_id="anonymous", added=tls)


def _v2_event(
    request: KazooHttpRequest,
    context: EventContext,
    *,
    route_key: str,
    account_id: str,
    path_parameters: dict[str, str] | None = None,
    added: tuple[tuple[str, str], ...] = (),
) -> dict[str, Any]:
    """The payload-2.0 event ``pivotkit.local.gateway`` builds, with AWS's domain, ids and
    forwarding headers in place of the local gateway's."""
    forwarded = _forwarded(request, context, title_case=False)
    headers = [(name, value) for name, values in forwarded.items() for value in values]
    query = f"?{request.raw_query}" if request.raw_query else ""
    sent = GatewayRequest(
        method=request.method,
        target=request.path + query,
        headers=[*headers, *added],
        body=request.body,
        domain_name=request.host,
        source_ip=context.source_ip,
    )
    return http_api_event(
        sent,
        request_id=_short_id(context.request_id),
        now=context.time.timestamp(),
        route_key=route_key,
        path_parameters=path_parameters,
        account_id=account_id,
        api_id=request.host.split(".", 1)[0],
    )


def _has_prefix(path: str, prefix: str) -> bool:
    return path == prefix or path.startswith(prefix + "/")


def _forwarded(
    request: KazooHttpRequest, context: EventContext, *, title_case: bool
) -> dict[str, list[str]]:
    """The request's headers as the gateway passes them on, plus the ones it adds."""
    headers: dict[str, list[str]] = {}
    for name, value in request.headers:
        if name.lower() not in HOP_BY_HOP_HEADERS:
            headers.setdefault(name, []).append(value)
    added = {
        "X-Amzn-Trace-Id": context.trace_id,
        "X-Forwarded-For": context.source_ip,
        "X-Forwarded-Port": "443",
        "X-Forwarded-Proto": "https",
    }
    for name, value in added.items():
        headers[name if title_case else name.lower()] = [value]
    return headers


def _decoded_query(raw_query: str) -> dict[str, list[str]]:
    """Query parameters decoded as the gateways decode them: ``+`` and ``%XX`` in names and
    values, empty segments dropped, repeated names collected in order."""
    decoded: dict[str, list[str]] = {}
    for key, value in _query_pairs(raw_query):
        decoded.setdefault(key, []).append(value)
    return decoded


def _query_pairs(raw_query: str) -> Iterator[tuple[str, str]]:
    for segment in raw_query.split("&"):
        if segment:
            key, _, value = segment.partition("=")
            yield unquote_plus(key), unquote_plus(value)


def _body(request: KazooHttpRequest, *, base64_encoded: bool) -> tuple[str | None, bool]:
    if not request.body:
        return None, False
    if base64_encoded:
        return base64.b64encode(request.body).decode("ascii"), True
    return request.body.decode("utf-8"), False


def _is_utf8(body: bytes) -> bool:
    try:
        body.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


def _short_id(request_id: str) -> str:
    """The short base64 id HTTP APIs use (``JKJaXmPLvHcESHA=``), stable per request id."""
    digest = hashlib.sha256(request_id.encode()).digest()[:10]
    return base64.b64encode(digest).decode("ascii")
