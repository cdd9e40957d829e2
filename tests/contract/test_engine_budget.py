"""For the lead: the engine's state budget is checked before each store call, not across
it, so a request can overrun ``EngineSettings.state_budget_seconds`` by one whole store
operation. With the defaults (2.5 s engine budget, DynamoDB operations of up to 1.2 s)
that is up to 3.6 s of server time before cold start, against Kazoo's 5 s req_timeout_ms.

Fixing it needs the engine to hand the store what is left of its budget (a change to the
StateStore port) or to stop starting operations once less than one operation's worst
case remains. Until then this test fails, and is marked so.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import pytest

from pivotkit.app import EngineSettings, PivotApp
from pivotkit.customers import StaticTokens
from pivotkit.local.kazoo_encoding import KazooCall
from pivotkit.state import CallKey, CallRecord, WriteConflict
from tests.contract.test_engine_on_dynamodb import ACCOUNT_ID, BASE_URL, TOKEN, customer, to_http

OPERATION_SECONDS = 0.1
BUDGET_SECONDS = 0.25


@dataclass
class SlowContendedStore:
    """Every operation takes OPERATION_SECONDS; every write loses to another request."""

    record: CallRecord

    def load(self, key: CallKey, *, now: float) -> CallRecord | None:
        time.sleep(OPERATION_SECONDS)
        return self.record

    def save(self, record: CallRecord, *, expected_version: int | None) -> None:
        time.sleep(OPERATION_SECONDS)
        raise WriteConflict("another request for this call wrote first")


@pytest.mark.xfail(
    strict=True, reason="engine budget is checked before store calls, not across them"
)
def test_state_time_stays_inside_the_engine_budget() -> None:
    call = KazooCall(account_id=ACCOUNT_ID, call_id="hot-call")
    key = CallKey("demo", ACCOUNT_ID, call.call_id)
    record = CallRecord(key, {}, seq=1, version=1, created_at=0, updated_at=0, expires_at=2**40)
    app = PivotApp(
        {"demo": customer},
        SlowContendedStore(record),
        StaticTokens({"demo": [TOKEN]}),
        settings=EngineSettings(state_budget_seconds=BUDGET_SECONDS),
        clock=lambda: 1_800_000_000.0,
    )
    url = f"{BASE_URL}/pivot/demo?token={TOKEN}&step=menu&hop=4&seq=1&g=menu_4"
    started = time.perf_counter()
    response = app.handle(to_http(call.with_digits("menu_4", "1"), url))
    took = time.perf_counter() - started
    assert response.status == 503
    # Observed: load, save (conflict), load started at 0.2 s < 0.25 s, ending at 0.3 s.
    assert took <= BUDGET_SECONDS + 0.02
