"""ServeCallLog: calls grouped by Call-ID, bounded, token-free; and how serve mounts it."""

from __future__ import annotations

import argparse
import json

import pytest

from pivotkit.http import HttpResponse
from pivotkit.local.commands import serve
from pivotkit.local.devphone import calllog
from pivotkit.local.devphone.calllog import NO_CALL_ID, ServeCallLog
from pivotkit.local.devphone.console import DevConsole
from pivotkit.local.gateway import GatewayRequest
from pivotkit.local.runtime import local_runtime
from pivotkit.local.server import Exchange, LocalGateway
from pivotkit.redaction import Redactor

SECRET = "s3cret-token-value"


def exchange(call_id: str | None, status: int = 200, customer: str | None = "acme") -> Exchange:
    return Exchange("GET", "/pivot/acme", status, 1.0, customer=customer, call_id=call_id)


def answer(tree: object) -> HttpResponse:
    return HttpResponse(200, json.dumps(tree).encode(), {"Content-Type": "application/json"})


def test_answers_are_kept_without_tokens_known_or_in_a_query() -> None:
    log = ServeCallLog(scrub=Redactor([SECRET]))
    tree = {
        "module": "play",
        "data": {"id": f"http://127.0.0.1/media/acme/{SECRET}/a.wav"},
        "children": {"_": {"module": "pivot", "data": {"voice_url": "http://h/p?token=abcdef"}}},
    }
    log.record(exchange("c1"), answer(tree))
    kept = json.dumps(log.timeline("c1"))
    assert SECRET not in kept and "abcdef" not in kept and "token=***" in kept


def test_unrouted_requests_are_no_call_and_calls_without_an_id_are_grouped() -> None:
    log = ServeCallLog()
    log.record(exchange(None, 404, customer=None), HttpResponse(404))  # a favicon
    assert log.calls() == []
    log.record(exchange(None, 400), HttpResponse(400))
    assert [c["call_id"] for c in log.calls()] == [NO_CALL_ID]


def test_the_oldest_calls_and_entries_go_first(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(calllog, "MAX_CALLS", 3)
    monkeypatch.setattr(calllog, "MAX_ENTRIES", 2)
    log = ServeCallLog()
    for index in range(5):
        log.record(exchange(f"c{index}"), answer({"module": "hangup"}))
    assert [c["call_id"] for c in log.calls()] == ["c4", "c3", "c2"]
    for _ in range(3):
        log.record(exchange("c4", 500), HttpResponse(500))
    timeline = log.timeline("c4")
    assert timeline is not None
    assert (len(timeline["entries"]), timeline["dropped"]) == (2, 2)
    assert log.calls()[0]["requests"] == 4


def test_a_failing_tap_never_costs_kazoo_its_answer() -> None:
    def broken(exchange: Exchange, response: HttpResponse) -> None:
        raise RuntimeError("inspector bug")

    gateway = LocalGateway(functions={}, tap=broken)
    response = gateway.dispatch(
        GatewayRequest(method="GET", target="/nowhere", domain_name="127.0.0.1")
    )
    assert response.status == 404


@pytest.mark.parametrize(
    ("host", "off", "mounted"),
    [("127.0.0.1", False, True), ("localhost", False, True), ("127.0.0.1", True, False),
     ("0.0.0.0", False, False), ("192.0.2.10", False, False)],
)  # fmt: skip
def test_serve_offers_the_console_on_loopback_binds_only(
    host: str, off: bool, mounted: bool
) -> None:
    args = argparse.Namespace(host=host, no_dev_console=off)
    with local_runtime("memory", customer="acme") as runtime:
        front, console = serve._front(args, runtime, lambda exchange: None)
    assert (console is not None) is mounted
    assert isinstance(front, DevConsole) is mounted
    if not mounted:
        assert isinstance(front, LocalGateway)


def test_answers_are_read_when_the_inspector_asks_and_a_huge_one_is_not_kept(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(calllog, "MAX_KEPT_ANSWER", 64)
    scrubbed: list[str] = []
    log = ServeCallLog(scrub=lambda text: scrubbed.append(text) or text)
    log.record(exchange("c1"), answer({"module": "hangup"}))
    big = answer({"module": "tts", "data": {"text": "x" * 100}})
    log.record(exchange("c1"), big)
    log.record(exchange("c1"), HttpResponse(200, b"{", {"Content-Type": "application/json"}))
    assert scrubbed == []  # nothing parsed or scrubbed while Kazoo waits for its answer
    timeline = log.timeline("c1")
    assert timeline is not None
    trees = [entry["callflow"] for entry in timeline["entries"]]
    assert trees[0] == {"module": "hangup"}
    assert trees[1] == {"note": f"answer of {len(big.body)} bytes not kept"}
    assert trees[2] is None  # not JSON after all
    assert len(scrubbed) == 2
    log.timeline("c1")
    assert len(scrubbed) == 2  # read once
