"""The media function's cold start stays lean: importing its entry point (which builds the
handler, as Lambda's init does) loads neither the Pivot engine nor pydantic, and no AWS SDK
or Powertools unless its settings call for them. Checked in a fresh interpreter, since this
test process has long imported everything."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parents[3]
# What the media function never needs: it decodes no Pivot request.
PIVOT_ONLY = ("pivotkit.app", "pivotkit.request", "pivotkit.step_runner", "pydantic")
WATCHED = (*PIVOT_ONLY, "boto3", "botocore", "aws_lambda_powertools")


def modules_after_import(**settings: str) -> set[str]:
    """The watched top-level modules loaded by ``import functions.media`` with ``settings``."""
    probe = (
        "import json, sys\n"
        "import functions.media\n"
        f"watched = {WATCHED!r}\n"
        "print(json.dumps(sorted(w for w in watched if w in sys.modules)))"
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PIVOTKIT_", "AWS_"))}
    env.update(
        PYTHONPATH=os.pathsep.join([str(PROJECT_ROOT / "handlers"), str(PROJECT_ROOT)]),
        PIVOTKIT_TOKENS=json.dumps({"acme": ["media-cold-start-token"]}),
        # One customer, as each deployed function serves: neither an operator's customer nor an
        # example whose config model imports pydantic may put pydantic on this function's path.
        PIVOTKIT_CUSTOMER="acme",
        **settings,
    )
    done = subprocess.run(
        [sys.executable, "-c", probe], env=env, capture_output=True, text=True, check=True
    )
    return set(json.loads(done.stdout.splitlines()[-1]))


def test_the_media_entry_point_loads_no_pivot_engine_sdk_or_powertools() -> None:
    assert modules_after_import() == set()


def test_the_deployed_media_function_loads_no_pivot_engine() -> None:
    """As deployed: in Lambda (observability on) with a bucket (the S3 client is built at
    init). The SDK and Powertools are needed then; the Pivot engine and pydantic are not."""
    loaded = modules_after_import(
        AWS_LAMBDA_FUNCTION_NAME="pivotkit-media",
        AWS_REGION="eu-west-1",
        AWS_ACCESS_KEY_ID="testing",
        AWS_SECRET_ACCESS_KEY="testing",
        PIVOTKIT_MEDIA_BUCKET="pivotkit-media-cold-start",
    )
    assert {"botocore", "aws_lambda_powertools"} <= loaded
    assert "boto3" not in loaded  # clients come straight from botocore
    assert loaded.isdisjoint(PIVOT_ONLY), sorted(loaded & set(PIVOT_ONLY))
