"""The Pivot engine end to end on the in-memory store, with the Acme example flow."""

from __future__ import annotations

import json
from dataclasses import replace
from typing import Any

import pytest

from examples import acme
from pivotkit import Call, Customer, Flow, Node, tts
from pivotkit.app import EngineSettings, Outcome, PivotApp
from pivotkit.customers import StaticTokens
from pivotkit.errors import StateUnavailable, WriteConflict
from pivotkit.local.kazoo_encoding import KazooCall
from pivotkit.state import CallKey, CallRecord, InMemoryStateStore
from tests.signing import signed
from tests.unit.engine.driver import ACCOUNT_ID, BASE_URL, Caller, find_module, to_http

TOKEN = "s3cr3t-token"
FIRST_URL = f"{BASE_URL}/pivot/acme?token={TOKEN}"


class Clock:
    def __init__(self) -> None:
        self.now = 1_800_000_000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def store() -> InMemoryStateStore:
    return InMemoryStateStore()


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def outcomes() -> list[Outcome]:
    return []


@pytest.fixture
def app(store: InMemoryStateStore, clock: Clock, outcomes: list[Outcome]) -> PivotApp:
    return PivotApp(
        {"acme": acme.customer},
        store,
        StaticTokens({"acme": [TOKEN, "next-token"]}),
        clock=clock,
        observers=(outcomes.append,),
    )


def new_caller(app: PivotApp, call_id: str = "call-1@10.0.0.5") -> Caller:
    return Caller(app, KazooCall(account_id=ACCOUNT_ID, call_id=call_id))


def body(caller: Caller) -> dict[str, Any]:
    return caller.last_tree()


def test_first_request_asks_for_the_pin_without_touching_state(app, store, outcomes):
    caller = new_caller(app)
    response = caller.first(FIRST_URL)
    assert response.status == 200
    assert response.headers["Content-Type"] == "application/json"
    tree = body(caller)
    collect = find_module(tree, "collect_dtmf")
    pivot = find_module(tree, "pivot")
    assert collect is not None and collect["data"]["max_digits"] == 4
    assert collect["data"]["collection_name"] == "check_pin_1"
    assert pivot is not None
    assert pivot["data"]["req_format"] == "kazoo"
    assert pivot["data"]["req_timeout_ms"] == 4000
    unsigned = f"{BASE_URL}/pivot/acme?token={TOKEN}&step=check_pin&hop=1&seq=0&g=check_pin_1"
    assert pivot["data"]["voice_url"] == signed(unsigned, caller.call)
    # Every pivot node the kit emits carries a fallback: an apology, then the operator.
    fallback = pivot["children"]["_"]
    assert fallback["module"] == "tts"
    assert fallback["children"]["_"]["module"] == "device"
    assert (store.reads, store.writes) == (0, 0)
    assert outcomes[-1].status == 200 and outcomes[-1].step == "start"


def test_whole_call_with_wrong_pin_timeout_and_retry(app, store):
    caller = new_caller(app)
    caller.first(FIRST_URL)
    assert caller.press("9999").status == 200
    assert "not recognised" in body(caller)["data"]["text"]
    assert caller.press("").status == 200  # timeout: Kazoo stores an empty collection
    assert "did not hear" in body(caller)["data"]["text"]
    assert caller.press("1234").status == 200
    assert body(caller)["data"]["text"].startswith("Thank you.")
    assert caller.press("7").status == 200  # not an option
    assert "not an option" in body(caller)["data"]["text"]
    assert caller.press("3").status == 200
    tree = body(caller)
    room = find_module(tree, "conference")
    assert room is not None and room["data"]["config"]["name"] == "acme-10001"
    (record,) = store.records()
    assert record.state == {"pin_tries": 2, "account": "10001", "menu_tries": 1}
    # Stale collections from earlier steps never leak into later ones: the PIN step's
    # collections are still in the request (Kazoo keeps them), the menu read its own.
    assert caller.call.collections is not None and len(caller.call.collections) == 5


