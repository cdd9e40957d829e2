"""The local API Gateway: v2 events, routing, proxy results, the threaded server."""

from __future__ import annotations

import base64
import http.client
import json
import threading
from collections.abc import Iterator, Mapping
from typing import Any
from urllib.parse import unquote_plus

import pytest

from pivotkit.http import from_lambda_event
from pivotkit.local.gateway import (
    BadProxyResult,
    GatewayRequest,
    http_api_event,
    match_route,
    proxy_response,
    template_parameters,
)
from pivotkit.local.lambda_context import LocalLambdaContext
from pivotkit.local.runtime import local_runtime
from pivotkit.local.server import Exchange, LocalGateway, LocalServer

SECRET = "local-acme"


class RecordingFunction:
    """A Lambda handler that records its invocations and answers with ``result``."""

    def __init__(self, result: Any = None) -> None:
        self.events: list[Mapping[str, Any]] = []
        self.contexts: list[Any] = []
        self.result = result or {
            "statusCode": 200,
            "headers": {"Content-Type": "application/json"},
            "body": '{"module":"hangup","data":{}}',
        }

    def __call__(self, event: Mapping[str, Any], context: Any) -> Any:
        self.events.append(event)
        self.contexts.append(context)
        if isinstance(self.result, Exception):
            raise self.result
        return self.result


# --- the v2 event -----------------------------------------------------------------------


def test_get_event_has_the_http_api_v2_shape() -> None:
    event = http_api_event(
        GatewayRequest(
            method="GET",
            target="/pivot/acme?token=t&Digits[menu]=1&User-ID[]=a&User-ID[]=b&&",
            headers=[("Host", "127.0.0.1:8080"), ("X-Thing", "1"), ("x-thing", "2"), ("TE", "")],
            domain_name="127.0.0.1:8080",
            source_ip="10.1.2.3",
        ),
        request_id="req-1",
        now=1_700_000_000.5,
    )
    assert event["version"] == "2.0"
    assert event["routeKey"] == "GET /pivot/acme"
    assert event["rawPath"] == "/pivot/acme"
    assert event["rawQueryString"] == "token=t&Digits[menu]=1&User-ID[]=a&User-ID[]=b&&"
    assert event["queryStringParameters"]["User-ID[]"] == "a,b"  # the gateway's lossy map
    assert event["headers"]["x-thing"] == "1,2"
    assert "te" not in event["headers"]  # hop-by-hop headers stop at the gateway
    assert "body" not in event
    assert event["isBase64Encoded"] is False
    assert "pathParameters" not in event  # literal per-customer route, as deployed
    context = event["requestContext"]
    assert context["domainName"] == "127.0.0.1:8080"
    assert context["http"] == {
        "method": "GET",
        "path": "/pivot/acme",
        "protocol": "HTTP/1.1",
        "sourceIp": "10.1.2.3",
        "userAgent": "",
    }
    assert (context["requestId"], context["stage"]) == ("req-1", "$default")
    assert context["timeEpoch"] == 1_700_000_000_500
    assert context["time"] == "14/Nov/2023:22:13:20 +0000"


@pytest.mark.parametrize(
    ("content_type", "encoded"),
    [
        ("application/x-www-form-urlencoded", True),
        (None, True),
        ("audio/mpeg", True),
        ("application/json; charset=utf-8", False),
        ("text/plain", False),
    ],
)
def test_body_is_base64_unless_the_gateway_treats_it_as_text(
    content_type: str | None, encoded: bool
) -> None:
    headers = [("Content-Type", content_type)] if content_type else []
    body = b"Call-ID=x%40y&Digits[a]=1"
    event = http_api_event(
        GatewayRequest(
            method="POST", target="/pivot/acme", headers=headers, body=body, domain_name="h"
        )
    )
    assert event["isBase64Encoded"] is encoded
    sent = base64.b64decode(event["body"]) if encoded else event["body"].encode()
    assert sent == body


def test_cookies_move_out_of_the_headers() -> None:
    event = http_api_event(
        GatewayRequest(
            method="GET", target="/pivot/acme", headers=[("Cookie", "a=1; b=2")], domain_name="h"
        )
    )
    assert event["cookies"] == ["a=1", "b=2"]
    assert "cookie" not in event["headers"]


def test_event_decodes_to_the_request_that_was_sent() -> None:
    """The kit's own edge reads our events as it reads API Gateway's."""
    event = http_api_event(
        GatewayRequest(
            method="POST",
            target="/pivot/acme/deeper?token=t",
            headers=[
                ("Content-Type", "application/x-www-form-urlencoded"),
                ("X-Forwarded-Proto", "http"),
            ],
            body=b"Call-ID=c%40h",
            domain_name="127.0.0.1:9999",
        )
    )
    request = from_lambda_event(event)
    assert request.method == "POST"
    assert request.path == "/pivot/acme/deeper"
    assert request.raw_query == "token=t"
    assert request.body == b"Call-ID=c%40h"
    assert request.base_url == "http://127.0.0.1:9999"
    assert event["pathParameters"] == {"proxy": "deeper"}


