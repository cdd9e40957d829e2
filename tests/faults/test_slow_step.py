"""A customer's step that is slow (a CRM that hangs, a loop that never ends): Kazoo gets a
503 at the step's time limit, so it runs the fallback at once instead of waiting out its
own timeout (10 s of dead air on master); nothing the step did is saved, and the next
request is not held up by the step still running."""

from __future__ import annotations

import contextvars
import json
import threading
import time
from typing import Any

import pytest

from pivotkit import Call, Customer, Flow, Node, hangup, tts
from pivotkit.app import EngineSettings
from pivotkit.aws.lambda_entry import make_pivot_handler
from pivotkit.errors import StepTimedOut
from pivotkit.state import InMemoryStateStore
from pivotkit.step_runner import StepRunner
from tests.faults.conftest import record
from tests.signing import signed
from tests.unit.security.support import BASE_URL, invoke, kazoo_call, next_request

TOKEN = "slow-token-3c9e1f7a"
release = threading.Event()


def _flow() -> Flow:
    flow = Flow()

    @flow.step()
    def start(call: Call) -> Node:
        call.state["started"] = True
        return call.gather("slow", prompt=tts("Press any key."))

    @flow.step()
    def slow(call: Call) -> Node:
        call.state["slow_done"] = True  # must never be saved: the answer was a 503
        release.wait(timeout=10)
        return tts("Too late.").then(hangup())

    @flow.step()
    def fast(call: Call) -> Node:
        return tts("Right away.").then(hangup())

    return flow


FLOW = _flow()


def handler_for(customer: Customer, store: InMemoryStateStore, **engine: Any) -> Any:
    return make_pivot_handler(
        {"PIVOTKIT_TOKENS": json.dumps({customer.slug: [TOKEN]})},
        customers={customer.slug: customer},
        state=store,
        engine=EngineSettings(**engine) if engine else None,
    )


@pytest.fixture(autouse=True)
def released() -> Any:
    release.clear()
    yield
    release.set()  # let abandoned steps finish


def test_a_slow_step_is_a_503_at_its_limit_and_saves_nothing() -> None:
    customer = Customer(slug="slowpoke", flow=FLOW)
    store = InMemoryStateStore()
    handler = handler_for(customer, store, step_time_limit_seconds=0.3)
    call = kazoo_call("slow-call@10.0.0.5")
    first = invoke(handler, call, f"{BASE_URL}/pivot/slowpoke?token={TOKEN}")
    collection, url = next_request(first)
    before = store.records()

    started = time.perf_counter()
    result = invoke(handler, call.with_digits(collection, "1"), url)
    took = time.perf_counter() - started
    assert result["statusCode"] == 503
    assert json.loads(result["body"])["error"] == "step_timed_out"
    assert 0.3 <= took < 0.6
    assert store.records() == before  # slow_done never stored
    record("customer step hangs (limit 0.3 s)", "503 step_timed_out", took, "nothing saved")

    # The hung step still holds its worker; the next request gets another at once.
    started = time.perf_counter()
    next_call = kazoo_call("next@10.0.0.5")
    fast_url = signed(f"{BASE_URL}/pivot/slowpoke?token={TOKEN}&step=fast", next_call)
    fast = invoke(handler, next_call, fast_url)
    assert fast["statusCode"] == 200 and time.perf_counter() - started < 0.2


def test_the_limit_leaves_time_before_the_customers_request_timeout() -> None:
    """With the default settings, a customer whose pivot nodes wait 1.5 s gets its 503 at the
    request's deadline, half a second before that (EngineSettings.reply_margin_seconds)."""
    customer = Customer(slug="hasty", flow=FLOW, request_timeout_ms=1500)
    store = InMemoryStateStore()
    handler = handler_for(customer, store)
    call = kazoo_call().with_digits("slow_1", "1")
    url = signed(f"{BASE_URL}/pivot/hasty?token={TOKEN}&step=slow&hop=1&g=slow_1", call)
    started = time.perf_counter()
    result = invoke(handler, call, url)
    took = time.perf_counter() - started
    assert result["statusCode"] == 503 and 1.0 <= took < 1.3
    assert store.records() == []
    record("customer step hangs (1.5 s timeout)", "503 step_timed_out", took, "nothing saved")


def test_a_step_that_fails_on_its_worker_is_still_a_500() -> None:
    flow = Flow()

    @flow.step()
    def start(call: Call) -> Node:
        raise LookupError("the CRM has no such caller")

    handler = handler_for(Customer(slug="failing", flow=flow), InMemoryStateStore())
    result = invoke(handler, kazoo_call(), f"{BASE_URL}/pivot/failing?token={TOKEN}")
    assert result["statusCode"] == 500
    assert json.loads(result["body"])["error"] == "step_failed"


# -- the runner itself ------------------------------------------------------------------


def test_workers_are_reused_while_they_are_free() -> None:
    runner = StepRunner(max_workers=4)
    names = {
        runner.run(lambda _: threading.current_thread().name, None, timeout=1) for _ in range(20)
    }
    assert runner.workers == 1 and names == {"pivotkit-step"}
    assert threading.current_thread().name not in names


def test_a_stuck_worker_is_replaced_and_the_cap_bounds_them() -> None:
    runner = StepRunner(max_workers=2)
    stuck = threading.Event()
    for _ in range(2):
        with pytest.raises(StepTimedOut):
            runner.run(lambda _: stuck.wait(5), None, timeout=0.05)
    assert runner.workers == 2
    started = time.perf_counter()
    with pytest.raises(StepTimedOut, match="no worker"):
        runner.run(lambda _: "never runs", None, timeout=0.1)
    assert time.perf_counter() - started < 0.3
    stuck.set()
    time.sleep(0.05)
    assert runner.run(lambda x: x * 2, 21, timeout=1) == 42  # freed workers serve again
    assert runner.workers == 2


def test_steps_see_the_callers_context_and_raise_their_own_errors() -> None:
    runner = StepRunner()
    request_id: contextvars.ContextVar[str] = contextvars.ContextVar("request_id")
    request_id.set("req-42")
    assert runner.run(lambda _: request_id.get(), None, timeout=1) == "req-42"
    with pytest.raises(ZeroDivisionError):
        runner.run(lambda x: 1 / x, 0, timeout=1)
