"""Simulated Kazoo calls against a running ``pivotkit serve``, for one load-generator
process: each call is a thread walking its flow the way Kazoo does (GET the voice_url,
collect a key, GET the continuation with every collection so far), on its own keep-alive
connection. Results go back to the parent as plain data."""

from __future__ import annotations

import http.client
import json
import threading
import time
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from pivotkit.local.kazoo_encoding import KazooCall, pivot_http_request

ACCOUNT_ID = "3a1f0e2d4c5b6a7980f1e2d3c4b5a697"


@dataclass
class CallResult:
    call_id: str
    pressed: str
    latencies_ms: list[float] = field(default_factory=list)
    statuses: list[int] = field(default_factory=list)
    error: str | None = None
    # Wall-clock bounds of the call's requests, comparable across generator processes.
    began_at: float = 0.0
    ended_at: float = 0.0


def keys_for(call_number: int, steps: int) -> str:
    """A call's own key sequence: distinct calls press distinct sequences."""
    return "".join("0123456789"[(call_number // 10**i) % 10] for i in range(steps))


def _find(tree: dict[str, Any], module: str) -> dict[str, Any] | None:
    if tree.get("module") == module:
        return tree
    for child in tree.get("children", {}).values():
        found = _find(child, module)
        if found is not None:
            return found
    return None


def walk(voice_url: str, call_number: int, steps: int, start: threading.Barrier) -> CallResult:
    call = KazooCall(account_id=ACCOUNT_ID, call_id=f"load-{call_number:04d}@10.0.0.5")
    result = CallResult(call.call_id, keys_for(call_number, steps))
    parts = urlsplit(voice_url)
    connection = http.client.HTTPConnection(parts.hostname or "127.0.0.1", parts.port, timeout=10)
    start.wait()
    url = voice_url
    keys = iter(result.pressed)
    result.began_at = time.time()
    try:
        for _ in range(steps + 1):  # the first request, then one per key
            wire = pivot_http_request(call, url)
            target = urlsplit(wire.url)
            began = time.perf_counter()
            connection.request("GET", f"{target.path}?{target.query}", headers=dict(wire.headers))
            response = connection.getresponse()
            body = response.read()
            result.latencies_ms.append((time.perf_counter() - began) * 1000)
            result.statuses.append(response.status)
            if response.status != 200:
                result.error = f"{response.status}: {body[:200]!r}"
                return result
            tree = json.loads(body)
            collect, pivot = _find(tree, "collect_dtmf"), _find(tree, "pivot")
            if collect is None or pivot is None:
                break  # the flow's last answer: nothing more to press
            url = pivot["data"]["voice_url"]
            call = call.with_digits(collect["data"]["collection_name"], next(keys))
    except (OSError, http.client.HTTPException, ValueError, StopIteration) as error:
        result.error = f"{type(error).__name__}: {error}"
    finally:
        result.ended_at = time.time()
        connection.close()
    return result


def run_calls(voice_url: str, call_numbers: list[int], steps: int) -> list[dict[str, Any]]:
    """Every call in ``call_numbers`` at once, one thread each (a process's share)."""
    start = threading.Barrier(len(call_numbers))
    results: list[CallResult] = []
    lock = threading.Lock()

    def one(number: int) -> None:
        outcome = walk(voice_url, number, steps, start)
        with lock:
            results.append(outcome)

    threads = [threading.Thread(target=one, args=(n,)) for n in call_numbers]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return [result.__dict__ for result in results]
