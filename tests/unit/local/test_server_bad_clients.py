"""``pivotkit serve`` under clients that lie, stall or trickle: real sockets, real server.

Each test speaks raw HTTP to a ``LocalServer`` on 127.0.0.1 and checks what reaches the
function (nothing, for a request that cannot be read whole) and that the server frees the
connection (and its thread) in bounded time.
"""

from __future__ import annotations

import json
import socket
import threading
import time
from collections.abc import Iterator, Mapping
from typing import Any

import pytest

from pivotkit.local.cli import build_parser
from pivotkit.local.request_body import MAX_REQUEST_BYTES
from pivotkit.local.server import LocalGateway, LocalServer

IDLE = 0.3
REQUEST = 1.0


class Bodies:
    """A media function that keeps every body it is handed and answers 201."""

    def __init__(self) -> None:
        self.received: list[Mapping[str, Any]] = []

    def __call__(self, event: Mapping[str, Any], context: Any) -> Mapping[str, Any]:
        self.received.append(event)
        return {"statusCode": 201, "headers": {}, "body": ""}


@pytest.fixture
def served() -> Iterator[tuple[LocalServer, Bodies]]:
    function = Bodies()
    gateway = LocalGateway(functions={"pivot": function, "media": function}, customers={"acme"})
    server = LocalServer(gateway, "127.0.0.1", 0, idle_timeout=IDLE, request_timeout=REQUEST)
    thread = server.start_in_thread()
    yield server, function
    server.shutdown()
    server.server_close()
    thread.join(timeout=5)


_OPEN: list[socket.socket] = []


@pytest.fixture(autouse=True)
def _close_client_sockets() -> Iterator[None]:
    yield
    while _OPEN:
        _OPEN.pop().close()


def connect(server: LocalServer) -> socket.socket:
    host, port = server.server_address[:2]
    _OPEN.append(socket.create_connection((str(host), port), timeout=5))
    return _OPEN[-1]


def put(headers: str, body: bytes = b"") -> bytes:
    head = f"PUT /media/acme/t/callers/c1.mp3 HTTP/1.1\r\nHost: x\r\n{headers}\r\n"
    return head.encode("latin-1") + body


def until_closed(sock: socket.socket) -> bytes:
    """Everything the server sent until it closed the connection."""
    data = b""
    while chunk := sock.recv(65536):
        data += chunk
    return data


def answer(sock: socket.socket) -> tuple[int, bytes]:
    """The status the server answered with, and all it sent, before closing."""
    data = until_closed(sock)
    assert data.startswith(b"HTTP/1.1 "), data
    return int(data.split(b" ", 2)[1]), data


def test_a_body_shorter_than_its_length_is_refused_and_nothing_is_stored(
    served: tuple[LocalServer, Bodies],
) -> None:
    server, function = served
    sock = connect(server)
    sock.sendall(put("Content-Length: 2000\r\n", b"a" * 1000))
    sock.shutdown(socket.SHUT_WR)  # the client is done: the other 1000 bytes never come
    status, data = answer(sock)
    assert status == 400
    assert json.loads(data.split(b"\r\n\r\n", 1)[1])["error"] == "bad_request"
    assert function.received == []


def test_a_body_that_stops_arriving_times_out_and_nothing_is_stored(
    served: tuple[LocalServer, Bodies],
) -> None:
    server, function = served
    sock = connect(server)
    sock.sendall(put("Content-Length: 2000\r\n", b"a" * 1000))  # and then nothing
    started = time.monotonic()
    status, _ = answer(sock)
    assert status == 408
    assert time.monotonic() - started < IDLE + 2
    assert function.received == []


@pytest.mark.parametrize(
    "size_line",
    [b"-1", b"+5", b"0x5", b"1_0", b" 5", b"5 5", b"", b"g", b"123456789", b"\xd9\xa5"],
)
def test_chunk_sizes_are_hex_digits_only(
    served: tuple[LocalServer, Bodies], size_line: bytes
) -> None:
    """``int(x, 16)`` takes ``-1``, ``0x5`` and ``1_0``; ``-1`` then read to the end of the
    stream, past the 6 MiB cap. The client here never closes: the server must answer."""
    server, function = served
    sock = connect(server)
    sock.sendall(put("Transfer-Encoding: chunked\r\n", size_line + b"\r\nabcde\r\n"))
    assert answer(sock)[0] == 400
    assert function.received == []


