"""Configuration costs a customer's cold start only if it has some: a fresh interpreter imports
the deployed entry point for one customer (as Lambda's init does) and answers its first
request; a customer without ``config_model`` or ``secrets`` loads neither pydantic nor the
TOML parser nor the kit's config and secrets modules, and one with them loads its model at
init and reads no secret before a step asks for one."""

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
CONFIG_MODULES = ("pydantic", "tomllib", "pivotkit.config", "pivotkit.secrets")
WATCHED = (*CONFIG_MODULES, "pivotkit.aws.secrets_values", "botocore")
ACCOUNT = "3a1f0e2d4c5b6a7980f1e2d3c4b5a697"
PROBE = """
import json, sys
import functions.pivot
at_init = sorted(m for m in WATCHED if m in sys.modules)
result = functions.pivot.handler(json.loads(sys.stdin.read()), None)
after = sorted(m for m in WATCHED if m in sys.modules)
print(json.dumps({"status": result["statusCode"], "init": at_init, "after": after}))
"""


def first_request(slug: str) -> dict[str, object]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PIVOTKIT_", "AWS_"))}
    env.update(
        # The fixture's customers package comes first, so customers.<slug> is found there.
        PYTHONPATH=os.pathsep.join(
            [str(CUSTOMERS_ROOT.parent), str(PROJECT_ROOT / "handlers"), str(PROJECT_ROOT)]
        ),
        PIVOTKIT_CUSTOMER=slug,
        PIVOTKIT_TOKENS=json.dumps({slug: ["T"]}),
        # As the deployed function would hold it; never read unless a step asks.
        PIVOTKIT_SECRETS=json.dumps({slug: "arn:aws:secretsmanager:eu-west-1:1:secret:x"}),
    )
    call = KazooCall(account_id=ACCOUNT, call_id="cold@10.0.0.5")
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
    parsed: dict[str, object] = json.loads(done.stdout.splitlines()[-1])
    return parsed


def test_a_customer_without_config_loads_none_of_it() -> None:
    seen = first_request("dental_fixed")
    assert seen == {"status": 200, "init": [], "after": []}


def test_a_customer_with_config_validates_it_at_init_and_reads_no_secret_unasked() -> None:
    seen = first_request("dental")
    assert seen["status"] == 200
    # The model (pydantic) and its file (tomllib) at init; the secrets adapter is built
    # then too, but call.secrets (pivotkit.secrets) and the first read wait for a step that
    # asks, and the first request does not.
    loaded = ["pydantic", "tomllib", "pivotkit.config", "pivotkit.aws.secrets_values", "botocore"]
    assert seen["init"] == sorted(loaded)
    assert seen["after"] == seen["init"]
