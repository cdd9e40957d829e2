"""The local endpoint: a threaded HTTP server in front of the Lambda handlers, in-process.

``LocalGateway`` is the part that plays API Gateway: it routes a request like the deployed
HTTP API, builds the v2 event (``pivotkit.local.gateway``), invokes the handler with a
fresh Lambda context and turns the proxy result back into an HTTP answer. Nothing a
handler does can take the gateway down: an exception becomes a 500 JSON answer, as a
crashed function does behind a real API.

``LocalServer`` puts it behind ``http.server.ThreadingHTTPServer`` (one thread per
connection, HTTP/1.1 keep-alive), which is what ``pivotkit serve`` runs. It reads requests
strictly and in time (``pivotkit.local.request_body``): a short or malformed body is a
400, an idle connection is closed after ``idle_timeout`` seconds and a request must arrive
whole within ``request_timeout``, so idle or slow clients cannot hold threads for ever.
"""

from __future__ import annotations

import io
import json
import logging
import threading
import time
from collections.abc import Callable, Collection, Iterable, Mapping
from dataclasses import dataclass, field, replace
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Protocol
from urllib.parse import parse_qsl

from pivotkit.http import HttpResponse, LambdaHandler, json_response
from pivotkit.local.gateway import (
    HOP_BY_HOP_HEADERS,
    BadProxyResult,
    GatewayRequest,
    RouteMatch,
    http_api_event,
    match_route,
    proxy_response,
)
from pivotkit.local.lambda_context import DEFAULT_TIMEOUT_MS, LocalLambdaContext
from pivotkit.local.request_body import (
    DEFAULT_IDLE_TIMEOUT,
    DEFAULT_REQUEST_TIMEOUT,
    BodyRefused,
    DeadlineReader,
    read_body,
)
from pivotkit.media.redaction import loggable_path
from pivotkit.redaction import Redactor

logger = logging.getLogger("pivotkit.local")

CRASHED = "internal_error"  # the code of the gateway's 500 for a function that crashed
# A function's hop-by-hop headers end at the gateway, and the server frames the body itself.
_WRITTEN_BY_THE_SERVER = HOP_BY_HOP_HEADERS | {"content-length"}


@dataclass(frozen=True, slots=True)
class Exchange:
    """One request and its answer, as the request log shows it (never with a token)."""

    method: str
    path: str
    status: int
    duration_ms: float
    customer: str | None = None
    call_id: str | None = None
    step: str | None = None
    error: str | None = None

    def log_line(self) -> str:
        parts = [self.method, self.path, str(self.status), f"{self.duration_ms:.1f}ms"]
        if self.call_id:
            parts.append(f"call={self.call_id}")
        if self.step:
            parts.append(f"step={self.step}")
        if self.error:
            parts.append(f"error={self.error}")
        return " ".join(parts)


class _Reported(Protocol):
    """An outcome the in-process functions report (Pivot, media and webhook alike)."""

    @property
    def error(self) -> str | None: ...


class ErrorCodes:
    """The error code of the request this thread is answering, as the in-process function
    reports it to its observers (``note``), so the request log names it without reading it
    back out of the answer. The gateway invokes the function on the thread that dispatched
    the request, so a thread-local slot pairs each answer with its report."""

    def __init__(self) -> None:
        self._local = threading.local()

    def note(self, outcome: _Reported) -> None:
        self._local.code = outcome.error

    def take(self) -> str | None:
        """The code noted since the last ``take`` on this thread (None if none)."""
        code: str | None = getattr(self._local, "code", None)
        self._local.code = None
        return code


