"""Cold start: a fresh process importing the pivot entry point and answering its first
request on the embedded AWS, next to the hand-written Powertools reference doing the same.

Each run is a new interpreter; the time measured inside it starts before the first import
and ends when the first answer is back, which is what Lambda's init + first invoke cost on
top of the runtime's own start. Also reports `python -X importtime` for the entry point.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

from bench.harness import Row, median
from pivotkit.local.embedded_aws import EmbeddedAws
from pivotkit.local.events import http_v2_event
from pivotkit.local.kazoo_encoding import KazooCall, pivot_http_request

RUNS = 7
ROOT = Path(__file__).resolve().parent.parent
ACCOUNT = "3a1f0e2d4c5b6a7980f1e2d3c4b5a697"

PROBE = """
import json, sys, time
started = time.perf_counter()
import importlib
module = importlib.import_module(sys.argv[1])
imported = time.perf_counter()
event = json.loads(sys.argv[2])
result = module.handler(event, None)
done = time.perf_counter()
assert result["statusCode"] == 200, result
print(json.dumps({"import_ms": (imported - started) * 1e3, "total_ms": (done - started) * 1e3}))
"""


def run() -> list[Row]:
    wire = pivot_http_request(
        KazooCall(account_id=ACCOUNT, call_id="cold@10.0.0.5"),
        "https://bench.example/pivot/acme?token=T",
    )
    event = json.dumps(http_v2_event(wire))
    with EmbeddedAws() as aws:
        env = {
            **os.environ,
            **aws.environment(),
            "PIVOTKIT_CUSTOMER": "acme",
            # As in Lambda: pivotkit turns its Powertools logs and metrics on there.
            "AWS_LAMBDA_FUNCTION_NAME": "pivotkit-bench-acme",
            "POWERTOOLS_SERVICE_NAME": "pivotkit-acme",
            "PIVOTKIT_TOKENS": json.dumps({"acme": ["T"]}),
            "PYTHONPATH": os.pathsep.join([str(ROOT / "handlers"), str(ROOT)]),
        }
        kit = [_probe("functions.pivot", event, env) for _ in range(RUNS)]
        reference = [_probe("bench.reference_handler", event, env) for _ in range(RUNS)]
        imports = _importtime("functions.pivot", env)
    kit_ms = median([r["total_ms"] for r in kit])
    ref_ms = median([r["total_ms"] for r in reference])
    ratio = kit_ms / ref_ms
    rows = [
        Row(
            "cold start",
            "pivotkit: import + first request",
            f"{kit_ms:.0f} ms",
            f"import {median([r['import_ms'] for r in kit]):.0f} ms; median of {RUNS}",
        ),
        Row(
            "cold start",
            "reference (Powertools resolver + pydantic + boto3)",
            f"{ref_ms:.0f} ms",
            f"import {median([r['import_ms'] for r in reference]):.0f} ms; median of {RUNS}",
        ),
        Row(
            "cold start",
            "ratio pivotkit / reference",
            f"{ratio:.2f}x",
            "target <= 1.0x" + ("" if ratio <= 1.0 else " (MISSED)"),
        ),
    ]
    rows += [
        Row("cold start", f"-X importtime: {name}", f"{us / 1000:.0f} ms", "cumulative")
        for name, us in imports
    ]
    return rows


def _probe(module: str, event: str, env: dict[str, str]) -> dict[str, float]:
    out = subprocess.run(
        [sys.executable, "-c", PROBE, module, event],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    )
    parsed: dict[str, float] = json.loads(out.stdout.strip().splitlines()[-1])
    return parsed


def _importtime(module: str, env: dict[str, str]) -> list[tuple[str, int]]:
    """The entry point's cumulative import time and its heaviest top-level imports."""
    out = subprocess.run(
        [sys.executable, "-X", "importtime", "-c", f"import {module}"],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    )
    top: dict[str, int] = {}
    for line in out.stderr.splitlines():
        match = re.match(r"import time:\s+\d+ \|\s+(\d+) \|( *)(\S+)", line)
        if match and len(match.group(2)) <= 1:  # top-level imports only
            top[match.group(3)] = int(match.group(1))
    wanted = [module, "pydantic", "aws_lambda_powertools", "boto3", "botocore", "pivotkit"]
    return [(name, top[name]) for name in wanted if name in top]
