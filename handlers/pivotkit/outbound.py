"""HTTP calls from a step to the outside world, inside the request's time budget: ``call.http``.

    booking = call.http.post(f"{call.config.booking_url}/bookings", json={"slot": slot},
                             headers={"Authorization": f"Bearer {call.secrets['booking_key']}"})

A step runs while the caller waits and Kazoo counts down ``req_timeout_ms``, so every call
here is bounded by what the request has left (``budget``: the seconds left minus what the
engine keeps for the state write, see ``pivotkit.budget``):

- each attempt's connect and read timeouts are capped by that budget (and by ``timeout``
  when the step gives one);
- a failed attempt (timeout, refused connection, 429/5xx) is retried only when the request
  is safe to repeat (GET, HEAD, OPTIONS, PUT, DELETE, or any method sent with an
  ``Idempotency-Key``) and the backoff plus ``MIN_ATTEMPT_SECONDS`` still fit the budget;
- every failure is one exception, ``OutboundError``, whose ``kind`` says what happened
  (``timeout``, ``refused``, ``status``, ``bad_json``, ``budget``), so the step decides what
  the caller hears. Uncaught, it is a 502 and Kazoo runs the pivot node's fallback.

Bodies go out and come back as JSON. ``Idempotency-Key: call.idempotency_key`` is sent by
default: Kazoo's retries and racing duplicates of one transition send the same key, so a
service that honours it books once (docs/outbound.md). Logs name the method, the URL
without its query, the status and the time; never a body or a header value.

The transport is urllib3 (it ships with botocore, so the Lambda layer already holds it),
imported on the first call: a step that never calls out pays nothing at cold start. One
connection pool per process (``shared_transport``) is reused by warm invocations. Tests swap
the transport for a fake (``pivotkit.testing``, docs/testing.md).
"""

from __future__ import annotations

import json
import logging
import random
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal, Protocol
from urllib.parse import urlencode, urlsplit, urlunsplit

from pivotkit.errors import OutboundError
from pivotkit.redaction import public_url

if TYPE_CHECKING:
    import urllib3

logger = logging.getLogger("pivotkit.outbound")

Method = Literal["GET", "HEAD", "OPTIONS", "POST", "PUT", "PATCH", "DELETE"]
# Methods HTTP defines as idempotent (RFC 9110, 9.2.2): repeating one changes nothing more.
IDEMPOTENT_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "PUT", "DELETE"})
# Answers that say "try again" rather than "no": worth a retry while the budget allows.
RETRYABLE_STATUSES = frozenset({429, 500, 502, 503, 504})
IDEMPOTENCY_HEADER = "Idempotency-Key"
# An attempt with less than this left is not started (it could not plausibly succeed: a
# TLS handshake to a service in another region alone takes 50-150 ms).
MIN_ATTEMPT_SECONDS = 0.1
# Connecting never gets more than this, however much is left: a host that takes longer to
# accept is down, and the rest of the budget is better spent on a retry.
CONNECT_TIMEOUT_SECONDS = 1.0
DEFAULT_MAX_ATTEMPTS = 3
BASE_BACKOFF_SECONDS = 0.05
MAX_BACKOFF_SECONDS = 0.4
JSON_TYPE = "application/json"
_NO_BODY = object()


@dataclass(frozen=True, slots=True)
class RawRequest:
    """What a transport sends: the method, the URL (query included), the headers and the body
    (``None`` for none)."""

    method: str
    url: str
    headers: Mapping[str, str]
    body: bytes | None


@dataclass(frozen=True, slots=True)
class RawResponse:
    """What a transport got back: the status, the headers (names lower-case) and the body."""

    status: int
    headers: Mapping[str, str]
    body: bytes


class Transport(Protocol):
    """Sends one request and returns its answer, or raises ``OutboundError`` (kind
    ``timeout`` or ``refused``) when no answer came. It never retries or follows redirects."""

    def send(
        self, request: RawRequest, *, connect_timeout: float, read_timeout: float
    ) -> RawResponse: ...


