"""A local endpoint that answers ``PutObject`` as S3 does, only as slowly as a test asks: it
reads the body at a set rate and answers a set time after the last byte, with the SHA-256
of what it received (as S3 reports ``ChecksumSHA256``). Real sockets, so the SDK's own
timeouts are what is being measured."""

from __future__ import annotations

import base64
import contextlib
import hashlib
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

CHUNK_BYTES = 16 * 1024
# A small receive buffer, so the client feels the read rate instead of filling the kernel.
RECEIVE_BUFFER_BYTES = 64 * 1024


class SlowS3:
    def __init__(self, *, read_rate: float | None = None, answer_delay: float = 0.0) -> None:
        """``read_rate``: body bytes per second (None: as fast as they come)."""
        self.read_rate = read_rate
        self.answer_delay = answer_delay
        self.requests = 0
        self.bodies: list[bytes] = []
        self._server = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self._server.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, RECEIVE_BUFFER_BYTES)
        self._server.bind(("127.0.0.1", 0))
        self._server.listen()
        self._server.settimeout(0.1)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._serve, daemon=True)

    @property
    def url(self) -> str:
        host, port = self._server.getsockname()[:2]
        return f"http://{host}:{port}"

    def _serve(self) -> None:
        while not self._stop.is_set():
            try:
                connection, _ = self._server.accept()
            except TimeoutError:
                continue
            # A client that gives up mid-request shows in the test's answer, not here.
            with connection, contextlib.suppress(OSError):
                connection.settimeout(5)
                self._answer(connection)

    def _answer(self, connection: socket.socket) -> None:
        head, rest = _read_head(connection)
        self.requests += 1
        headers = _headers(head)
        if "chunked" in headers.get("transfer-encoding", ""):
            raise OSError("this endpoint reads Content-Length bodies only")
        if headers.get("expect", "").lower() == "100-continue":
            connection.sendall(b"HTTP/1.1 100 Continue\r\n\r\n")  # as S3 does, at once
        body = self._read_body(connection, rest, int(headers.get("content-length", "0")))
        self.bodies.append(body)
        time.sleep(self.answer_delay)
        digest = base64.b64encode(hashlib.sha256(body).digest()).decode()
        etag = hashlib.md5(body, usedforsecurity=False).hexdigest()
        connection.sendall(
            (
                "HTTP/1.1 200 OK\r\n"
                f"x-amz-checksum-sha256: {digest}\r\n"
                f'ETag: "{etag}"\r\n'
                "x-amz-server-side-encryption: AES256\r\n"
                "Content-Length: 0\r\n\r\n"
            ).encode()
        )

    def _read_body(self, connection: socket.socket, start: bytes, length: int) -> bytes:
        """``length`` bytes, at no more than ``read_rate`` (on a wall-clock schedule, so a
        late wake-up on a busy machine is made up rather than slowing the rate further)."""
        body = bytearray(start)
        began = time.perf_counter()
        while len(body) < length:
            if self.read_rate is not None:
                due = began + len(body) / self.read_rate
                time.sleep(max(0.0, due - time.perf_counter()))
            chunk = connection.recv(min(CHUNK_BYTES, length - len(body)))
            if not chunk:
                raise OSError("the client closed the connection mid-body")
            body += chunk
        return bytes(body)

    def start(self) -> None:
        self._thread.start()

    def close(self) -> None:
        self._stop.set()
        self._thread.join(timeout=10)
        self._server.close()


def _read_head(connection: socket.socket) -> tuple[bytes, bytes]:
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = connection.recv(CHUNK_BYTES)
        if not chunk:
            raise OSError("the client closed the connection before its headers ended")
        data += chunk
    head, _, rest = data.partition(b"\r\n\r\n")
    return head, rest


def _headers(head: bytes) -> dict[str, str]:
    lines = head.decode("latin-1").split("\r\n")[1:]
    pairs = (line.split(":", 1) for line in lines if ":" in line)
    return {name.strip().lower(): value.strip() for name, value in pairs}


@contextmanager
def slow_s3(*, read_rate: float | None = None, answer_delay: float = 0.0) -> Iterator[SlowS3]:
    endpoint = SlowS3(read_rate=read_rate, answer_delay=answer_delay)
    endpoint.start()
    try:
        yield endpoint
    finally:
        endpoint.close()
