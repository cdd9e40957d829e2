"""The request's deadline is a bound: a store call starts only while the longest one store
call can take (``EngineSettings.store_call_seconds``) still fits before it, so contention
plus slow calls end in a 503 by the deadline, never after it."""

from __future__ import annotations

import time
from dataclasses import dataclass, field, replace

from pivotkit import Call, Flow, Node, tts
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
        # The deadline: request_timeout_ms less the reply margin (0.5 s) = BUDGET_SECONDS.
        {"demo": replace(customer, request_timeout_ms=int((BUDGET_SECONDS + 0.5) * 1000))},
        SlowContendedStore(record),
        StaticTokens({"demo": [TOKEN]}),
        settings=EngineSettings(store_call_seconds=OPERATION_SECONDS),
        clock=lambda: 1_800_000_000.0,
    )
    url = signed(f"{BASE_URL}/pivot/demo?token={TOKEN}&step=menu&hop=4&seq=1&g=menu_4", call)
    started = time.perf_counter()
    response = app.handle(to_http(call.with_digits("menu_4", "1"), url))
    took = time.perf_counter() - started
    assert response.status == 503
    assert took <= BUDGET_SECONDS + 0.02


@dataclass
class SlowLoadStore:
    """Loads take ``load_seconds`` (a store overrunning its own bound); writes are instant."""

    record: CallRecord
    load_seconds: float
    saved: list[CallRecord] = field(default_factory=list)

    def load(self, key: CallKey, *, now: float) -> CallRecord | None:
        time.sleep(self.load_seconds)
        return self.record

    def save(self, record: CallRecord, *, expected_version: int | None) -> None:
        self.saved.append(record)


def _continuation(load_seconds: float) -> tuple[int, list[float], SlowLoadStore]:
    """A 1500 ms customer (a 1.0 s deadline) whose state read takes ``load_seconds``."""
    call = KazooCall(account_id=ACCOUNT_ID, call_id="late-call")
    key = CallKey("demo", ACCOUNT_ID, call.call_id)
    record = CallRecord(key, {}, seq=1, version=1, created_at=0, updated_at=0, expires_at=2**40)
    store = SlowLoadStore(record, load_seconds)
    seen: list[float] = []
    flow = Flow()

    @flow.step()
    def menu(call: Call) -> Node:
        seen.append(call.time_left())
        return tts("Thank you.")

    hasty = replace(customer, flow=flow, request_timeout_ms=1500)
    app = PivotApp(
        {"demo": hasty},
        store,
        StaticTokens({"demo": [TOKEN]}),
        settings=EngineSettings(store_call_seconds=0.1),
        clock=lambda: 1_800_000_000.0,
    )
    url = signed(f"{BASE_URL}/pivot/demo?token={TOKEN}&step=menu&hop=4&seq=1&g=menu_4", call)
    return app.handle(to_http(call.with_digits("menu_4", "1"), url)).status, seen, store


def test_time_left_is_never_negative_when_the_step_starts() -> None:
    status, seen, _ = _continuation(0.85)
    assert status == 200 and len(seen) == 1 and 0.0 < seen[0] <= 0.15


def test_a_step_with_no_time_left_does_not_run() -> None:
    status, seen, store = _continuation(1.05)  # the read ended past the 1.0 s deadline
    assert status == 503 and seen == [] and store.saved == []