@pytest.mark.parametrize(
    ("method", "path", "expected"),
    [
        ("GET", "/pivot/acme", ("pivot", "GET /pivot/acme")),
        ("POST", "/pivot/acme/x/y", ("pivot", "POST /pivot/acme/{proxy+}")),
        ("PUT", "/media/acme/tok/call.mp3", ("media", "PUT /media/{customer}/{proxy+}")),
        ("GET", "/media/acme", ("media", "GET /media/{customer}")),
        ("PUT", "/pivot/acme", None),  # Pivot routes take GET and POST only
        ("GET", "/pivot/other", None),  # no route for a customer that does not exist
        ("GET", "/pivot/", None),
        ("GET", "/", None),
        ("DELETE", "/media/acme/x", None),
    ],
)
def test_routes_match_the_deployed_api(
    method: str, path: str, expected: tuple[str, str] | None
) -> None:
    route = match_route(method, path, {"acme"})
    assert (None if route is None else (route.function, route.route_key)) == expected


@pytest.mark.parametrize(
    ("template", "path", "expected"),
    [
        ("/pivot/{customer}", "/pivot/acme", {"customer": "acme"}),
        ("/pivot/{customer}", "/pivot/a%20b", {"customer": "a b"}),
        ("/pivot/{customer}", "/pivot", None),
        ("/pivot/{customer}", "/pivot/acme/extra", None),
        ("/pivot/{customer}", "/media/acme", None),
        (
            "/media/{customer}/{proxy+}",
            "/media/acme/t/x/y.mp3",
            {"customer": "acme", "proxy": "t/x/y.mp3"},
        ),
        (
            "/media/{customer}/{proxy+}",
            "/media/acme/a%20b/c",
            {"customer": "acme", "proxy": "a b/c"},
        ),
        ("/media/{customer}/{proxy+}", "/media/acme", None),
    ],
)
def test_route_templates_give_path_parameters(
    template: str, path: str, expected: dict[str, str] | None
) -> None:
    assert template_parameters(template, path) == expected


def test_proxy_result_decoding() -> None:
    binary = proxy_response(
        {"statusCode": 201, "body": base64.b64encode(b"\x00\x01").decode(), "isBase64Encoded": True}
    )
    assert (binary.status, binary.body) == (201, b"\x00\x01")
    assert proxy_response({"statusCode": 204}).body == b""
    bad_results: list[object] = [
        {"body": "x"},
        {"statusCode": "200"},
        [],
        {"statusCode": 200, "body": 1},
    ]
    for bad in bad_results:
        with pytest.raises(BadProxyResult):
            proxy_response(bad)


# --- the gateway ------------------------------------------------------------------------


def _gateway(function: RecordingFunction, seen: list[Exchange] | None = None) -> LocalGateway:
    return LocalGateway(
        functions={"pivot": function, "media": function},
        secrets=[SECRET],
        customers={"acme"},
        entry_steps={"acme": "start"},
        observer=None if seen is None else seen.append,
    )


def _dispatch(gateway: LocalGateway, target: str, method: str = "GET", body: bytes = b"") -> Any:
    return gateway.dispatch(
        GatewayRequest(method=method, target=target, body=body, domain_name="127.0.0.1:8080")
    )


def test_gateway_invokes_with_forwarded_proto_and_a_fresh_context() -> None:
    function = RecordingFunction()
    response = _dispatch(_gateway(function), f"/pivot/acme?token={SECRET}&Call-ID=c1")
    assert response.status == 200
    event, context = function.events[0], function.contexts[0]
    assert event["headers"]["x-forwarded-proto"] == "http"
    assert context.function_name == "pivotkit-local-pivot"
    assert context.invoked_function_arn.endswith(":function:pivotkit-local-pivot")
    assert 4000 < context.get_remaining_time_in_millis() <= 5000


def test_a_crashing_function_becomes_a_500_and_the_gateway_carries_on() -> None:
    function = RecordingFunction(RuntimeError("boom"))
    seen: list[Exchange] = []
    gateway = _gateway(function, seen)
    response = _dispatch(gateway, f"/pivot/acme?token={SECRET}")
    assert response.status == 500
    assert json.loads(response.body)["error"] == "internal_error"
    function.result = {"statusCode": 200, "body": "{}", "headers": {}}
    assert _dispatch(gateway, "/pivot/acme").status == 200
    assert [e.status for e in seen] == [500, 200]


def test_unknown_routes_are_404_json_without_invoking() -> None:
    function = RecordingFunction()
    response = _dispatch(_gateway(function), "/admin")
    assert response.status == 404
    assert json.loads(response.body) == {"message": "Not Found"}
    assert function.events == []


