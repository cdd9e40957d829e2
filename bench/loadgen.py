"""Load generator for `bench.serve`, run as its own process so the client is not the server's
bottleneck: `python -m bench.loadgen URL MODE CALLS THREADS`.

MODE `acme` walks the Acme example like Kazoo (first request, PIN, menu choice 2), following
each answer's pivot node; MODE `fixed` sends the same number of plain GETs. The process
prints `ready` once imported and starts its threads when a line arrives on stdin, so several
generators start together and their interpreter start-up is not timed. It then prints one
JSON object: every request's latency in milliseconds, the count of failed requests, and
the start and end of the load on the system-wide monotonic clock (`time.perf_counter` is
CLOCK_MONOTONIC on Linux), so the parent can take the span of all generators.
"""

from __future__ import annotations

import http.client
import json
import sys
import threading
import time
from urllib.parse import urlsplit

from bench.harness import find_module
from pivotkit.local.kazoo_encoding import KazooCall, pivot_http_request

ACCOUNT = "3a1f0e2d4c5b6a7980f1e2d3c4b5a697"
REQUESTS_PER_CALL = 3


def _get(conn: http.client.HTTPConnection, url: str) -> tuple[int, bytes, float]:
    parts = urlsplit(url)
    started = time.perf_counter()
    conn.request("GET", f"{parts.path}?{parts.query}")
    response = conn.getresponse()
    body = response.read()
    return response.status, body, (time.perf_counter() - started) * 1e3


def worker(url: str, mode: str, calls: int, name: str, out: list[float], errors: list[int]) -> None:
    parts = urlsplit(url)
    # The connection opens with the first request, inside the timed load: a server whose
    # listen backlog overflows shows it here as retransmit-sized latencies.
    conn = http.client.HTTPConnection(parts.hostname or "127.0.0.1", parts.port, timeout=30)
    try:
        for i in range(calls):
            if mode == "fixed":
                for _ in range(REQUESTS_PER_CALL):
                    status, _body, ms = _get(conn, url)
                    out.append(ms)
                    errors.append(int(status != 200))
                continue
            _walk(conn, url, f"{name}-{i}@127.0.0.1", out, errors)
    except (OSError, http.client.HTTPException):
        errors.append(1)  # a dropped connection is a failed request, not a crashed generator
    finally:
        conn.close()


def _walk(
    conn: http.client.HTTPConnection, url: str, call_id: str, out: list[float], errors: list[int]
) -> None:
    call = KazooCall(account_id=ACCOUNT, call_id=call_id)
    next_url = url
    body = b""
    for digits in (None, "1234", "2"):
        if digits is not None:
            tree = json.loads(body)
            collect = find_module(tree, "collect_dtmf")["data"]["collection_name"]
            call = call.with_digits(collect, digits)
            next_url = find_module(tree, "pivot")["data"]["voice_url"]
        status, body, ms = _get(conn, pivot_http_request(call, next_url).url)
        out.append(ms)
        errors.append(int(status != 200))
        if status != 200:
            return


def main() -> int:
    url, mode, calls, threads = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
    latencies: list[float] = []
    errors: list[int] = []
    tag = f"p{time.monotonic_ns()}"
    pool = [
        threading.Thread(target=worker, args=(url, mode, calls, f"{tag}t{n}", latencies, errors))
        for n in range(threads)
    ]
    print("ready", flush=True)
    sys.stdin.readline()
    started = time.perf_counter()
    for thread in pool:
        thread.start()
    for thread in pool:
        thread.join()
    ended = time.perf_counter()
    result = {"latencies": latencies, "errors": sum(errors), "started": started, "ended": ended}
    print(json.dumps(result), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