class Urllib3Transport:
    """The deployed transport: one urllib3 pool manager (keep-alive connections per host),
    thread-safe, so every request of a warm process shares it."""

    def __init__(self, *, connections_per_host: int = 10) -> None:
        import urllib3  # on first use: a process that never calls out never loads it

        # urllib3's DEBUG lines quote each request's path with its query (where API keys
        # sit): keep them out of the logs, whatever level the root logger is at.
        logging.getLogger("urllib3").setLevel(logging.WARNING)
        self._urllib3 = urllib3
        self._pool: urllib3.PoolManager = urllib3.PoolManager(
            num_pools=32, maxsize=connections_per_host, retries=False, block=False
        )

    def send(
        self, request: RawRequest, *, connect_timeout: float, read_timeout: float
    ) -> RawResponse:
        urllib3 = self._urllib3
        method, url = request.method, request.url
        try:
            response = self._pool.request(
                method,
                url,
                body=request.body,
                headers=dict(request.headers),
                timeout=urllib3.Timeout(connect=connect_timeout, read=read_timeout),
                retries=False,
                redirect=False,
            )
        except urllib3.exceptions.NewConnectionError as error:  # before: it is a timeout too
            reason = type(_root_cause(error)).__name__
            raise OutboundError("refused", reason, method=method, url=url) from None
        except urllib3.exceptions.TimeoutError:  # connect or read
            raise OutboundError("timeout", "no answer in time", method=method, url=url) from None
        except (urllib3.exceptions.HTTPError, OSError) as error:
            # Refused, reset, unreachable, a name that does not resolve, a TLS failure.
            reason = type(_root_cause(error)).__name__
            raise OutboundError("refused", reason, method=method, url=url) from None
        return RawResponse(
            response.status, {k.lower(): v for k, v in response.headers.items()}, response.data
        )


def _root_cause(error: BaseException) -> BaseException:
    reason = getattr(error, "reason", None)
    return reason if isinstance(reason, BaseException) else error


_shared: Transport | None = None
_shared_lock = threading.Lock()


def shared_transport() -> Transport:
    """The process's transport, built on first use and kept for warm invocations."""
    global _shared  # noqa: PLW0603 -- one connection pool per process, as for SDK clients
    if _shared is None:
        with _shared_lock:
            if _shared is None:
                _shared = Urllib3Transport()
    return _shared


@dataclass(frozen=True, slots=True)
class Response:
    """A 2xx answer: its status, headers (names lower-case) and body parsed as JSON
    (``None`` for an empty body)."""

    status: int
    headers: Mapping[str, str]
    data: Any