def test_three_wrong_pins_go_to_the_operator(app):
    caller = new_caller(app)
    caller.first(FIRST_URL)
    for _ in range(3):
        caller.press("0000")
    tree = body(caller)
    assert find_module(tree, "collect_dtmf") is None
    operator = find_module(tree, "device")
    assert operator is not None and operator["data"]["timeout"] == 30


def test_replayed_continuation_returns_the_same_answer_without_advancing(app, store):
    caller = new_caller(app)
    caller.first(FIRST_URL)
    caller.press("1234")
    first = caller.answers[-1]
    writes = store.writes
    (record_before,) = store.records()
    again = app.handle(to_http(caller.call, caller.voice_url))
    assert again.status == 200 and again.body == first.body
    (record_after,) = store.records()
    assert record_after.version == record_before.version
    assert store.writes - writes <= 1  # a blind create attempt may conflict, never succeed twice


def test_stale_continuation_is_refused_with_409(app, store):
    caller = new_caller(app)
    caller.first(FIRST_URL)
    first_pin_url = find_module(body(caller), "pivot")["data"]["voice_url"]
    caller.press("0000")  # wrong PIN: state seq 0 -> 1
    caller.press("1234")  # right PIN: state seq 1 -> 2
    menu_url = find_module(body(caller), "pivot")["data"]["voice_url"]
    assert "seq=2" in menu_url
    # A continuation from before the last two writes, and one claiming an older version
    # (signed for it: edited by hand it would be a forgery, 403):
    older = signed(menu_url.replace("seq=2", "seq=1"), caller.call)
    for url in (first_pin_url, older):
        response = app.handle(to_http(caller.call, url))
        assert response.status == 409
        assert json.loads(response.body)["error"] == "stale_continuation"
    (record,) = store.records()
    assert record.seq == 2 and record.state["account"] == "10001"


def test_expired_state_gets_410(app, clock):
    caller = new_caller(app)
    caller.first(FIRST_URL)
    caller.press("0000")
    clock.now += acme.customer.state_ttl_seconds + 1
    response = caller.press("1234")
    assert response.status == 410


@pytest.mark.parametrize(
    ("url", "status", "code"),
    [
        (f"{BASE_URL}/pivot/acme", 401, "unauthorized"),
        (f"{BASE_URL}/pivot/acme?token=wrong", 401, "unauthorized"),
        (f"{BASE_URL}/pivot/nobody?token={TOKEN}", 404, "not_found"),
        (f"{BASE_URL}/pivot/acme?token={TOKEN}&step=nosuchstep", 403, "bad_continuation"),
        (f"{BASE_URL}/pivot/acme?token={TOKEN}&step=check_pin&seq=x1", 400, "bad_request"),
    ],
)
def test_bad_requests_get_4xx_and_store_nothing(app, store, url, status, code):
    caller = new_caller(app)
    response = caller.first(url)
    assert response.status == status
    assert json.loads(response.body)["error"] == code
    assert store.records() == []


def test_a_signed_continuation_to_an_unknown_step_is_404(app, store):
    caller = new_caller(app)
    response = caller.first(signed(f"{FIRST_URL}&step=nosuchstep", caller.call))
    assert response.status == 404
    assert json.loads(response.body)["error"] == "not_found"
    assert store.records() == []


def test_second_token_works_during_rotation(app):
    response = new_caller(app).first(f"{BASE_URL}/pivot/acme?token=next-token")
    assert response.status == 200


def test_request_without_call_id_is_not_a_pivot_request(app, store):
    http = to_http(KazooCall(account_id=ACCOUNT_ID, call_id="x"), FIRST_URL)
    query = "&".join(p for p in http.raw_query.split("&") if not p.startswith("Call-ID="))
    response = app.handle(replace(http, raw_query=query))
    assert response.status == 400
    assert json.loads(response.body)["error"] == "not_a_pivot_request"
    assert store.records() == []


