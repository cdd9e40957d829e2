"""How the virtual Kazoo reaches an endpoint: real HTTP, or the handlers in-process.

A transport sends one ``KazooHttpRequest`` (``pivotkit.local.kazoo_encoding``) and returns
the answer with its timing, or raises ``TransportTimeout``/``TransportError``: the two
failures Kazoo's ``httpc`` reports, which send a call to the pivot node's fallback.
"""

from __future__ import annotations

import http.client
import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Protocol
from urllib.parse import urlsplit

from pivotkit.local.gateway import HOP_BY_HOP_HEADERS, GatewayRequest, media_type
from pivotkit.local.kazoo_encoding import KazooHttpRequest
from pivotkit.local.server import Dispatch


@dataclass(frozen=True, slots=True)
class WireAnswer:
    status: int
    headers: Mapping[str, str]  # lower-case names
    body: bytes
    elapsed_ms: float

    @property
    def content_type(self) -> str:
        return media_type(self.headers.get("content-type"))


class TransportTimeout(Exception):
    """No answer within ``req_timeout_ms``."""


class TransportError(Exception):
    """Connection refused, reset, DNS: Kazoo's ``httpc`` reports an error."""


class Transport(Protocol):
    def send(self, request: KazooHttpRequest, timeout_s: float) -> WireAnswer:
        """Send ``request``; raise ``TransportTimeout`` or ``TransportError``."""
        ...


# httpc's hop-by-hop headers belong to its connection, and http.client writes Host and
# Content-Length itself (it would duplicate or reject them).
_CONNECTION_HEADERS = HOP_BY_HOP_HEADERS | {"host", "content-length"}


class HttpTransport:
    """Real HTTP with keep-alive connections per host, as Kazoo's ``httpc`` pool does.

    One instance per simulated call (connections are not shared across threads).
    """

    def __init__(self) -> None:
        self._connections: dict[tuple[str, str], http.client.HTTPConnection] = {}

    def send(self, request: KazooHttpRequest, timeout_s: float) -> WireAnswer:
        parts = urlsplit(request.url)
        target = parts.path or "/"
        if parts.query:
            target = f"{target}?{parts.query}"
        headers = {n: v for n, v in request.headers if n.lower() not in _CONNECTION_HEADERS}
        for attempt in (1, 2):
            connection = self._connection(parts.scheme, parts.netloc, timeout_s)
            started = time.perf_counter()
            try:
                connection.request(
                    request.method, target, body=request.body or None, headers=headers
                )
                response = connection.getresponse()
                body = response.read()
            except TimeoutError as exc:
                self._drop(parts.scheme, parts.netloc)
                raise TransportTimeout(f"no answer within {timeout_s * 1000:.0f} ms") from exc
            except (http.client.RemoteDisconnected, BrokenPipeError, ConnectionResetError):
                # A kept-alive connection the server closed meanwhile: reconnect once.
                self._drop(parts.scheme, parts.netloc)
                if attempt == 2:
                    raise TransportError("the server closed the connection") from None
                continue
            except OSError as exc:
                self._drop(parts.scheme, parts.netloc)
                raise TransportError(str(exc) or type(exc).__name__) from exc
            elapsed = (time.perf_counter() - started) * 1000
            if response.will_close:
                self._drop(parts.scheme, parts.netloc)
            lowered = {name.lower(): value for name, value in response.getheaders()}
            return WireAnswer(response.status, lowered, body, elapsed)
        raise TransportError("unreachable")  # pragma: no cover - the loop always returns

    def close(self) -> None:
        for key in list(self._connections):
            self._drop(*key)

    def _connection(self, scheme: str, netloc: str, timeout_s: float) -> http.client.HTTPConnection:
        key = (scheme, netloc)
        connection = self._connections.get(key)
        if connection is None:
            cls = http.client.HTTPSConnection if scheme == "https" else http.client.HTTPConnection
            connection = cls(netloc, timeout=timeout_s)
            self._connections[key] = connection
        connection.timeout = timeout_s
        if connection.sock is not None:
            connection.sock.settimeout(timeout_s)
        return connection

    def _drop(self, scheme: str, netloc: str) -> None:
        connection = self._connections.pop((scheme, netloc), None)
        if connection is not None:
            connection.close()


class InProcessTransport:
    """Straight into the Lambda handlers through the local gateway: no sockets.

    The handler cannot be interrupted, so a slow answer is timed and then treated as Kazoo
    treats it: discarded, and the request counts as timed out.
    """

    def __init__(self, gateway: Dispatch) -> None:
        self._gateway = gateway

    def send(self, request: KazooHttpRequest, timeout_s: float) -> WireAnswer:
        sent = GatewayRequest.for_url(request.method, request.url, request.headers, request.body)
        started = time.perf_counter()
        answer = self._gateway.dispatch(sent)
        elapsed = (time.perf_counter() - started) * 1000
        if elapsed > timeout_s * 1000:
            raise TransportTimeout(f"answered after {elapsed:.0f} ms, over the timeout")
        headers = {name.lower(): value for name, value in answer.headers.items()}
        return WireAnswer(answer.status, headers, answer.body, elapsed)
