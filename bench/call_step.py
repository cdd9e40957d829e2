"""What a call feels like: one stateful step as Kazoo sees it, through the local gateway
(`pivotkit serve`) on the embedded AWS, one request at a time.

Each simulated call makes its first request and a wrong PIN (which creates its record)
untimed, then the right PIN is timed from sending the request to reading the whole answer:
an HTTP round trip, the gateway's event, the handler's GetItem and conditional PutItem on
moto over HTTP, and the answer. Beside it, the HTTP round trip to the fixed-JSON baseline
over the same kind of keep-alive connection, which is the floor of any answer here. Both
run in interleaved rounds.
"""

from __future__ import annotations

import http.client
import json
import time
from collections.abc import Callable
from contextlib import ExitStack
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from bench.harness import Row, find_module, median, percentile, spread_row
from bench.servers import FIXED_BASELINE, PIVOT_PATH, SERVE_EMBEDDED_AWS, running
from bench.stats import interleaved, latency_health
from pivotkit.local.kazoo_encoding import KazooCall, pivot_http_request

ACCOUNT = "3a1f0e2d4c5b6a7980f1e2d3c4b5a697"
# Per pass (`python -m bench` makes two): 200 stateful steps in short rounds, so the rounds
# sample the machine's load at more moments (8 rounds, 400 steps in all).
ROUNDS, STEPS = 4, 50


class Client:
    """One keep-alive connection, as Kazoo's HTTP client keeps one per host."""

    def __init__(self, base: str) -> None:
        parts = urlsplit(base)
        self.conn = http.client.HTTPConnection(
            parts.hostname or "127.0.0.1", parts.port, timeout=30
        )

    def get(self, url: str) -> tuple[bytes, float]:
        parts = urlsplit(url)
        started = time.perf_counter()
        self.conn.request("GET", f"{parts.path}?{parts.query}")
        response = self.conn.getresponse()
        body = response.read()
        elapsed = (time.perf_counter() - started) * 1e3
        if response.status != 200:
            raise Failed(response.status)
        return body, elapsed


class Failed(Exception):
    """A request Kazoo would have heard as an error (the call then takes its fallback)."""


@dataclass
class Steps:
    """One round: the timed steps in milliseconds, and how many calls failed."""

    timings: list[float] = field(default_factory=list)
    failed: int = 0


def stateful_steps(client: Client, url: str, tag: str) -> Steps:
    """The right-PIN step of ``STEPS`` calls."""
    steps = Steps()
    for index in range(STEPS):
        call = KazooCall(account_id=ACCOUNT, call_id=f"step-{tag}-{index}@10.0.0.5")
        next_url, body = url, b""
        try:
            for digits in (None, "0000", "1234"):
                if digits is not None:
                    tree = json.loads(body)
                    collect = find_module(tree, "collect_dtmf")["data"]["collection_name"]
                    call = call.with_digits(collect, digits)
                    next_url = find_module(tree, "pivot")["data"]["voice_url"]
                body, ms = client.get(pivot_http_request(call, next_url).url)
        except Failed:
            steps.failed += 1
            continue
        steps.timings.append(ms)  # the last one: the right PIN, a read and a conditional write
    return steps


def round_trips(client: Client, url: str) -> Steps:
    steps = Steps()
    for _ in range(STEPS):
        try:
            steps.timings.append(client.get(url)[1])
        except Failed:
            steps.failed += 1
    return steps


def run() -> list[Row]:
    with ExitStack() as stack:
        kit_base = stack.enter_context(running(SERVE_EMBEDDED_AWS))
        fixed_base = stack.enter_context(running(FIXED_BASELINE))
        kit, fixed = Client(kit_base), Client(fixed_base)
        kit_url, fixed_url = kit_base + PIVOT_PATH, fixed_base + "/"
        stateful_steps(kit, kit_url, "warm")  # imports, first connection, moto's first calls
        round_trips(fixed, fixed_url)
        contenders: list[tuple[str, Callable[[], Steps]]] = [
            ("kit", _measure(lambda n: stateful_steps(kit, kit_url, f"r{n}"))),
            ("fixed", _measure(lambda n: round_trips(fixed, fixed_url))),
        ]
        rounds = interleaved(contenders, ROUNDS)
    steps = [ms for one in rounds["kit"] for ms in one.timings]
    health = latency_health(steps, sum(one.failed for one in rounds["kit"]))
    where = "stateful step through the local gateway on the embedded AWS"
    return [
        spread_row(
            "call",
            f"{where}, p50",
            [median(r.timings) for r in rounds["kit"]],
            "ms",
            note=f"{STEPS} steps per round"
            + ("" if health.ok else f"; unhealthy: {health.text()}"),
        ),
        spread_row(
            "call",
            f"{where}, p99",
            [percentile(r.timings, 0.99) for r in rounds["kit"]],
            "ms",
            note=f"each round's nearest-rank p99 of {STEPS} steps, which is its slowest",
        ),
        spread_row(
            "call",
            "HTTP round trip to the fixed-JSON baseline, p50 (the floor)",
            [median(r.timings) for r in rounds["fixed"]],
            "ms",
            digits=2,
            note=f"{STEPS} GETs per round",
        ),
    ]


def _measure(rounds: Callable[[int], Steps]) -> Callable[[], Steps]:
    """A contender that numbers its rounds, so every round's calls are new calls."""
    counter = iter(range(1_000_000))
    return lambda: rounds(next(counter))
