"""``call.http`` costs a cold start nothing until a step uses it: a fresh interpreter imports
the deployed entry point (as Lambda's init does) and answers a first request whose step makes
no outbound call, without loading the client or urllib3."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from pivotkit.local.events import http_v2_event
from pivotkit.local.kazoo_encoding import KazooCall, pivot_http_request
from tests.fixtures.configured import CUSTOMERS_ROOT

PROJECT_ROOT = Path(__file__).resolve().parents[3]
WATCHED = ("pivotkit.outbound", "urllib3")
PROBE = """
import json, sys
import functions.pivot
result = functions.pivot.handler(json.loads(sys.stdin.read()), None)
loaded = [m for m in WATCHED if m in sys.modules]
print(json.dumps({"status": result["statusCode"], "loaded": loaded}))
"""


def test_a_step_that_never_calls_out_loads_no_http_client() -> None:
    slug = "dental_fixed"
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PIVOTKIT_", "AWS_"))}
    env.update(
        PYTHONPATH=os.pathsep.join(
            [str(CUSTOMERS_ROOT.parent), str(PROJECT_ROOT / "handlers"), str(PROJECT_ROOT)]
        ),
        PIVOTKIT_CUSTOMER=slug,
        PIVOTKIT_TOKENS=json.dumps({slug: ["T"]}),
    )
    call = KazooCall(account_id="3a1f0e2d4c5b6a7980f1e2d3c4b5a697", call_id="cold@10.0.0.5")
    event = http_v2_event(pivot_http_request(call, f"https://x.example/pivot/{slug}?token=T"))
    done = subprocess.run(
        [sys.executable, "-c", f"WATCHED = {WATCHED!r}\n{PROBE}"],
        input=json.dumps(event),
        env=env,
        cwd=PROJECT_ROOT,
        capture_output=True,
        text=True,
        check=True,
    )
    answer = json.loads(done.stdout.splitlines()[-1])
    assert answer == {"status": 200, "loaded": []}
