"""Cost per million Pivot requests at us-east-1 list prices, from measured inputs.

Measured here: the warm time of a Pivot request through the deployed entry point
(``functions.customer``'s handler, observability on as in Lambda, state in memory), the
bytes it writes to the log (its request line and EMF documents), and the DynamoDB reads and
writes the engine makes over one typical call of the acme example (welcome, wrong PIN,
right PIN, menu choice), counted on moto. Not measurable offline, hence a stated input: the
time each DynamoDB call adds in the region (``DYNAMODB_CALL_MS``). Also the cold start of the
deployed entry point next to the Pivot-only one it replaced, so a regression shows.

Prices (USD): Lambda arm64 $0.20 per million requests and $0.0000133334 per GB-second,
billed per ms; Function URLs free; DynamoDB on demand $0.125 per million read request units
and $0.625 per million write request units (a strongly consistent read of an item under 4 KB
is one unit, a write under 1 KB one unit); CloudWatch Logs ingestion $0.50 per GB.
"""

from __future__ import annotations

import ast
import json
import math
import os
import subprocess
import sys
from pathlib import Path

from bench.harness import Row, median

ROOT = Path(__file__).resolve().parent.parent
MEMORY_MB_SOURCE = ROOT / "infra" / "customer_stack.py"
LAMBDA_REQUEST = 0.20 / 1e6
LAMBDA_GB_SECOND_ARM64 = 0.0000133334
FUNCTION_URL_REQUEST = 0.0
DYNAMODB_READ_UNIT = 0.125 / 1e6
DYNAMODB_WRITE_UNIT = 0.625 / 1e6
LOG_INGESTION_GB = 0.50
# An assumption, not a measurement: a GetItem or PutItem from Lambda to DynamoDB in the same
# region, TLS connection reused (single-digit milliseconds is typical).
DYNAMODB_CALL_MS = 5.0
CALLS = 60
COLD_RUNS = 5

# One typical call of acme, as bench.state drives it: digits sent with each request.
CALL_STEPS: tuple[str | None, ...] = (None, "0000", "1234", "2")

WARM_PROBE = r"""
import io, json, sys, time
from contextlib import redirect_stdout
from pivotkit.local.events import lambda_event
from pivotkit.local.kazoo_encoding import KazooCall, pivot_http_request

buffer = io.StringIO()
with redirect_stdout(buffer):
    from pivotkit.aws.customer_entry import make_customer_handler
    import os
    handler = make_customer_handler(os.environ)
steps = json.loads(sys.argv[1])
calls = int(sys.argv[2])
times, sizes = [], []
for n in range(calls + 1):
    call = KazooCall(account_id="3a1f0e2d4c5b6a7980f1e2d3c4b5a697", call_id=f"cost-{n}@10.0.0.5")
    url = "https://abc.lambda-url.us-east-1.on.aws/pivot/acme?token=T"
    for digits in steps:
        if digits is not None:
            tree = json.loads(answer["body"])
            stack = [tree]
            collect = pivot = None
            while stack:
                node = stack.pop()
                if node["module"] == "collect_dtmf" and collect is None:
                    collect = node
                if node["module"] == "pivot" and pivot is None:
                    pivot = node
                stack.extend(node.get("children", {}).values())
            call = call.with_digits(collect["data"]["collection_name"], digits)
            url = pivot["data"]["voice_url"]
        event = lambda_event(pivot_http_request(call, url), "url")
        before = buffer.tell()
        with redirect_stdout(buffer):
            started = time.perf_counter()
            answer = handler(event, None)
            took = time.perf_counter() - started
        assert answer["statusCode"] == 200, answer
        if n:  # the first call warms the environment
            times.append(took * 1e3)
            sizes.append(len(buffer.getvalue().encode()) - len(buffer.getvalue()[:before].encode()))
print(json.dumps({"times_ms": times, "log_bytes": sizes}))
"""


def _probe_env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PIVOTKIT_", "AWS_"))}
    env.update(
        PYTHONPATH=os.pathsep.join([str(ROOT / "handlers"), str(ROOT)]),
        PIVOTKIT_CUSTOMER="acme",
        PIVOTKIT_TOKENS=json.dumps({"acme": ["T"]}),
        # As in Lambda: observability on (Powertools logs and EMF metrics on stdout).
        AWS_LAMBDA_FUNCTION_NAME="pivotkit-bench-acme",
        POWERTOOLS_SERVICE_NAME="pivotkit-acme",
        AWS_REGION="us-east-1",
    )
    return env


def warm_requests() -> tuple[list[float], list[int]]:
    done = subprocess.run(
        [sys.executable, "-c", WARM_PROBE, json.dumps(CALL_STEPS), str(CALLS)],
        env=_probe_env(),
        capture_output=True,
        text=True,
        check=True,
    )
    result = json.loads(done.stdout.strip().splitlines()[-1])
    return result["times_ms"], result["log_bytes"]


