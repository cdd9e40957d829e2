"""HTTP at the edge: Lambda proxy events in, Lambda proxy results out.

API Gateway REST (v1), HTTP API (v2) and Lambda Function URL events are normalised into one
frozen ``HttpRequest`` that keeps what decoding needs *raw*: the query string exactly as sent
(gateways comma-join repeated keys in their parsed maps, which breaks ``User-ID[]``), the body
as bytes, and the path with its percent-encoding intact (media routes must see ``%2F``).
"""

from __future__ import annotations

import base64
import json
import logging
import re
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol
from urllib.parse import quote, unquote, urlsplit

from pivotkit.errors import BadRequest, PayloadTooLarge, PivotkitError
from pivotkit.escaping import escaped

# A Lambda handler of HTTP events: the event, the context, the proxy result.
LambdaHandler = Callable[[Mapping[str, Any], Any], dict[str, Any]]

JSON_CONTENT_TYPE = "application/json"

logger = logging.getLogger("pivotkit.http")
# Enough of a withheld error message to see what failed (a field name and its rule).
_LOGGED_DETAIL_CHARS = 120

# Kazoo's Pivot requests are a few KiB at most; media has its own, larger limit.
DEFAULT_MAX_BODY_BYTES = 64 * 1024

_SCHEMES = frozenset({"http", "https"})
# A host name or address and an optional port: nothing that could add a path or userinfo.
_HOST = re.compile(
    r"(?:[A-Za-z0-9](?:[A-Za-z0-9.-]{0,251}[A-Za-z0-9])?|\[[0-9A-Fa-f:.]+\])(?::\d{1,5})?"
)


@dataclass(frozen=True, slots=True)
class HttpRequest:
    """One HTTP request, independent of the event shape that carried it."""

    method: str
    path: str  # relative to the API root (stage removed), percent-encoding kept
    raw_query: str = ""
    headers: Mapping[str, str] = field(default_factory=dict)  # lower-case names
    body: bytes = b""
    base_url: str = ""  # scheme://host[/stage]: where Kazoo reaches this API
    request_id: str = ""
    source_ip: str = ""

    def header(self, name: str, default: str = "") -> str:
        return self.headers.get(name.lower(), default)

    @property
    def content_type(self) -> str:
        """The media type, lower-cased, parameters (``; charset=...``) dropped."""
        return self.header("content-type").split(";", 1)[0].strip().lower()

    @property
    def segments(self) -> tuple[str, ...]:
        """Path segments, still percent-encoded; empty segments dropped."""
        return tuple(part for part in self.path.split("/") if part)


@dataclass(frozen=True, slots=True)
class HttpResponse:
    status: int
    body: bytes = b""
    headers: Mapping[str, str] = field(default_factory=dict)

    def to_lambda_result(self) -> dict[str, Any]:
        """The proxy-integration result; valid for v1, v2 and Function URLs alike."""
        content_type = self.headers.get("Content-Type", "")
        textual = content_type.startswith(("application/json", "text/"))
        body = self.body.decode("utf-8") if textual else base64.b64encode(self.body).decode()
        return {
            "statusCode": self.status,
            "headers": dict(self.headers),
            "body": body,
            "isBase64Encoded": not textual,
        }


def json_response(
    status: int, payload: Any, headers: Mapping[str, str] | None = None
) -> HttpResponse:
    body = json.dumps(payload, separators=(",", ":"), ensure_ascii=False).encode("utf-8")
    return HttpResponse(
        status=status,
        body=body,
        headers={"Content-Type": JSON_CONTENT_TYPE, **(headers or {})},
    )