def test_account_outside_the_allow_list_is_forbidden(store):
    flow = Flow()

    @flow.step()
    def start(call: Call) -> Node:
        call.state["seen"] = True
        return tts("hello")

    only = Customer(slug="acme", flow=flow, allowed_account_ids=frozenset({"f" * 32}))
    app = PivotApp({"acme": only}, store, StaticTokens({"acme": [TOKEN]}))
    response = new_caller(app).first(FIRST_URL)
    assert response.status == 403
    assert store.records() == []


def _single_step_app(store: Any, step_body: Any, **settings: Any) -> PivotApp:
    flow = Flow()

    @flow.step()
    def start(call: Call) -> Node:
        return step_body(call)  # type: ignore[no-any-return]

    customer = Customer(slug="acme", flow=flow)
    return PivotApp(
        {"acme": customer},
        store,
        StaticTokens({"acme": [TOKEN]}),
        settings=EngineSettings(**settings),
    )


def test_a_failing_step_is_a_500_so_kazoo_falls_back(store):
    def boom(call: Call) -> Node:
        raise RuntimeError("customer bug")

    response = new_caller(_single_step_app(store, boom)).first(FIRST_URL)
    assert response.status == 500
    assert json.loads(response.body)["error"] == "step_failed"


def test_a_step_returning_something_else_is_a_500(store):
    response = new_caller(_single_step_app(store, lambda call: {"module": "tts"})).first(FIRST_URL)
    assert response.status == 500


class AlwaysConflicting(InMemoryStateStore):
    def save(self, record: CallRecord, *, expected_version: int | None) -> None:
        self.writes += 1
        raise WriteConflict("someone else won")

    def load(self, key: CallKey, *, now: float) -> CallRecord | None:
        self.reads += 1
        return CallRecord(
            key, {}, seq=0, version=7, created_at=now, updated_at=now, expires_at=int(now) + 60
        )


def test_endless_conflicts_give_up_with_503(clock):
    store = AlwaysConflicting()

    def counting(call: Call) -> Node:
        call.state["n"] = 1
        return tts("counted")

    response = new_caller(_single_step_app(store, counting, max_attempts=3)).first(FIRST_URL)
    assert response.status == 503
    assert store.writes == 3


class Unavailable(InMemoryStateStore):
    def save(self, record: CallRecord, *, expected_version: int | None) -> None:
        raise StateUnavailable("throttled")


def test_store_failure_is_a_503(store):
    def counting(call: Call) -> Node:
        call.state["n"] = 1
        return tts("counted")

    response = new_caller(_single_step_app(Unavailable(), counting)).first(FIRST_URL)
    assert response.status == 503
    assert json.loads(response.body)["error"] == "state_unavailable"


def test_sequence_placeholders_never_leak(app):
    caller = new_caller(app)
    caller.first(FIRST_URL)
    for digits in ("0000", "1234", "9"):
        caller.press(digits)
    assert all(b"PKSEQ" not in r.body for r in caller.answers)


@pytest.mark.parametrize(
    "presses",
    [
        ("1234", "1"),
        ("1234", "2"),
        ("1234", "3"),
        ("1234", "0"),
        ("1234", "", "5", "8"),
        ("", "9999", "0000"),
    ],
)
def test_every_answer_of_a_call_validates_against_kazoo(app, kazoo_errors, presses):
    caller = new_caller(app)
    caller.first(FIRST_URL)
    for digits in presses:
        caller.press(digits)
    assert [r.status for r in caller.answers] == [200] * (len(presses) + 1)
    for response in caller.answers:
        assert kazoo_errors(json.loads(response.body)) == []


def test_stored_answers_hold_no_token_and_replays_carry_the_callers_token(app, store):
    caller = new_caller(app)
    caller.first(FIRST_URL)
    caller.press("1234")  # writes state, so the answer is stored for replays
    (record,) = store.records()
    assert record.answer is not None and TOKEN not in record.answer
    rotated = caller.voice_url.replace(f"token={TOKEN}", "token=next-token")
    replay = app.handle(to_http(caller.call, rotated))
    assert replay.status == 200
    assert b"token=next-token" in replay.body and TOKEN.encode() not in replay.body
    original = caller.answers[-1].body
    assert replay.body.replace(b"next-token", TOKEN.encode()) == original