def cold_start_ms(module: str) -> float:
    probe = (
        "import time; started = time.perf_counter()\n"
        f"import {module}\n"
        "print((time.perf_counter() - started) * 1e3)"
    )
    runs = [
        float(
            subprocess.run(
                [sys.executable, "-c", probe],
                env=_probe_env(),
                capture_output=True,
                text=True,
                check=True,
            ).stdout.strip()
        )
        for _ in range(COLD_RUNS)
    ]
    return median(runs)


def dynamodb_units_per_request() -> tuple[float, float]:
    """(read units, write units) per request over one typical call, counted on moto."""
    import boto3

    from bench.state import Caller
    from examples import acme
    from pivotkit.app import PivotApp
    from pivotkit.aws.dynamodb_state import DynamoDBStateStore
    from pivotkit.customers import StaticTokens
    from pivotkit.local.embedded_aws import in_process_aws

    with in_process_aws() as settings:
        client = boto3.client("dynamodb", region_name=os.environ["AWS_REGION"])
        calls: list[tuple[str, int]] = []

        def counted(model: object, params: dict[str, object], **_: object) -> None:
            calls.append((getattr(model, "name", ""), len(json.dumps(params.get("Item", {})))))

        client.meta.events.register("before-call.dynamodb.*", counted)
        table = settings["PIVOTKIT_STATE_TABLE"]
        app = PivotApp(
            {"acme": acme.customer},
            DynamoDBStateStore(client, table),
            StaticTokens({"acme": ["T"]}),
        )
        caller = Caller(app, "cost@10.0.0.5")
        for digits in CALL_STEPS:
            caller.send(digits)
    reads = sum(1 for name, _ in calls if name == "GetItem")  # strongly consistent, < 4 KB
    writes = sum(max(1, math.ceil(size / 1024)) for name, size in calls if name == "PutItem")
    return reads / len(CALL_STEPS), writes / len(CALL_STEPS)


def configured_memory_mb() -> int:
    """``MEMORY_MB`` of infra/customer_stack.py, read without starting the CDK (jsii)."""
    for node in ast.parse(MEMORY_MB_SOURCE.read_text(encoding="utf-8")).body:
        if isinstance(node, ast.Assign) and ast.unparse(node.targets[0]) == "MEMORY_MB":
            value = ast.literal_eval(node.value)
            assert isinstance(value, int)
            return value
    raise LookupError(f"no MEMORY_MB in {MEMORY_MB_SOURCE}")


def run() -> list[Row]:
    memory_mb = configured_memory_mb()
    times, log_bytes = warm_requests()
    warm_ms = median(times)
    reads, writes = dynamodb_units_per_request()
    billed_ms = math.ceil(warm_ms + (reads + writes) * DYNAMODB_CALL_MS)
    gb_seconds = billed_ms / 1000 * memory_mb / 1024
    per_request_log = median([float(b) for b in log_bytes])
    parts = {
        "Lambda requests": LAMBDA_REQUEST,
        "Lambda GB-seconds": gb_seconds * LAMBDA_GB_SECOND_ARM64,
        "Function URL": FUNCTION_URL_REQUEST,
        "DynamoDB reads": reads * DYNAMODB_READ_UNIT,
        "DynamoDB writes": writes * DYNAMODB_WRITE_UNIT,
        "log ingestion": per_request_log / 1e9 * LOG_INGESTION_GB,
    }
    total = sum(parts.values()) * 1e6
    rows = [
        Row(
            "cost",
            "input: warm Pivot request in the handler",
            f"{warm_ms:.2f} ms",
            f"functions.customer, observability on, median of {len(times)}",
        ),
        Row(
            "cost",
            "input: DynamoDB per request (typical acme call)",
            f"{reads:.2f} reads + {writes:.2f} writes",
            "units; welcome, wrong PIN, right PIN, menu choice; counted on moto",
        ),
        Row(
            "cost",
            "input: DynamoDB time per call (assumed)",
            f"{DYNAMODB_CALL_MS:.0f} ms",
            "not measurable offline; same region, connection reused",
        ),
        Row(
            "cost",
            "input: billed duration per request",
            f"{billed_ms} ms",
            f"warm time + DynamoDB calls, rounded up to 1 ms; {memory_mb} MB arm64",
        ),
        Row(
            "cost",
            "input: log bytes per request",
            f"{per_request_log:.0f} B",
            "request line + EMF documents; Lambda's platform lines off (system level WARN)",
        ),
    ]
    rows += [
        Row("cost", f"per million requests: {name}", f"${value * 1e6:.3f}", "")
        for name, value in parts.items()
    ]
    rows.append(
        Row(
            "cost",
            "per million Pivot requests, total",
            f"${total:.2f}",
            "us-east-1 list prices; HTTP API would add $1.00",
        )
    )
    pivot, customer = cold_start_ms("functions.pivot"), cold_start_ms("functions.customer")
    rows.append(
        Row(
            "cost",
            "cold start import: functions.customer / functions.pivot",
            f"{customer:.0f} / {pivot:.0f} ms",
            f"the deployed entry vs the Pivot-only one; median of {COLD_RUNS}",
        )
    )
    return rows
