"""The deployed Lambda never answers 200 with a URL Kazoo refuses: a request that arrives on
a blacklisted host (so its continuation would point there) is a 500 invalid_callflow, while
the local tools (pivotkit.local.runtime.local_mode) still may emit loopback URLs."""

from __future__ import annotations

import json

import pytest

from pivotkit.aws import clients
from pivotkit.aws.lambda_entry import make_pivot_handler
from pivotkit.local.kazoo_encoding import KazooCall
from pivotkit.local.runtime import local_mode
from tests.contract.moto_support import CallCounter
from tests.integration.deployed_acme import (
    ACCOUNT_ID,
    SECRET,
    SEED,
    TOKEN,
    aws,
    continuation,
    environ,
    invoke,
)

__all__ = ["aws"]  # the fixture, re-used


def _seed_tokens() -> None:
    clients.secretsmanager_client().create_secret(
        Name=SECRET, SecretString=json.dumps({"seed": SEED})
    )


@pytest.mark.parametrize("host", ["localhost:8080", "LocalHost", "127.0.0.1:3000", "0.0.0.0"])
def test_lambda_refuses_to_answer_with_a_blacklisted_host(
    aws: dict[str, CallCounter], host: str
) -> None:
    _seed_tokens()
    handler = make_pivot_handler(environ())
    call = KazooCall(account_id=ACCOUNT_ID, call_id="loop-call@10.0.0.5")
    result = invoke(handler, call, f"http://{host}/pivot/acme?token={TOKEN}")
    assert result["statusCode"] == 500
    assert json.loads(result["body"])["error"] == "invalid_callflow"


@pytest.mark.parametrize("host", ["127.0.0.2", "10.0.0.7"])
def test_lambda_answers_on_hosts_kazoo_accepts(aws: dict[str, CallCounter], host: str) -> None:
    _seed_tokens()
    handler = make_pivot_handler(environ())
    call = KazooCall(account_id=ACCOUNT_ID, call_id="loop-call@10.0.0.5")
    result = invoke(handler, call, f"http://{host}/pivot/acme?token={TOKEN}")
    assert result["statusCode"] == 200
    assert f"://{host}/pivot/acme?" in continuation(result)[1]


def test_local_mode_allows_loopback(aws: dict[str, CallCounter]) -> None:
    _seed_tokens()
    handler = local_mode(make_pivot_handler(environ()))
    call = KazooCall(account_id=ACCOUNT_ID, call_id="loop-call@10.0.0.5")
    result = invoke(handler, call, f"http://127.0.0.1/pivot/acme?token={TOKEN}")
    assert result["statusCode"] == 200
    assert "://127.0.0.1/pivot/acme?" in continuation(result)[1]
