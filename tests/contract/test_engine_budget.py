"""The engine's state budget is a bound: a store call starts only while the longest one
store call can take (``EngineSettings.store_call_seconds``) still fits in what is left, so
contention plus slow calls end in a 503 inside the budget, never after it."""

from __future__ import annotations

import time
from dataclasses import dataclass

from pivotkit.app import EngineSettings, PivotApp
from pivotkit.customers import StaticTokens
from pivotkit.errors import WriteConflict
from pivotkit.local.kazoo_encoding import KazooCall
from pivotkit.state import CallKey, CallRecord
from tests.contract.demo_call import ACCOUNT_ID, BASE_URL, TOKEN, customer, to_http
from tests.signing import signed

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


def test_state_time_stays_inside_the_engine_budget() -> None:
    call = KazooCall(account_id=ACCOUNT_ID, call_id="hot-call")
    key = CallKey("demo", ACCOUNT_ID, call.call_id)
    record = CallRecord(key, {}, seq=1, version=1, created_at=0, updated_at=0, expires_at=2**40)
    app = PivotApp(
        {"demo": customer},
        SlowContendedStore(record),
        StaticTokens({"demo": [TOKEN]}),
        settings=EngineSettings(
            state_budget_seconds=BUDGET_SECONDS, store_call_seconds=OPERATION_SECONDS
        ),
        clock=lambda: 1_800_000_000.0,
    )
    url = signed(f"{BASE_URL}/pivot/demo?token={TOKEN}&step=menu&hop=4&seq=1&g=menu_4", call)
    started = time.perf_counter()
    response = app.handle(to_http(call.with_digits("menu_4", "1"), url))
    took = time.perf_counter() - started
    assert response.status == 503
    assert took <= BUDGET_SECONDS + 0.02