def test_log_lines_carry_call_and_step_but_never_the_token() -> None:
    function = RecordingFunction()
    seen: list[Exchange] = []
    gateway = _gateway(function, seen)
    _dispatch(gateway, f"/pivot/acme?token={SECRET}&step=menu&Call-ID=abc%40host")
    _dispatch(gateway, f"/pivot/acme?token={SECRET}", "POST", b"Call-ID=from-body")
    _dispatch(gateway, f"/media/acme/{SECRET}/call.mp3", "PUT", b"audio")
    lines = [e.log_line() for e in seen]
    assert lines[0].startswith("GET /pivot/acme 200 ")
    assert lines[0].endswith("call=abc@host step=menu")
    assert "call=from-body step=start" in lines[1]
    assert lines[2].startswith("PUT /media/acme/***/call.mp3 200")
    assert not any(SECRET in line for line in lines)


def _unquoted(text: str) -> str:
    """``text`` percent-decoded until it no longer changes (any spelling of a token shows)."""
    while (decoded := unquote_plus(text)) != text:
        text = decoded
    return text


# Where a token may sit in a request serve logs: its media token positions, mistaken ones
# included, and anywhere at all once it is known (serve's own tokens), however spelled.
MEDIA_TOKEN_PLACES = [
    "/media/acme/local%2Dacme/call.mp3",
    "/media/acme/%6cocal-acme/callers/c1.mp3",
    "/media/acme/recordings/local-acme/call_recording_c1.mp3",
    "/media/acme/storage/local%2dacme/acct/doc/x.wav",
    "/media/acme/callers/local-acme/c1.mp3",
    "/media/local-acme/callers/c1.mp3",
]
ANYWHERE = [
    "/pivot/acme/local%252Dacme",
    "/pivot/acme?token=x&Call-ID=local%2Dacme&step=local-acme",
]


@pytest.mark.parametrize(
    ("target", "known"),
    [
        *((target, known) for target in MEDIA_TOKEN_PLACES for known in (True, False)),
        *((target, True) for target in ANYWHERE),
    ],
)
def test_serve_logs_no_token_in_any_spelling_or_position(target: str, known: bool) -> None:
    """With the tokens known (local tokens) or not (tokens in Secrets Manager), a token in a
    media token position is masked; a known one is masked anywhere, however spelled."""
    seen: list[Exchange] = []
    gateway = LocalGateway(
        functions={"pivot": RecordingFunction(), "media": RecordingFunction()},
        secrets=[SECRET] if known else [],
        customers={"acme"},
        observer=seen.append,
    )
    _dispatch(gateway, target, "PUT" if target.startswith("/media") else "GET", b"x")
    (line,) = [e.log_line() for e in seen]
    assert SECRET not in _unquoted(line), line
    assert "***" in line


@pytest.mark.parametrize(
    ("method", "target"),
    [
        ("DELETE", "/media/acme/local-acme/x.mp3"),
        ("GET", "/pivot/local-acme"),
        ("GET", "/x/local-acme"),
    ],
)
def test_unrouted_requests_log_no_unknown_token(method: str, target: str) -> None:
    """API Gateway's own 404 is logged too, before any function could learn the token."""
    seen: list[Exchange] = []
    gateway = LocalGateway(functions={}, customers={"acme"}, observer=seen.append)
    assert _dispatch(gateway, target, method).status == 404
    (exchange,) = seen
    assert SECRET not in exchange.log_line()


def test_lambda_context_counts_down() -> None:
    now = [100.0]
    context = LocalLambdaContext("f", timeout_ms=5000, clock=lambda: now[0])
    assert context.get_remaining_time_in_millis() == 5000
    now[0] += 1.25
    assert context.get_remaining_time_in_millis() == 3750
    now[0] += 10
    assert context.get_remaining_time_in_millis() == 0
    assert context.log_group_name == "/aws/lambda/f"
    assert context.memory_limit_in_mb > 0


# --- the threaded server ----------------------------------------------------------------


@pytest.fixture
def served() -> Iterator[tuple[LocalServer, RecordingFunction]]:
    function = RecordingFunction()
    server = LocalServer(_gateway(function), "127.0.0.1", 0)
    thread = server.start_in_thread()
    yield server, function
    server.shutdown()
    server.server_close()
    thread.join(timeout=5)


def _connection(server: LocalServer) -> http.client.HTTPConnection:
    host, port = server.authority.split(":")
    return http.client.HTTPConnection(host, int(port), timeout=5)