def error_response(error: PivotkitError) -> HttpResponse:
    """A short JSON error that never echoes request input (``PivotkitError.public_message``).

    When the body withholds the error's message, a warning keeps it (short and escaped, and
    through the deployed formatter's token redaction), so the cause is not lost; whoever
    raised the error logs the error itself (a failed step's traceback, for one).
    """
    public = error.public_message
    if public != error.message:
        logger.warning(
            "answered %d %s; detail not sent: %s",
            error.status,
            error.code,
            escaped(error.message, limit=_LOGGED_DETAIL_CHARS),
        )
    return json_response(error.status, {"error": error.code, "message": public})


class EventApp(Protocol):
    """What ``lambda_handler`` serves: the Pivot, media and webhook apps."""

    def handle(self, http: HttpRequest) -> HttpResponse: ...

    def refuse(self, event: object, error: PivotkitError, started: float) -> HttpResponse:
        """The answer to an event refused before it became an ``HttpRequest`` (not HTTP,
        too large), reported like any request the app answers."""
        ...


def lambda_handler(
    app: EventApp, *, public_url: str | None, max_body_bytes: int = DEFAULT_MAX_BODY_BYTES
) -> LambdaHandler:
    """The Lambda handler of ``app``: the event normalised, then answered or refused."""

    def handler(event: Mapping[str, Any], context: Any) -> dict[str, Any]:
        started = time.perf_counter()
        try:
            http = from_lambda_event(event, max_body_bytes=max_body_bytes, public_url=public_url)
        except PivotkitError as error:
            return app.refuse(event, error, started).to_lambda_result()
        return app.handle(http).to_lambda_result()

    return handler


def path_customer(path: str, root: str) -> str | None:
    """The ``{customer}`` of ``/<root>/{customer}[/...]``, percent-decoded; None when the
    path is not under ``/<root>/``. The one place a customer is read from a path: the Pivot,
    media and webhook apps, and events refused before they became an ``HttpRequest``."""
    segments = [part for part in path.split("/") if part]
    if len(segments) >= 2 and segments[0] == root:
        return unquote(segments[1])
    return None


def event_route(event: object) -> tuple[str, str]:
    """(method, path) of an HTTP API v2, REST API v1 or Function URL event, as far as it has
    them ("-" and "" otherwise): what a report of an event refused before it became an
    ``HttpRequest`` (not HTTP, too large) can still say about it."""
    if not isinstance(event, Mapping):
        return "-", ""
    context = event.get("requestContext")
    http = context.get("http") if isinstance(context, Mapping) else None
    method = http.get("method") if isinstance(http, Mapping) else event.get("httpMethod")
    path = event.get("rawPath") or event.get("path")
    return (
        method if isinstance(method, str) else "-",
        path if isinstance(path, str) else "",
    )


