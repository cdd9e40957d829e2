"""``pivotkit serve`` on its embedded AWS under concurrent calls (50 in `make load`) of six
Pivot requests each (five stateful steps): no 5xx or failed request, every call's final state in the
DynamoDB table is exactly what that call pressed, and throughput and latency percentiles
are printed.

The load comes from separate processes (the server's one Python process would otherwise
share its GIL with the generator). On a 2-core machine server, moto and generator share
the cores, so the figures are for comparing runs, not for sizing a deployment.
"""

from __future__ import annotations

import json
import multiprocessing
import os
import re
import statistics
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import Any

import boto3.session
import pytest

from pivotkit.local.embedded_aws import LocalResources
from pivotkit.local.lambda_context import LOCAL_REGION
from tests.integration.serve_support import ServeProcess
from tests.load.generator import ACCOUNT_ID, keys_for, run_calls
from tests.load.load_customer import SLUG, STEPS, write_customer

# `make load` runs the 50 concurrent calls; inside `make test` half as many keep the
# suite quick and far from the SDK's short timeouts on a 2-core machine running moto too.
CALLS = int(os.environ.get("PIVOTKIT_LOAD_CALLS", "25"))
PROCESSES = 4
TOKEN = f"local-{SLUG}"

pytestmark = pytest.mark.slow


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


def embedded_endpoint(serve: ServeProcess) -> str:
    found = re.search(r"embedded AWS \(moto\) at (http://\S+)", serve.output())
    assert found, f"no embedded AWS endpoint in serve's banner:\n{serve.output()}"
    return found.group(1)


def final_states(endpoint: str) -> dict[str, dict[str, Any]]:
    client = boto3.session.Session().client(
        "dynamodb",
        endpoint_url=endpoint,
        region_name=LOCAL_REGION,
        aws_access_key_id="local",
        aws_secret_access_key="local",
    )
    items: list[dict[str, Any]] = []
    for page in client.get_paginator("scan").paginate(TableName=LocalResources().state_table):
        items.extend(page["Items"])
    return {
        item["pk"]["S"]: {"state": json.loads(item["state"]["S"]), "seq": int(item["seq"]["N"])}
        for item in items
    }


def test_fifty_concurrent_calls_keep_their_own_state(tmp_path: Path) -> None:
    customers = write_customer(tmp_path / "customers")
    with ServeProcess(tmp_path, customers, "--customer", SLUG) as serve:
        voice_url = f"{serve.url}/pivot/{SLUG}?token={TOKEN}"
        shares = [list(range(i, CALLS, PROCESSES)) for i in range(PROCESSES)]
        context = multiprocessing.get_context("spawn")
        with ProcessPoolExecutor(PROCESSES, mp_context=context) as pool:
            run_calls(voice_url, [CALLS + 1], len(STEPS))  # warm the server up
            batches = list(
                pool.map(run_calls, [voice_url] * PROCESSES, shares, [len(STEPS)] * PROCESSES)
            )
        states = final_states(embedded_endpoint(serve))
    results = [result for batch in batches for result in batch]
    # From the first request sent to the last answer, whichever process sent them (the
    # generator processes' own start-up is not load on the server).
    wall = max(r["ended_at"] for r in results) - min(r["began_at"] for r in results)
    latencies = [ms for result in results for ms in result["latencies_ms"]]
    statuses = [status for result in results for status in result["statuses"]]

    print(
        f"\nserve on embedded AWS: {CALLS} calls x {len(STEPS) + 1} requests,"
        f" {PROCESSES} generator processes, {wall:.1f} s\n"
        f"  throughput {len(latencies) / wall:.0f} requests/s\n"
        f"  latency p50 {percentile(latencies, 0.5):.0f} ms,"
        f" p90 {percentile(latencies, 0.9):.0f} ms,"
        f" p99 {percentile(latencies, 0.99):.0f} ms, max {max(latencies):.0f} ms,"
        f" mean {statistics.fmean(latencies):.0f} ms"
    )
    assert [r["error"] for r in results if r["error"]] == []
    assert len(results) == CALLS and statuses == [200] * (CALLS * (len(STEPS) + 1))
    for number in range(CALLS):
        key = f"{SLUG}#{ACCOUNT_ID}#load-{number:04d}@10.0.0.5"
        assert states[key] == {
            "state": {"pressed": keys_for(number, len(STEPS)), "last_step": STEPS[-1]},
            "seq": len(STEPS) + 1,
        }, key