def test_a_token_with_url_syntax_in_it_survives_continuations(store):
    from urllib.parse import quote

    odd = "a&b/c%d e+f"
    app = PivotApp({"acme": acme.customer}, store, StaticTokens({"acme": [odd]}))
    caller = new_caller(app)
    assert caller.first(f"{BASE_URL}/pivot/acme?token={quote(odd, safe='')}").status == 200
    pivot = find_module(body(caller), "pivot")
    assert pivot is not None
    assert f"token={quote(odd, safe='')}&" in pivot["data"]["voice_url"]
    assert caller.press("0000").status == 200  # writes state: the stored answer is replayed
    assert caller.press("1234").status == 200
    assert app.handle(to_http(caller.call, caller.voice_url)).body == caller.answers[-1].body


def _stateful_entry_app(store: InMemoryStateStore, outcomes: list[Outcome]) -> PivotApp:
    """An entry step that writes state (as every track_path flow's does)."""
    flow = Flow()

    @flow.step()
    def start(call: Call) -> Node:
        call.state["entries"] = int(call.state.get("entries", 0)) + 1
        return call.gather("menu", prompt=tts("Press a key."))

    @flow.step()
    def menu(call: Call) -> Node:
        call.state["choice"] = call.digits
        return call.gather("menu", prompt=tts(f"You pressed {call.digits}. Again?"))

    customer = Customer(slug="acme", flow=flow)
    return PivotApp(
        {"acme": customer}, store, StaticTokens({"acme": [TOKEN]}), observers=(outcomes.append,)
    )


def test_a_late_duplicate_of_a_stateful_first_request_is_a_replay(store, outcomes):
    """Issue 16 item 12: the duplicate used to run the entry step again on the call's state,
    moving seq on, so the live call's next request was a 409 and the caller got the
    fallback."""
    app = _stateful_entry_app(store, outcomes)
    caller = new_caller(app)
    first = caller.first(FIRST_URL)
    assert first.status == 200
    assert caller.press("1").status == 200  # the live call moves on: seq 1 -> 2
    (before,) = store.records()
    live_answer = caller.answers[-1].body

    late = app.handle(to_http(caller.call, FIRST_URL))  # the first request, again
    assert late.status == 200
    assert outcomes[-1].replayed is True
    # Answered from what is stored (the call's current answer), the step not run again:
    assert late.body == live_answer
    (after,) = store.records()
    assert (after.seq, after.version, after.state) == (before.seq, before.version, before.state)
    # The live call carries on.
    assert caller.press("2").status == 200
    (record,) = store.records()
    assert record.state == {"entries": 1, "choice": "2"}


def test_a_concurrent_duplicate_of_a_stateful_first_request_is_a_replay(store, outcomes):
    app = _stateful_entry_app(store, outcomes)
    caller = new_caller(app)
    first = caller.first(FIRST_URL)
    again = app.handle(to_http(caller.call, FIRST_URL))
    assert again.status == 200 and again.body == first.body
    assert outcomes[-1].replayed is True
    (record,) = store.records()
    assert record.state == {"entries": 1}


@pytest.mark.parametrize("kind", ["step", "job"])
def test_steps_and_jobs_take_lower_case_names_once_each(kind: str) -> None:
    flow = Flow()
    register = flow.step if kind == "step" else flow.job

    def first(call: Any) -> Any:
        return None

    register()(first)
    with pytest.raises(ValueError, match=f"{kind} 'first' is registered twice"):
        register("first")(first)
    with pytest.raises(ValueError, match=f"{kind} name 'Bad-Name'"):
        register("Bad-Name")(first)
    looked_up = flow.get("first") if kind == "step" else flow.job_function("first")
    assert looked_up is first
