"""Configuration and secrets through the deployed Pivot handler, as Lambda runs it: the stage's
file read at init, the customer's secret read from Secrets Manager (moto) on the first step
that asks, and a secret not yet set answered 503 ``secret_unavailable`` (Kazoo's fallback)
with a log line naming the customer and the secret, never a value, in Powertools' JSON logs.
"""

from __future__ import annotations

import json
import logging
import sys
import types
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from moto import mock_aws
from pydantic import BaseModel

from pivotkit import Customer, Flow
from pivotkit.aws.clients import reset_clients
from pivotkit.aws.lambda_entry import make_pivot_handler
from pivotkit.config import ConfigError
from pivotkit.http import LambdaHandler
from pivotkit.local.events import http_v2_event
from pivotkit.local.kazoo_encoding import KazooCall, pivot_http_request
from tests.contract.moto_support import REGION, new_secretsmanager_client, set_fake_aws_env
from tests.fixtures.configured.customers import dental
from tests.fixtures.configured.customers.dental.booking import reserve
from tests.unit.security.support import restored_logging

__all__ = ["restored_logging"]

SECRET_ID = "pivotkit-prod/dental/secrets"
VALUE = "sk-live-integration-5c1b9a"
ACCOUNT = "3a1f0e2d4c5b6a7980f1e2d3c4b5a697"
CALLER = "+15551230042"


class ShopConfig(BaseModel):
    name: str


# 09:00 in Chicago, inside prod's 07:30-18:00.
MORNING = 1_798_124_400.0


@pytest.fixture
def secrets_manager(monkeypatch: pytest.MonkeyPatch, restored_logging: None) -> Iterator[Any]:
    """Secrets Manager on moto; the kit's loggers put back afterwards (observability, on in
    "Lambda", reconfigures them for the process)."""
    set_fake_aws_env(monkeypatch)
    with mock_aws():
        reset_clients()
        client = new_secretsmanager_client()
        client.create_secret(Name=SECRET_ID)  # as the stack creates it: no value yet
        yield client
    reset_clients()


def deployed_handler(**extra: str) -> LambdaHandler:
    environ = {
        "AWS_REGION": REGION,
        "AWS_LAMBDA_FUNCTION_NAME": "pivotkit-prod-dental",
        "POWERTOOLS_SERVICE_NAME": "pivotkit-dental",
        "PIVOTKIT_CUSTOMER": "dental",
        "PIVOTKIT_STAGE": "prod",
        "PIVOTKIT_TOKENS": json.dumps({"dental": ["T"]}),
        "PIVOTKIT_SECRETS": json.dumps({"dental": SECRET_ID}),
        **extra,
    }
    return make_pivot_handler(environ, customers={"dental": dental.customer}, clock=lambda: MORNING)


def press_one(handler: LambdaHandler) -> dict[str, Any]:
    """The first request, then the caller's 1 (book) on the continuation it names."""
    call = KazooCall(account_id=ACCOUNT, call_id="integ-1@10.0.0.5", caller_id_number=CALLER)
    first = handler(
        http_v2_event(pivot_http_request(call, "https://x.example/pivot/dental?token=T")), None
    )
    assert first["statusCode"] == 200, first
    tree = json.loads(first["body"])
    assert tree["data"]["text"].startswith("Thank you for calling Bright Smiles Dental.")  # prod
    collect = _find(tree, "collect_dtmf")["data"]["collection_name"]
    url = _find(tree, "pivot")["data"]["voice_url"]
    return handler(http_v2_event(pivot_http_request(call.with_digits(collect, "1"), url)), None)


def test_a_secret_not_set_is_a_503_logged_by_name_only(
    secrets_manager: Any, capsys: pytest.CaptureFixture[str], caplog: pytest.LogCaptureFixture
) -> None:
    handler = deployed_handler()
    with caplog.at_level(logging.INFO):
        answer = press_one(handler)
    assert answer["statusCode"] == 503
    assert json.loads(answer["body"]) == {
        "error": "secret_unavailable",
        "message": "a secret of this customer is unavailable",
    }
    logs = capsys.readouterr().out + caplog.text
    assert "secret booking_api_key of dental unavailable: " in logs
    assert "no value set yet? aws secretsmanager put-secret-value" in logs
    assert SECRET_ID in logs


def test_once_set_the_step_gets_it_and_no_log_carries_it(
    secrets_manager: Any, capsys: pytest.CaptureFixture[str], caplog: pytest.LogCaptureFixture
) -> None:
    secrets_manager.put_secret_value(
        SecretId=SECRET_ID, SecretString=json.dumps({"booking_api_key": VALUE})
    )
    handler = deployed_handler(PIVOTKIT_DEBUG="1")  # debug: every request and answer logged
    # The kit's loggers at DEBUG, everything else at Lambda's INFO (botocore's own DEBUG
    # lines print response bodies, the credentials secret's as well: never on in Lambda).
    with caplog.at_level(logging.INFO), caplog.at_level(logging.DEBUG, logger="pivotkit"):
        answer = press_one(handler)
    assert answer["statusCode"] == 200
    reference = " ".join(reserve("https://booking.example/api/v1", VALUE, CALLER))
    assert f"Your reference is {reference}." in json.loads(answer["body"])["data"]["text"]
    logs = capsys.readouterr().out + caplog.text
    assert logs  # the debug logs were written, and searched
    assert VALUE not in logs


def test_a_bad_configuration_fails_the_functions_start(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    (tmp_path / "config").mkdir()
    (tmp_path / "config" / "prod.toml").write_text("name = 7\n", encoding="utf-8")
    module = types.ModuleType("integration_shop")
    module.__file__ = str(tmp_path / "__init__.py")
    monkeypatch.setitem(sys.modules, module.__name__, module)
    shop = Customer(slug="shop", flow=Flow(), config_model=ShopConfig, module=module.__name__)
    with pytest.raises(ConfigError, match=r"^shop: .*prod\.toml: name: Input should be"):
        make_pivot_handler(
            {"PIVOTKIT_STAGE": "prod", "PIVOTKIT_TOKENS": "{}"}, customers={"shop": shop}
        )


def _find(tree: dict[str, Any], module: str) -> dict[str, Any]:
    stack = [tree]
    while stack:
        node = stack.pop()
        if node["module"] == module:
            return node
        stack.extend(node.get("children", {}).values())
    raise LookupError(module)