@dataclass
class LocalGateway:
    """Routes requests to the functions as the deployed HTTP API does."""

    functions: Mapping[str, LambdaHandler]  # "pivot" / "media" -> Lambda handler
    secrets: Iterable[str] = ()  # tokens to keep out of logs
    # Customers with a Pivot route (deployed routes are literal per customer); None = any.
    customers: Collection[str] | None = None
    entry_steps: Mapping[str, str] = field(default_factory=dict)  # customer -> first step
    function_prefix: str = "pivotkit-local"
    timeout_ms: int = DEFAULT_TIMEOUT_MS
    observer: Callable[[Exchange], None] | None = None
    # Scheme Kazoo uses to reach this gateway; it shapes the continuation URLs handlers emit.
    forwarded_proto: str = "http"
    # Sees each exchange with the answer itself (the dev console's call inspector).
    tap: Callable[[Exchange, HttpResponse], None] | None = None
    # Where the functions note each answer's error code (their observers); None: not known.
    error_codes: ErrorCodes | None = None

    def __post_init__(self) -> None:
        self._redactor = Redactor(self.secrets)

    def dispatch(self, request: GatewayRequest) -> HttpResponse:
        started = time.perf_counter()
        route = match_route(request.method, request.path, self.customers)
        facts: dict[str, str | None] = {}
        if route is None or route.function not in self.functions:
            response = json_response(404, {"message": "Not Found"})  # API Gateway's own answer
        else:
            if self.error_codes is not None:
                self.error_codes.take()  # nothing left over from a request that noted none
            response, crashed = self._invoke(route, request)
            facts = self._facts(route, request)
            noted = None if self.error_codes is None else self.error_codes.take()
            facts["error"] = crashed or noted
        exchange = Exchange(
            method=request.method.upper(),
            path=self.redact(request.path, route),
            status=response.status,
            duration_ms=(time.perf_counter() - started) * 1000,
            customer=route.customer if route else None,
            call_id=self._redacted(facts.get("call_id")),
            step=self._redacted(facts.get("step")),
            error=facts.get("error"),
        )
        if exchange.duration_ms > self.timeout_ms:
            logger.warning(
                "%s took %.0f ms: a deployed function times out after %d ms",
                exchange.path,
                exchange.duration_ms,
                self.timeout_ms,
            )
        if self.observer is not None:
            try:
                self.observer(exchange)
            except Exception:  # a broken log pipe must not cost the caller its answer
                logger.exception("request observer failed")
        if self.tap is not None:
            try:
                self.tap(exchange, response)
            except Exception:  # nor a broken inspector
                logger.exception("request tap failed")
        return response

    def _invoke(
        self, route: RouteMatch, request: GatewayRequest
    ) -> tuple[HttpResponse, str | None]:
        """The function's answer, and the gateway's error code when it made one up."""
        handler = self.functions[route.function]
        with_proto = [
            *((n, v) for n, v in request.headers if n.lower() != "x-forwarded-proto"),
            ("x-forwarded-proto", self.forwarded_proto),
        ]
        event = http_api_event(
            replace(request, headers=with_proto),
            route_key=route.route_key,
            path_parameters=route.path_parameters,
        )
        context = LocalLambdaContext(
            function_name=f"{self.function_prefix}-{route.function}", timeout_ms=self.timeout_ms
        )
        try:
            return proxy_response(handler(event, context)), None
        except BadProxyResult as exc:
            logger.error("%s function returned a bad result: %s", route.function, exc)
        except Exception:  # a crashing function must not take the server down
            logger.exception("%s function raised", route.function)
        return json_response(500, {"error": CRASHED, "message": "the function failed"}), CRASHED

    def redact(self, path: str, route: RouteMatch | None = None) -> str:
        """The path as the request log shows it: any path but a routed Pivot one masked where
        a media URL may carry a token (known or not, as the media function masks one; an
        unrouted ``DELETE /media/acme/{token}/...`` too), and every known token blanked
        wherever it is and however it is spelled."""
        if route is None or route.function != "pivot":
            path = loggable_path(path, self.customers or ())
        return self._redactor(path)

    def _redacted(self, value: str | None) -> str | None:
        return None if value is None else self._redactor(value)

    def _facts(self, route: RouteMatch, request: GatewayRequest) -> dict[str, str | None]:
        """Call id and step for the log line, read leniently from the request."""
        if route.function != "pivot":
            return {}
        params = dict(parse_qsl(request.query, keep_blank_values=True))
        call_id = params.get("Call-ID")
        if call_id is None and request.body:
            call_id = _body_call_id(request.header("content-type") or "", request.body)
        step = params.get("step") or self.entry_steps.get(route.customer)
        return {"call_id": call_id, "step": step}


def _body_call_id(content_type: str, body: bytes) -> str | None:
    text = body.decode("utf-8", errors="replace")
    if "json" in content_type.lower():
        try:
            parsed = json.loads(text)
        except ValueError:
            return None
        value = parsed.get("Call-ID") if isinstance(parsed, dict) else None
        return value if isinstance(value, str) else None
    return dict(parse_qsl(text, keep_blank_values=True)).get("Call-ID")


