"""A fake booking service on 127.0.0.1 for the outbound tests: a real ``http.server`` in a
thread, told how to misbehave (slow, 500, garbage), recording every request it receives.

``POST /bookings`` books once per ``Idempotency-Key``, as a service that honours the header
does: a repeated key gets the first booking back (and is counted as a repeat).
"""

from __future__ import annotations

import json
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


@dataclass(frozen=True)
class Received:
    method: str
    path: str
    headers: dict[str, str]
    body: bytes


@dataclass
class Behaviour:
    """What the service does with the next requests (tests change it between calls)."""

    delay_seconds: float = 0.0
    status: int = 200
    garbage: bool = False


@dataclass
class BookingService:
    url: str
    behaviour: Behaviour = field(default_factory=Behaviour)
    received: list[Received] = field(default_factory=list)
    bookings: dict[str, dict[str, Any]] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def posts(self) -> list[Received]:
        with self.lock:
            return [r for r in self.received if r.method == "POST"]


class _Handler(BaseHTTPRequestHandler):
    service: BookingService

    def log_message(self, format: str, *args: Any) -> None:
        """Quiet: the tests read ``received`` instead."""

    def _answer(self, method: str) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        service = self.service
        with service.lock:
            service.received.append(Received(method, self.path, dict(self.headers), body))
        behaviour = service.behaviour
        if behaviour.delay_seconds:
            time.sleep(behaviour.delay_seconds)
        if behaviour.garbage:
            payload = b"<html>not json"
        elif behaviour.status >= 300:
            payload = json.dumps({"error": "down"}).encode()
        else:
            payload = json.dumps(self._book(method, body)).encode()
        try:
            self.send_response(behaviour.status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)
        except OSError:
            pass  # the client gave up (its timeout): nothing to tell it

    def _book(self, method: str, body: bytes) -> dict[str, Any]:
        if method != "POST":
            return {"slots": ["09:00", "10:30"]}
        key = self.headers.get("Idempotency-Key") or f"no-key-{time.monotonic_ns()}"
        with self.service.lock:
            booking = self.service.bookings.get(key)
            if booking is None:
                booking = {"id": f"b{len(self.service.bookings) + 1}", **json.loads(body or b"{}")}
                self.service.bookings[key] = booking
        return booking

    def do_GET(self) -> None:
        self._answer("GET")

    def do_POST(self) -> None:
        self._answer("POST")


@contextmanager
def booking_service() -> Iterator[BookingService]:
    """The service on a free loopback port, stopped afterwards."""
    handler = type("Handler", (_Handler,), {})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    server.daemon_threads = True
    service = BookingService(url=f"http://127.0.0.1:{server.server_address[1]}")
    handler.service = service
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield service
    finally:
        server.shutdown()
        server.server_close()


def refused_url() -> str:
    """A loopback URL nothing listens on (a port just freed): connections are refused."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    return f"http://127.0.0.1:{port}"
