"""A local HTTP endpoint that accepts connections and never answers: the way a stuck
AWS endpoint looks to the SDK, so read timeouts can be measured for real."""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager


class HungEndpoint:
    def __init__(self) -> None:
        self._server = socket.create_server(("127.0.0.1", 0))
        self._server.settimeout(0.1)
        self._held: list[socket.socket] = []
        self._stop = threading.Event()
        self.requests = 0
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
            connection.settimeout(2)
            try:
                if connection.recv(65536):  # the request arrived; no answer will follow
                    self.requests += 1
            except OSError:
                pass
            self._held.append(connection)

    def start(self) -> None:
        self._thread.start()

    def close(self) -> None:
        self._stop.set()
        self._thread.join(timeout=2)
        for connection in self._held:
            connection.close()
        self._server.close()


@contextmanager
def hung_endpoint() -> Iterator[HungEndpoint]:
    endpoint = HungEndpoint()
    endpoint.start()
    try:
        yield endpoint
    finally:
        endpoint.close()