def from_lambda_event(
    event: Mapping[str, Any],
    *,
    max_body_bytes: int = DEFAULT_MAX_BODY_BYTES,
    public_url: str | None = None,
) -> HttpRequest:
    """Normalise an API Gateway v1/v2 or Function URL event.

    Raises ``BadRequest`` for events that are not HTTP proxy events and ``PayloadTooLarge``
    for bodies over ``max_body_bytes``.
    """
    if not isinstance(event, Mapping):
        raise BadRequest("event is not an HTTP proxy event")
    context = event.get("requestContext")
    context = context if isinstance(context, Mapping) else {}
    if event.get("version") == "2.0" or "rawPath" in event:
        http = context.get("http")
        http = http if isinstance(http, Mapping) else {}
        method = _text(http.get("method"))
        full_path = _text(event.get("rawPath")) or "/"
        raw_query = _text(event.get("rawQueryString"))
        headers = _headers(event.get("headers"), None)
        stage = _text(context.get("stage"))
        # A named stage prefixes rawPath on the execute-api domain; a custom domain's API
        # mapping leaves it out, and then it must not appear in base_url either.
        stage_prefix = f"/{stage}" if stage and stage != "$default" else ""
        if not _has_prefix(full_path, stage_prefix):
            stage_prefix = ""
        path = _strip_prefix(full_path, stage_prefix)
        source_ip = _text(http.get("sourceIp"))
    elif "httpMethod" in event:
        method = _text(event.get("httpMethod"))
        path = _routed_path(_text(event.get("path")) or "/", event)
        raw_query = _v1_query(event)
        headers = _headers(event.get("headers"), event.get("multiValueHeaders"))
        stage = _text(context.get("stage"))
        stage_path = _text(context.get("path"))
        # requestContext.path is the path as requested: with the stage on the execute-api
        # domain, with a base path (or nothing) on a custom domain; path has neither. Only
        # without requestContext.path is the stage name the best guess.
        if stage_path:
            stage_prefix = stage_path[: -len(path)] if stage_path.endswith(path) else ""
        else:
            stage_prefix = f"/{stage}" if stage and stage != "$default" else ""
        ident = context.get("identity")
        source_ip = _text(ident.get("sourceIp")) if isinstance(ident, Mapping) else ""
    else:
        raise BadRequest("event is not an API Gateway or Function URL HTTP event")
    if not method:
        raise BadRequest("event has no HTTP method")

    body = _body(event, max_body_bytes)
    if public_url:
        # A public URL with a path (a base path mapping) names a prefix the routes never see.
        public_path = urlsplit(public_url).path.rstrip("/")
        path = _strip_prefix(path, public_path)
        base_url = public_url.rstrip("/")
    else:
        base_url = f"{_scheme(headers)}://{_host(context, headers)}{stage_prefix}".rstrip("/")
    return HttpRequest(
        method=method.upper(),
        path=path,
        raw_query=raw_query,
        headers=headers,
        body=body,
        base_url=base_url,
        request_id=_text(context.get("requestId")),
        source_ip=source_ip,
    )


def _scheme(headers: Mapping[str, str]) -> str:
    """``X-Forwarded-Proto`` if it names http or https; anything else is ignored.

    The value ends up in continuation URLs that carry the token, so a header such as
    ``https://evil.example/x?`` must never become part of one.
    """
    forwarded = headers.get("x-forwarded-proto", "").split(",")[0].strip().lower()
    return forwarded if forwarded in _SCHEMES else "https"


def _host(context: Mapping[str, Any], headers: Mapping[str, str]) -> str:
    """The API's own domain (``requestContext.domainName``), which the gateway sets.

    Only hand-written events lack it; then the Host header is used if it is a plain
    ``host[:port]``, so no header can put a path, query or userinfo into a URL.
    """
    domain = _text(context.get("domainName"))
    if domain and _HOST.fullmatch(domain):
        return domain
    host = headers.get("host", "")
    return host if _HOST.fullmatch(host) else ""


def _routed_path(path: str, event: Mapping[str, Any]) -> str:
    """The path the REST API routed on, without a custom domain's base path.

    Behind a base path mapping, REST events carry the mapping in ``path`` too
    (``/kazoo/pivot/acme`` for resource ``/pivot/{customer}``). The routed part is the
    resource with its path parameters filled in; what precedes it is the base path.
    """
    resource = _text(event.get("resource"))
    if not resource.startswith("/"):
        return path
    params = event.get("pathParameters")
    params = params if isinstance(params, Mapping) else {}
    parts = [part for part in path.split("/") if part]
    templates = [part for part in resource.split("/") if part]
    if any(t.endswith("+}") for t in templates):
        # A greedy parameter: only its value says how long the routed part is.
        filled = [_fill(t, params) for t in templates]
        return path if "" in filled else _base_path_removed(path, "/" + "/".join(filled))
    if len(parts) <= len(templates):
        return path
    tail = parts[len(parts) - len(templates) :]
    for template, part in zip(templates, tail, strict=True):
        if not template.startswith("{") and unquote(part) != template:
            return path
    return "/" + "/".join(tail) + ("/" if path.endswith("/") else "")