@dataclass
class Http:
    """``call.http``: JSON over HTTP inside the request's budget (see the module docstring).

    ``budget`` returns the seconds this step may still spend on outbound calls;
    ``idempotency_key`` is sent as ``Idempotency-Key`` unless a request names its own (a
    header, or ``idempotency_key="..."``) or sends none (``idempotency_key=False``).
    Without a ``transport``, the process's shared one, looked up on the first request."""

    budget: Callable[[], float]
    idempotency_key: str | None = None
    transport: Transport | None = None
    max_attempts: int = DEFAULT_MAX_ATTEMPTS
    sleep: Callable[[float], None] = time.sleep
    jitter: Callable[[], float] = random.random
    # Attempts made by this client (one request of the caller), for tests and logs.
    attempts: int = field(default=0, init=False)

    def get(self, url: str, *, params: Mapping[str, Any] | None = None, **options: Any) -> Any:
        """GET ``url`` (``params`` added to its query) and return the JSON it answers."""
        return self.request("GET", url, params=params, **options).data

    def post(self, url: str, *, json: Any = _NO_BODY, **options: Any) -> Any:
        return self.request("POST", url, json=json, **options).data

    def put(self, url: str, *, json: Any = _NO_BODY, **options: Any) -> Any:
        return self.request("PUT", url, json=json, **options).data

    def delete(self, url: str, **options: Any) -> Any:
        return self.request("DELETE", url, **options).data

    def request(
        self,
        method: Method,
        url: str,
        *,
        json: Any = _NO_BODY,
        params: Mapping[str, Any] | None = None,
        headers: Mapping[str, str] | None = None,
        timeout: float | None = None,
        idempotency_key: str | bool = True,
    ) -> Response:
        """Send ``method url`` with ``json`` as its body; a 2xx is returned parsed, anything
        else raises ``OutboundError``. ``timeout`` caps the whole call below the budget."""
        method = method.upper()  # type: ignore[assignment]
        if params:
            url = _with_query(url, params)
        sent = {"Accept": JSON_TYPE, **(headers or {})}
        body = None
        if json is not _NO_BODY:
            body = _encode(json, method, url)
            sent.setdefault("Content-Type", JSON_TYPE)
        key = self.idempotency_key if idempotency_key is True else idempotency_key or None
        if key is not None and not any(n.lower() == "idempotency-key" for n in sent):
            sent[IDEMPOTENCY_HEADER] = str(key)
        repeatable = method in IDEMPOTENT_METHODS or any(
            n.lower() == "idempotency-key" for n in sent
        )
        limit = None if timeout is None else time.monotonic() + timeout
        raw = self._send(RawRequest(method, url, sent, body), repeatable, limit)
        return Response(raw.status, raw.headers, _decode(raw, method, url))

    # -- attempts and retries -------------------------------------------------------------

    def _left(self, limit: float | None) -> float:
        left = self.budget()
        return left if limit is None else min(left, limit - time.monotonic())

    def _send(self, request: RawRequest, repeatable: bool, limit: float | None) -> RawResponse:
        transport = self._transport()
        method, url = request.method, request.url
        attempt = 0
        while True:
            left = self._left(limit)
            if left < MIN_ATTEMPT_SECONDS:
                raise OutboundError(
                    "budget", f"{left:.3f} s left of the request's budget", method=method, url=url
                )
            attempt += 1
            self.attempts += 1
            started = time.monotonic()
            try:
                raw = transport.send(
                    request,
                    connect_timeout=min(left, CONNECT_TIMEOUT_SECONDS),
                    read_timeout=left,
                )
            except OutboundError as error:
                failure = error
            else:
                if 200 <= raw.status < 300:
                    _log(method, url, raw.status, started, attempt)
                    return raw
                failure = OutboundError(
                    "status", f"answered {raw.status}", method=method, url=url, status=raw.status
                )
                if raw.status not in RETRYABLE_STATUSES:
                    _log(method, url, raw.status, started, attempt)
                    raise failure
            _log(method, url, failure.status_code or failure.kind, started, attempt)
            if not repeatable or attempt >= self.max_attempts:
                raise failure
            pause = self.jitter() * min(MAX_BACKOFF_SECONDS, BASE_BACKOFF_SECONDS * 2**attempt)
            if self._left(limit) - pause < MIN_ATTEMPT_SECONDS:
                raise failure  # no time for another try: the step hears what went wrong
            self.sleep(pause)

    def _transport(self) -> Transport:
        if self.transport is None:
            self.transport = shared_transport()
        return self.transport


def _encode(value: Any, method: str, url: str) -> bytes:
    try:
        return json.dumps(value, separators=(",", ":"), allow_nan=False).encode("utf-8")
    except (TypeError, ValueError) as error:
        # The step's own mistake (a datetime, a set): a TypeError, not a service failure.
        raise TypeError(f"{method} {public_url(url)}: body is not JSON: {error}") from None


def _decode(raw: RawResponse, method: str, url: str) -> Any:
    if not raw.body.strip():
        return None
    try:
        return json.loads(raw.body)
    except ValueError:  # UnicodeDecodeError included
        raise OutboundError(
            "bad_json", "the answer is not JSON", method=method, url=url, status=raw.status
        ) from None


def _with_query(url: str, params: Mapping[str, Any]) -> str:
    parts = urlsplit(url)
    extra = urlencode({k: str(v) for k, v in params.items()})
    query = f"{parts.query}&{extra}" if parts.query else extra
    return urlunsplit(parts._replace(query=query))


def _log(method: str, url: str, outcome: int | str, started: float, attempt: int) -> None:
    took_ms = (time.monotonic() - started) * 1000
    level = logging.INFO if isinstance(outcome, int) and outcome < 400 else logging.WARNING
    logger.log(
        level, "outbound %s %s: %s in %.0f ms (attempt %d)",
        method, public_url(url), outcome, took_ms, attempt,
    )  # fmt: skip
