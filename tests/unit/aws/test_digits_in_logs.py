"""The deployed function's JSON log (Powertools) of a step that fails while it has a PIN:
the exception's type and traceback, never the PIN its message quotes."""

from __future__ import annotations

import json

import pytest

from pivotkit.aws.lambda_entry import make_pivot_handler
from pivotkit.local.kazoo_encoding import KazooCall
from pivotkit.state import InMemoryStateStore
from tests.unit.engine.bank_flow import FAILING_PIN, FIRST_URL, TOKEN, customer
from tests.unit.security.support import (
    ACCOUNT_ID,
    environ,
    invoke,
    next_request,
    read,
    restored_logging,
)

__all__ = ["restored_logging"]


@pytest.mark.usefixtures("restored_logging")
def test_the_json_log_of_a_failing_pin_step_has_no_pin(capsys: pytest.CaptureFixture[str]) -> None:
    handler = make_pivot_handler(
        environ(PIVOTKIT_TOKENS=json.dumps({"bank": [TOKEN]})),
        customers={"bank": customer},
        state=InMemoryStateStore(),
    )
    call = KazooCall(account_id=ACCOUNT_ID, call_id="pin-call@10.0.0.5")
    collection, url = next_request(invoke(handler, call, FIRST_URL))
    call = call.with_digits(collection, "1")
    collection, url = next_request(invoke(handler, call, url))
    capsys.readouterr()
    assert invoke(handler, call.with_digits(collection, FAILING_PIN), url)["statusCode"] == 500
    emitted = read(capsys)
    (failure,) = [line for line in emitted.logs if line["level"] == "ERROR"]
    assert failure["step"] == "pin" and failure["exception_name"] == "StepFailed"
    assert "builtins.ValueError (message withheld" in failure["exception"]
    # Every field but the timestamp (whose digits are the clock's, not the caller's).
    for line in emitted.logs:
        assert FAILING_PIN not in json.dumps({k: v for k, v in line.items() if k != "timestamp"})
