"""What ``call.http`` costs: its import at cold start, and one outbound call inside a whole
Pivot request, each beside a bare urllib3 baseline measured in the same rounds.

* Import: a fresh interpreter that has loaded the engine (``pivotkit.app``, untimed)
  imports the kit's client and gets it ready for its first call (``pivotkit.outbound``,
  then urllib3 and its pool, which the client loads on first use), against one that
  imports urllib3 and builds a pool manager itself. A step that
  never calls out pays only the first figure (``pivotkit.outbound`` without urllib3).
* Request: ``PivotApp.handle`` of a stateless step that makes one ``call.http.get`` to
  the fixed-JSON baseline server (its own process, on 127.0.0.1, keep-alive), against a
  bare ``PoolManager.request`` to the same server and the same step without the call. The
  overhead of the outbound call in the request is (request with the call - request
  without) / bare request: the client's budget, headers, JSON and logging on top of the
  socket round trip.
"""

from __future__ import annotations

import functools
import json
import subprocess
import sys
import time
from collections.abc import Callable

from bench.harness import Row, per_call_us, ratio_row, spread_row
from bench.servers import FIXED_BASELINE, ROOT, environment, running
from bench.stats import Health, interleaved, rounds_health
from pivotkit import Call, Customer, Flow, Node, tts
from pivotkit.app import PivotApp
from pivotkit.customers import StaticTokens
from pivotkit.local.kazoo_encoding import KazooCall, pivot_http_request
from pivotkit.state import InMemoryStateStore

ROUNDS = 6  # per pass (`python -m bench` makes two)
IMPORT_RUNS = 3  # fresh interpreters per contender and round; the fastest counts
ACCOUNT = "3a1f0e2d4c5b6a7980f1e2d3c4b5a697"

# pivotkit itself is loaded first, untimed: the Pivot path has it before any step runs.
PROBE = """
import sys, time
import pivotkit, pivotkit.app
started = time.perf_counter()
if sys.argv[1] == "lazy":
    import pivotkit.outbound
elif sys.argv[1] == "kit":
    import pivotkit.outbound
    pivotkit.outbound.shared_transport()
else:
    import urllib3
    urllib3.PoolManager(num_pools=32, maxsize=10, retries=False)
print((time.perf_counter() - started) * 1000)
"""


def _import_ms(which: str) -> float:
    runs = []
    for _ in range(IMPORT_RUNS):
        out = subprocess.run(
            [sys.executable, "-c", PROBE, which],
            cwd=ROOT,
            env=environment(),
            capture_output=True,
            text=True,
            check=True,
        )
        runs.append(float(out.stdout.strip()))
    return min(runs)


def _app(url: str, *, calls_out: bool) -> PivotApp:
    flow = Flow()

    @flow.step()
    def start(call: Call) -> Node:
        if calls_out:
            call.http.get(url)
        return tts("hello")

    customer = Customer(slug="bench", flow=flow)
    return PivotApp({"bench": customer}, InMemoryStateStore(), StaticTokens({"bench": ["T"]}))


def run() -> list[Row]:
    import logging

    import urllib3

    logging.getLogger("pivotkit.outbound").setLevel(logging.WARNING)  # as a quiet deployment
    importers: list[tuple[str, Callable[[], float]]] = [
        (name, functools.partial(_import_ms, name)) for name in ("lazy", "kit", "bare")
    ]
    imports = interleaved(importers, ROUNDS)
    with running(FIXED_BASELINE) as base:
        url = base + "/"
        with_call, without_call = _app(url, calls_out=True), _app(url, calls_out=False)
        request = pivot_http_request(
            KazooCall(account_id=ACCOUNT, call_id="bench@10.0.0.5"),
            "https://bench.example/pivot/bench?token=T",
        ).as_http_request("https://bench.example")
        pool = urllib3.PoolManager(num_pools=32, maxsize=10, retries=False)

        def bare() -> object:
            return json.loads(pool.request("GET", url, timeout=urllib3.Timeout(1.0, 3.0)).data)

        def kit() -> object:
            response = with_call.handle(request)
            assert response.status == 200, response.body
            return response

        contenders: list[tuple[str, Callable[[], float]]] = [
            ("kit", lambda: per_call_us(kit, repeat=3)),
            ("bare", lambda: per_call_us(bare, repeat=3)),
            ("no_call", lambda: per_call_us(lambda: without_call.handle(request), repeat=3)),
        ]
        timed = interleaved(contenders, ROUNDS)
    overhead = [k - n for k, n in zip(timed["kit"], timed["no_call"], strict=True)]
    health = Health(
        rounds_health("request", timed["kit"]).reasons
        + rounds_health("bare", timed["bare"]).reasons
    )
    import_health = Health(
        rounds_health("kit import", imports["kit"]).reasons
        + rounds_health("bare import", imports["bare"]).reasons
    )
    return [
        spread_row(
            "outbound",
            "import pivotkit.outbound after the engine (urllib3 not loaded)",
            imports["lazy"],
            "ms",
            note="paid by the first call.http of a process; steps that never call out load nothing",
        ),
        spread_row(
            "outbound",
            "import + first call ready (pivotkit.outbound, urllib3, pool)",
            imports["kit"],
            "ms",
        ),
        spread_row("outbound", "bare: import urllib3 + PoolManager", imports["bare"], "ms"),
        ratio_row(
            "outbound",
            "client ready / bare urllib3 ready",
            imports["kit"],
            imports["bare"],
            import_health,
        ),
        spread_row(
            "outbound",
            "Pivot request with one call.http.get to a loopback server",
            [us / 1000 for us in timed["kit"]],
            "ms",
            digits=3,
        ),
        spread_row(
            "outbound",
            "bare urllib3 GET to the same server",
            [us / 1000 for us in timed["bare"]],
            "ms",
            digits=3,
        ),
        ratio_row(
            "outbound",
            "request with the call / bare GET",
            timed["kit"],
            timed["bare"],
            health,
        ),
        ratio_row(
            "outbound",
            "the call's share of the request (with - without) / bare GET",
            overhead,
            timed["bare"],
            health,
            note="the client's own work on top of the socket round trip",
        ),
    ]


if __name__ == "__main__":  # a quick look: python -m bench.outbound
    started = time.perf_counter()
    for row in run():
        print(f"{row.name:64} {row.value:>28}  {row.note}")
    print(f"{time.perf_counter() - started:.1f} s")
