"""A cold start on a call's first request builds no DynamoDB client: a fresh interpreter
imports the deployed Pivot entry point with a state table configured and Lambda's logs and
metrics on, and answers a first request (which reads no state) without loading botocore's
client, session or exceptions; the state store loads them on its first call."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from pivotkit.local.events import http_v2_event
from pivotkit.local.kazoo_encoding import KazooCall, pivot_http_request

PROJECT_ROOT = Path(__file__).resolve().parents[3]
SDK_MODULES = ("botocore.client", "botocore.session", "botocore.exceptions", "boto3")
PROBE = f"""
import json, sys
import functions.pivot
result = functions.pivot.handler(json.loads(sys.stdin.read()), None)
sdk = [m for m in {SDK_MODULES!r} if m in sys.modules]
print(json.dumps({{"status": result["statusCode"], "sdk": sdk}}))
"""


def test_a_first_request_loads_no_sdk_client_code() -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PIVOTKIT_", "AWS_"))}
    env.update(
        PYTHONPATH=os.pathsep.join([str(PROJECT_ROOT / "handlers"), str(PROJECT_ROOT)]),
        PIVOTKIT_CUSTOMER="acme",
        PIVOTKIT_TOKENS=json.dumps({"acme": ["T"]}),
        PIVOTKIT_STATE_TABLE="pivotkit-state",
        AWS_REGION="eu-west-1",
        AWS_LAMBDA_FUNCTION_NAME="pivotkit-acme",  # observability on, as in Lambda
    )
    call = KazooCall(account_id="3a1f0e2d4c5b6a7980f1e2d3c4b5a697", call_id="cold@10.0.0.5")
    event = http_v2_event(pivot_http_request(call, "https://x.example/pivot/acme?token=T"))
    done = subprocess.run(
        [sys.executable, "-c", PROBE],
        input=json.dumps(event),
        env=env,
        cwd=PROJECT_ROOT,
        capture_output=True,
        text=True,
        check=True,
    )
    seen = json.loads(done.stdout.splitlines()[-1])
    assert seen == {"status": 200, "sdk": []}