class _GatewayRequestHandler(BaseHTTPRequestHandler):
    """Reads one HTTP request, hands it to the gateway, writes the answer."""

    server: LocalServer
    protocol_version = "HTTP/1.1"  # keep-alive, as Kazoo's httpc and load tests expect
    # Headers and body leave in separate writes; with Nagle on, the body waits for the
    # client's delayed ACK (~40 ms) on every keep-alive request.
    disable_nagle_algorithm = True
    server_version = "pivotkit-local"
    sys_version = ""

    def setup(self) -> None:
        super().setup()
        # Reads go through a reader that knows the idle and request timeouts; the
        # connection's own timeout covers writes (a client that does not read its answer).
        self.connection.settimeout(self.server.idle_timeout)
        self.rfile.close()
        self._reader = DeadlineReader(
            self.connection, idle=self.server.idle_timeout, request=self.server.request_timeout
        )
        self.rfile = io.BufferedReader(self._reader)

    def handle_one_request(self) -> None:
        self._reader.new_request()
        super().handle_one_request()  # a read that times out closes the connection

    def _handle(self) -> None:
        try:
            body = read_body(self.rfile, self.headers)
        except BodyRefused as refused:
            self._refuse(refused.status, refused.code, refused.message)
            return
        except TimeoutError:
            self._refuse(408, "request_timeout", "the request body did not arrive in time")
            return
        self.connection.settimeout(self.server.idle_timeout)  # for the answer's writes
        host = self.headers.get("Host") or self.server.authority
        request = GatewayRequest(
            method=self.command,
            target=self.path,
            headers=self.headers.items(),
            body=body,
            domain_name=host,
            source_ip=self.client_address[0],
        )
        self._send(self.server.gateway.dispatch(request))

    do_GET = do_POST = do_PUT = do_DELETE = do_PATCH = do_HEAD = do_OPTIONS = _handle

    def _refuse(self, status: int, code: str, message: str) -> None:
        """Answer a request that could not be read, and close: what is left on the
        connection is not a request boundary the server can trust."""
        self.connection.settimeout(self.server.idle_timeout)
        self.close_connection = True
        self._send(json_response(status, {"error": code, "message": message}))

    def _send(self, response: HttpResponse) -> None:
        self.send_response(response.status)
        for name, value in response.headers.items():
            if name.lower() not in _WRITTEN_BY_THE_SERVER:
                self.send_header(name, value)
        self.send_header("Content-Length", str(len(response.body)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(response.body)

    def log_message(self, format: str, *args: Any) -> None:
        """The gateway logs each exchange itself (without tokens); keep stdlib quiet."""


class Dispatch(Protocol):
    """What the server hands each request to: a ``LocalGateway``, or something in front of
    one (``pivotkit serve``'s dev console)."""

    def dispatch(self, request: GatewayRequest) -> HttpResponse: ...


class LocalServer(ThreadingHTTPServer):
    """``ThreadingHTTPServer`` bound to a ``LocalGateway`` (or a ``Dispatch`` in front)."""

    daemon_threads = True  # an open keep-alive connection must not block shutdown
    allow_reuse_address = True
    request_queue_size = 64

    def __init__(
        self,
        gateway: Dispatch,
        host: str = "127.0.0.1",
        port: int = 8080,
        *,
        idle_timeout: float = DEFAULT_IDLE_TIMEOUT,
        request_timeout: float = DEFAULT_REQUEST_TIMEOUT,
    ):
        if idle_timeout <= 0 or request_timeout <= 0:
            raise ValueError("idle_timeout and request_timeout must be positive")
        self.gateway = gateway
        self.idle_timeout = idle_timeout
        self.request_timeout = request_timeout
        super().__init__((host, port), _GatewayRequestHandler)

    @property
    def authority(self) -> str:
        host, port = self.server_address[:2]
        name = host.decode() if isinstance(host, bytes) else host
        return f"{name}:{port}"

    @property
    def url(self) -> str:
        return f"http://{self.authority}"

    def start_in_thread(self) -> threading.Thread:
        """Serve from a background thread (tests, benchmarks); stop with ``shutdown()``."""
        thread = threading.Thread(
            target=self.serve_forever,
            kwargs={"poll_interval": 0.05},
            name="pivotkit-serve",
            daemon=True,
        )
        thread.start()
        return thread