def _fill(template: str, params: Mapping[str, Any]) -> str:
    if template.startswith("{") and template.endswith("}"):
        return _text(params.get(template[1:-1].rstrip("+")))
    return template


def _base_path_removed(path: str, routed: str) -> str:
    for candidate in (routed, quote(routed, safe="/")):
        if path != candidate and path.endswith(candidate) and path[: -len(candidate)]:
            prefix = path[: -len(candidate)]
            if prefix.startswith("/") and not prefix.endswith("/"):
                return candidate
    return path


def _text(value: object) -> str:
    return value if isinstance(value, str) else ""


def _has_prefix(path: str, prefix: str) -> bool:
    return bool(prefix) and (path == prefix or path.startswith(prefix + "/"))


def _strip_prefix(path: str, prefix: str) -> str:
    return (path[len(prefix) :] or "/") if _has_prefix(path, prefix) else path


def _headers(single: object, multi: object) -> dict[str, str]:
    headers: dict[str, str] = {}
    if isinstance(single, Mapping):
        for name, value in single.items():
            if isinstance(name, str) and isinstance(value, str):
                headers[name.lower()] = value
    if isinstance(multi, Mapping):
        for name, values in multi.items():
            if isinstance(name, str) and isinstance(values, list):
                joined = ",".join(v for v in values if isinstance(v, str))
                if joined:
                    headers[name.lower()] = joined
    return headers


def _v1_query(event: Mapping[str, Any]) -> str:
    """REST APIs give no raw query string; rebuild one from the multi-value map.

    The values there are already percent-decoded, so they are re-encoded the way Kazoo
    encodes (space as ``+``). Keys are written as they are, as Kazoo writes them and as
    ``pivotkit.request`` reads them; only ``&`` and ``=``, which would cut the rebuilt string
    in the wrong place, are written as ``%26`` and ``%3D`` (and then read as those three
    characters: such a key was ambiguous on the wire already). An unpaired surrogate (an
    event can carry one as a JSON ``\\udXXX`` escape) makes the string, or the value once
    decoded, invalid UTF-8, which decoding rejects (a 400) instead of failing here.
    """
    multi = event.get("multiValueQueryStringParameters")
    if not isinstance(multi, Mapping):
        single = event.get("queryStringParameters")
        multi = {k: [v] for k, v in single.items()} if isinstance(single, Mapping) else {}
    pairs: list[str] = []
    for key, values in multi.items():
        if not isinstance(key, str) or not isinstance(values, list):
            continue
        for value in values:
            if isinstance(value, str):
                name = key.replace("&", "%26").replace("=", "%3D")
                text = quote(value, safe="", errors="surrogatepass").replace("%20", "+")
                pairs.append(f"{name}={text}")
    return "&".join(pairs)


def body_bytes(text: str, *, base64_encoded: bool) -> bytes:
    """An event's or a proxy result's ``body`` as bytes, decoded when marked base64 (a
    ``ValueError`` when it is not valid base64). A lone surrogate is kept, for the UTF-8
    decoding that follows to reject."""
    if base64_encoded:
        return base64.b64decode(text, validate=True)
    return text.encode("utf-8", errors="surrogatepass")


def _body(event: Mapping[str, Any], max_body_bytes: int) -> bytes:
    raw = event.get("body")
    if raw is None:
        return b""
    if not isinstance(raw, str):
        raise BadRequest("event body is not a string")
    # Base64 inflates by 4/3: refuse early, before decoding, what cannot fit.
    if len(raw) > max_body_bytes * 4 // 3 + 4:
        raise PayloadTooLarge(f"request body exceeds {max_body_bytes} bytes")
    try:
        body = body_bytes(raw, base64_encoded=event.get("isBase64Encoded") is True)
    except ValueError as exc:
        raise BadRequest("body is marked base64 but is not valid base64") from exc
    if len(body) > max_body_bytes:
        raise PayloadTooLarge(f"request body exceeds {max_body_bytes} bytes")
    return body