def test_the_cap_is_enforced_from_the_chunk_size_before_its_data(
    served: tuple[LocalServer, Bodies],
) -> None:
    server, function = served
    sock = connect(server)
    sock.sendall(put("Transfer-Encoding: chunked\r\n", f"{MAX_REQUEST_BYTES + 1:x}\r\n".encode()))
    assert answer(sock)[0] == 413  # without a byte of the chunk sent
    sock = connect(server)
    chunk = b"a" * (1024 * 1024)
    sock.sendall(put("Transfer-Encoding: chunked\r\n"))
    # The server stops reading and closes once over the cap: sending fails long before the
    # 64 MiB this client would send (what socket buffers still take is all that goes).
    with pytest.raises(OSError):
        for _ in range(64):
            sock.sendall(f"{len(chunk):x}\r\n".encode() + chunk + b"\r\n")
    assert function.received == []


@pytest.mark.parametrize(
    "headers",
    [
        "Content-Length: +5\r\n",
        "Content-Length: 5, 5\r\n",
        "Content-Length: \u00b2\r\n",  # a digit to str.isdigit, not to int()
        "Content-Length: 5\r\nContent-Length: 6\r\n",
        "Content-Length: 5\r\nTransfer-Encoding: chunked\r\n",
        "Transfer-Encoding: gzip, chunked\r\n",
    ],
)
def test_lengths_and_encodings_are_read_strictly(
    served: tuple[LocalServer, Bodies], headers: str
) -> None:
    server, function = served
    sock = connect(server)
    sock.sendall(put(headers, b"0\r\n\r\n"))
    assert answer(sock)[0] == 400
    assert function.received == []


def test_well_formed_chunked_bodies_with_extensions_and_trailers_still_arrive(
    served: tuple[LocalServer, Bodies],
) -> None:
    server, function = served
    sock = connect(server)
    body = b"5;name=value\r\nhello\r\nA\r\n0123456789\r\n0\r\nX-Trailer: 1\r\n\r\n"
    sock.sendall(put("Transfer-Encoding: chunked\r\nContent-Type: text/plain\r\n", body))
    assert sock.recv(65536).startswith(b"HTTP/1.1 201 ")
    assert function.received[0]["body"] == "hello0123456789"


def test_idle_connections_are_closed_and_their_threads_freed(
    served: tuple[LocalServer, Bodies],
) -> None:
    server, _ = served
    before = threading.active_count()
    idle = [connect(server) for _ in range(40)]
    idle[0].sendall(b"GET /pivot/acme HTTP/1.1\r\nHost: x\r\n\r\n")  # a kept-alive one too
    deadline = time.monotonic() + 5
    while threading.active_count() < before + 40 and time.monotonic() < deadline:
        time.sleep(0.01)
    for sock in idle:
        until_closed(sock)
    while threading.active_count() > before and time.monotonic() < deadline:
        time.sleep(0.02)
    assert threading.active_count() <= before


def test_a_client_trickling_its_headers_is_cut_off_at_the_request_timeout(
    served: tuple[LocalServer, Bodies],
) -> None:
    """Each byte comes within the idle timeout; the request as a whole does not."""
    server, function = served
    sock = connect(server)
    started = time.monotonic()
    request = put("X-Slow: " + "a" * 100 + "\r\n")
    with pytest.raises(OSError):
        for byte in request:
            sock.sendall(bytes([byte]))
            time.sleep(IDLE / 3)
    assert time.monotonic() - started < REQUEST + 1
    assert function.received == []


def test_timeouts_must_be_positive() -> None:
    gateway = LocalGateway(functions={})
    with pytest.raises(ValueError, match="positive"):
        LocalServer(gateway, "127.0.0.1", 0, idle_timeout=0)


def test_serve_takes_both_timeouts_from_its_command_line() -> None:
    parser = build_parser()
    args = parser.parse_args(["serve", "--idle-timeout", "5", "--request-timeout", "12.5"])
    assert (args.idle_timeout, args.request_timeout) == (5.0, 12.5)
    defaults = parser.parse_args(["serve"])
    assert (defaults.idle_timeout, defaults.request_timeout) == (30.0, 60.0)
    for bad in ("0", "-1", "nan", "inf", "soon"):
        with pytest.raises(SystemExit):
            parser.parse_args(["serve", "--idle-timeout", bad])