def test_server_keeps_connections_alive(served: tuple[LocalServer, RecordingFunction]) -> None:
    server, function = served
    connection = _connection(server)
    for _ in range(3):
        connection.request("GET", f"/pivot/acme?token={SECRET}")
        response = connection.getresponse()
        assert response.status == 200
        assert response.getheader("Content-Type") == "application/json"
        assert json.loads(response.read()) == {"module": "hangup", "data": {}}
    connection.close()
    assert len(function.events) == 3
    assert function.events[0]["requestContext"]["domainName"] == server.authority


def test_server_frames_the_answer_itself_and_drops_the_functions_hop_by_hop_headers(
    served: tuple[LocalServer, RecordingFunction],
) -> None:
    server, function = served
    function.result = {
        "statusCode": 200,
        "headers": {
            "X-Kept": "1",
            "Keep-Alive": "timeout=1",
            "Upgrade": "h2c",
            "Content-Length": "1",
        },
        "body": "four",
    }
    connection = _connection(server)
    connection.request("GET", f"/pivot/acme?token={SECRET}")
    response = connection.getresponse()
    assert response.read() == b"four" and response.getheader("Content-Length") == "4"
    assert response.getheader("X-Kept") == "1"
    assert response.getheader("Keep-Alive") is None and response.getheader("Upgrade") is None
    connection.close()


def test_server_reads_chunked_and_sized_bodies(
    served: tuple[LocalServer, RecordingFunction],
) -> None:
    server, function = served
    connection = _connection(server)
    connection.request(
        "POST",
        "/pivot/acme",
        body=iter([b"Call-ID=", b"abc"]),
        headers={"Content-Type": "application/x-www-form-urlencoded"},
        encode_chunked=True,
    )
    assert connection.getresponse().read()
    connection.request("PUT", "/media/acme/x.wav", body=b"\x00" * 1000)
    assert connection.getresponse().status == 200
    assert base64.b64decode(function.events[0]["body"]) == b"Call-ID=abc"
    assert len(base64.b64decode(function.events[1]["body"])) == 1000


def test_server_refuses_oversized_bodies_and_keeps_serving(
    served: tuple[LocalServer, RecordingFunction],
) -> None:
    server, function = served
    connection = _connection(server)
    connection.putrequest("PUT", "/media/acme/big.wav")
    connection.putheader("Content-Length", str(7 * 1024 * 1024))
    connection.endheaders()
    assert connection.getresponse().status == 413
    connection.close()
    fresh = _connection(server)
    fresh.request("GET", "/pivot/acme")
    assert fresh.getresponse().status == 200
    assert len(function.events) == 1


def test_server_answers_concurrent_requests(
    served: tuple[LocalServer, RecordingFunction],
) -> None:
    server, function = served
    statuses: list[int] = []
    lock = threading.Lock()

    def client() -> None:
        connection = _connection(server)
        for _ in range(5):
            connection.request("GET", "/pivot/acme")
            status = connection.getresponse()
            status.read()
            with lock:
                statuses.append(status.status)
        connection.close()

    threads = [threading.Thread(target=client) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=10)
    assert statuses == [200] * 40
    assert len(function.events) == 40


def test_server_survives_garbage(served: tuple[LocalServer, RecordingFunction]) -> None:
    server, function = served
    connection = _connection(server)
    connection.connect()
    assert connection.sock is not None
    connection.sock.sendall(b"\x16\x03\x01 this is not http\r\n\r\n")
    connection.sock.recv(1024)
    connection.close()
    fresh = _connection(server)
    fresh.request("GET", "/pivot/acme")
    assert fresh.getresponse().status == 200
    assert len(function.events) == 1  # the garbage never reached a function


def test_a_failing_observer_does_not_cost_the_answer() -> None:
    def broken_log(exchange: Exchange) -> None:
        raise BrokenPipeError("stdout went away")

    gateway = _gateway(RecordingFunction())
    gateway.observer = broken_log
    assert _dispatch(gateway, "/pivot/acme").status == 200


def test_the_request_log_names_the_error_code_the_function_reported() -> None:
    """Served by the real handlers, each answer's error code comes from the function's own
    outcome (``ErrorCodes``), for Pivot, media and webhook routes alike, never from the body."""
    seen: list[Exchange] = []
    with local_runtime("memory", customer="acme") as runtime:
        gateway = runtime.gateway(observer=seen.append)
        token = runtime.token_for("acme")
        for target, method in (
            ("/pivot/acme?token=wrong&Call-ID=c1&Account-ID=" + "a" * 32, "GET"),
            (f"/pivot/acme?token={token}", "GET"),
            ("/media/acme/wrong/callers/" + "a" * 32 + "/c1/x.mp3", "PUT"),
            ("/hooks/acme?token=wrong", "POST"),
        ):
            _dispatch(gateway, target, method, b"x" if method != "GET" else b"")
    assert [e.error for e in seen] == [
        "unauthorized",
        "not_a_pivot_request",
        "bad_request",
        "unauthorized",
    ]
    assert all(e.status >= 400 for e in seen)
