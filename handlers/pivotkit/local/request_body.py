"""Reading a request off a client's connection for ``pivotkit serve``: strictly, and in time.

API Gateway stands between Kazoo and a deployed function; locally nothing does, so the
server refuses what the gateway would never pass on:

- a body shorter than its ``Content-Length`` (the client closed early): 400, nothing is
  handed to a function, so nothing partial is stored;
- a ``Content-Length`` that is not plain ASCII digits, repeated with different values, or
  sent together with ``Transfer-Encoding`` (the classic request-smuggling pair): 400;
- a ``Transfer-Encoding`` other than ``chunked``: 400;
- a chunk size that is not 1 to 8 hex digits (no sign, no ``0x``, no underscores, no
  spaces before it), chunk data not followed by its line end, or a line over 1 KiB: 400;
- more than ``limit`` bytes in all (6 MiB, Lambda's synchronous payload limit): 413, known
  from a chunk's size line before its data is read, so memory never holds more than that.

``DeadlineReader`` bounds time: each read waits at most the idle timeout (a keep-alive
connection with nothing on it is closed after it), and one request, from its first byte
to its last, gets at most the request timeout however slowly its bytes trickle in.
"""

from __future__ import annotations

import io
import re
import socket
import time
from email.message import Message
from typing import Protocol

MAX_REQUEST_BYTES = 6 * 1024 * 1024
DEFAULT_IDLE_TIMEOUT = 30.0  # seconds between requests (keep-alive) or between two reads
DEFAULT_REQUEST_TIMEOUT = 60.0  # seconds from a request's first byte to its last
MAX_LINE_BYTES = 1024  # a chunk-size or trailer line
MAX_TRAILER_LINES = 64
_READ_PIECE = 64 * 1024
# 8 hex digits (4 GiB) already say "too large"; more can only be an attack on the parser.
_CHUNK_SIZE = re.compile(rb"[0-9A-Fa-f]{1,8}")
_LENGTH_DIGITS = 12


class Stream(Protocol):
    """What the body is read from: the connection's buffered reader."""

    def read(self, size: int, /) -> bytes: ...

    def readline(self, size: int, /) -> bytes: ...


class BodyRefused(Exception):
    """The request cannot be read as one: answer ``status`` and close the connection."""

    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message


def read_body(rfile: Stream, headers: Message, limit: int = MAX_REQUEST_BYTES) -> bytes:
    """The body of the request whose ``headers`` were just read from ``rfile``."""
    encodings = headers.get_all("Transfer-Encoding") or []
    lengths = headers.get_all("Content-Length") or []
    if encodings and lengths:
        raise _bad("both Content-Length and Transfer-Encoding")
    if encodings:
        if [e.strip().lower() for e in encodings] != ["chunked"]:
            raise _bad("unsupported Transfer-Encoding (only chunked is accepted)")
        return _read_chunked(rfile, limit)
    length = _content_length(lengths)
    if length > limit:
        raise _too_large(limit)
    return _read_exactly(rfile, length)


def _content_length(values: list[str]) -> int:
    if not values:
        return 0
    texts = {value.strip() for value in values}
    text = texts.pop()
    if texts or not (text.isascii() and text.isdigit()) or len(text) > _LENGTH_DIGITS:
        raise _bad("bad Content-Length")
    return int(text)


def _read_exactly(rfile: Stream, length: int) -> bytes:
    body = bytearray()
    while len(body) < length:
        piece = rfile.read(min(_READ_PIECE, length - len(body)))
        if not piece:
            raise _bad("body shorter than its Content-Length")
        body += piece
    return bytes(body)


def _read_chunked(rfile: Stream, limit: int) -> bytes:
    body = bytearray()
    while True:
        size_text = _line(rfile).split(b";", 1)[0].rstrip(b" \t")  # drop chunk extensions
        if not _CHUNK_SIZE.fullmatch(size_text):
            raise _bad("bad chunk size")
        size = int(size_text, 16)
        if size == 0:
            break
        if len(body) + size > limit:
            raise _too_large(limit)
        body += _read_exactly(rfile, size)
        if _line(rfile):
            raise _bad("chunk longer than its size")
    for _ in range(MAX_TRAILER_LINES):
        if not _line(rfile):  # the empty line that ends the trailers
            return bytes(body)
    raise _bad("too many trailer lines")


def _line(rfile: Stream) -> bytes:
    """One CRLF- (or LF-) terminated line, without its end."""
    line = rfile.readline(MAX_LINE_BYTES + 1)
    if not line.endswith(b"\n"):
        raise _bad("chunked body cut short" if len(line) <= MAX_LINE_BYTES else "line too long")
    return line.removesuffix(b"\n").removesuffix(b"\r")


def _bad(message: str) -> BodyRefused:
    return BodyRefused(400, "bad_request", message)


def _too_large(limit: int) -> BodyRefused:
    return BodyRefused(413, "payload_too_large", f"request body exceeds {limit} bytes")


class DeadlineReader(io.RawIOBase):
    """A connection's reads, each within ``idle`` seconds, and all of one request within
    ``request`` seconds of its first byte (``new_request`` starts the next one's clock)."""

    def __init__(self, connection: socket.socket, *, idle: float, request: float) -> None:
        super().__init__()
        self._connection = connection
        self._idle = idle
        self._request = request
        self._deadline: float | None = None

    def new_request(self) -> None:
        self._deadline = None

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: memoryview) -> int:  # type: ignore[override]
        timeout = self._idle
        if self._deadline is not None:
            timeout = min(timeout, self._deadline - time.monotonic())
            if timeout <= 0:
                raise TimeoutError("the request took longer than the request timeout")
        self._connection.settimeout(timeout)
        count = self._connection.recv_into(buffer)
        if count and self._deadline is None:
            self._deadline = time.monotonic() + self._request
        return count
