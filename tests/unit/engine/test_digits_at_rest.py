"""Digits at rest: what a tracked flow's trail and a failing step's log line keep of input.

A PIN must never be stored (DynamoDB keeps the record for hours, point-in-time recovery for
weeks) nor logged; a one-key menu choice may be, and so may the input of a step that
declares it no secret with ``Flow.step(sensitive=False)``.
"""

from __future__ import annotations

import json
import logging

import pytest

from pivotkit.app import PivotApp
from pivotkit.customers import StaticTokens
from pivotkit.local.kazoo_encoding import KazooCall
from pivotkit.state import InMemoryStateStore
from tests.unit.engine.bank_flow import (
    FAILING_PIN,
    FIRST_URL,
    NOW,
    PIN,
    TOKEN,
    customer,
    flow,
)
from tests.unit.engine.driver import ACCOUNT_ID, Caller


@pytest.fixture
def store() -> InMemoryStateStore:
    return InMemoryStateStore()


def run_call(store: InMemoryStateStore, *keys: str) -> Caller:
    app = PivotApp({"bank": customer}, store, StaticTokens({"bank": [TOKEN]}), clock=lambda: NOW)
    caller = Caller(app, KazooCall(account_id=ACCOUNT_ID, call_id="call-1@10.0.0.5"))
    caller.first(FIRST_URL)
    for pressed in keys:
        caller.press(pressed)
    return caller


def test_a_pin_is_kept_as_its_class_and_length_only(store: InMemoryStateStore) -> None:
    run_call(store, "1", PIN)
    (record,) = store.records()
    entries = [{k: v for k, v in e.items() if k != "at"} for e in record.trail]
    assert entries == [
        {"step": "start", "hop": 0},
        {"step": "menu", "hop": 1, "digits": "1"},  # one key: a menu choice, kept
        {"step": "pin", "hop": 2, "choice": "several", "digits_length": 4},
    ]
    assert PIN not in json.dumps([dict(e) for e in record.trail])


def test_a_timeout_is_kept_as_nothing_pressed(store: InMemoryStateStore) -> None:
    run_call(store, "")
    (record,) = store.records()
    assert record.trail[-1]["digits"] == ""


def test_a_step_declaring_its_input_no_secret_keeps_it(store: InMemoryStateStore) -> None:
    run_call(store, "2", "204")
    (record,) = store.records()
    assert record.trail[-1]["step"] == "extension"
    assert record.trail[-1]["digits"] == "204"
    assert flow.input_sensitive("pin") and not flow.input_sensitive("extension")


def test_a_failing_step_logs_no_digits(
    store: InMemoryStateStore, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.ERROR, logger="pivotkit"):
        caller = run_call(store, "1", FAILING_PIN)
    assert caller.answers[-1].status == 500
    (line,) = [r for r in caplog.records if r.getMessage() == "step pin of bank failed"]
    logged = logging.Formatter().format(line)
    assert FAILING_PIN not in logged
    # Still worth reading: the exception's type, and where in the step it was raised.
    assert "builtins.ValueError (message withheld" in logged
    assert 'raise ValueError(f"no account for PIN {call.digits}")' in logged
    assert "in pin" in logged


def test_a_step_declaring_its_input_no_secret_keeps_its_error_message(
    store: InMemoryStateStore, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.ERROR, logger="pivotkit"):
        run_call(store, "2", "999")
    (line,) = [r for r in caplog.records if r.getMessage() == "step extension of bank failed"]
    assert "ValueError: no extension 999" in logging.Formatter().format(line)
