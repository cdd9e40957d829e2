"""Decode + build + render of a typical menu answer, next to a json.loads/json.dumps baseline.

Besides the whole request (``PivotApp.handle``), each phase is timed on its own so a
regression shows where it is: decoding Kazoo's query, running the step (the typed builder),
rendering, and handing the step to a worker thread under its time limit. The hand-off is
two thread wake-ups; what they cost depends on the host (a wake-up across CPUs on an idle
virtual machine is several times one on a busy host or on the same CPU), so it and the
whole-request figure vary between runs far more than the other phases do.
"""

from __future__ import annotations

import json

from bench.harness import Row, per_call_us
from customers import acme
from pivotkit.app import PivotApp
from pivotkit.callflow.node import render_text
from pivotkit.customers import StaticTokens
from pivotkit.flow import Call, CallState
from pivotkit.http import HttpRequest
from pivotkit.local.kazoo_encoding import KazooCall, encode_json, kazoo_params, pivot_http_request
from pivotkit.request import decode_pivot_request, query_params
from pivotkit.state import InMemoryStateStore
from pivotkit.step_runner import StepRunner

ACCOUNT = "3a1f0e2d4c5b6a7980f1e2d3c4b5a697"
CONTINUATION = frozenset({"token", "step", "seq", "hop", "g"})


def run() -> list[Row]:
    app = PivotApp({"acme": acme.customer}, InMemoryStateStore(), StaticTokens({"acme": ["T"]}))
    call = KazooCall(account_id=ACCOUNT, call_id="bench@10.0.0.5").with_digits("check_pin_1", "")
    # The menu step is stateless for choice "2" once the call has state; the first request
    # (welcome + PIN prompt: tts, collect_dtmf, pivot, fallback) is the typical menu answer.
    wire = pivot_http_request(call, "https://bench.example/pivot/acme?token=T")
    path, _, query = wire.url.partition("//")[2].partition("/")[2].partition("?")
    request = HttpRequest(
        "GET", "/" + path, query, dict(wire.headers), b"", "https://bench.example"
    )
    answer = app.handle(request)
    assert answer.status == 200, answer.body

    params_json = encode_json(kazoo_params(call))
    answer_tree = json.loads(answer.body)

    decoded = decode_pivot_request(request)
    step_call = Call(
        request=decoded,
        customer=acme.customer,
        step="start",
        hop=0,
        digits=None,
        state=CallState(),
        continuation_base="https://bench.example/pivot/acme",
        token="PKTOK0123456789abcdef",
        seq_placeholder="PKSEQ0123456789abcdef",
    )
    node = acme.start(step_call)
    runner = StepRunner(max_workers=1)

    def kit() -> None:
        app.handle(request)

    def baseline() -> None:
        json.loads(params_json)
        json.dumps(answer_tree, separators=(",", ":"))

    def decode() -> None:
        query_params(request, CONTINUATION)
        decode_pivot_request(request)

    def hand_off() -> None:
        runner.run(len, "", timeout=3.0)

    kit_us = per_call_us(kit)
    base_us = per_call_us(baseline)
    ratio = kit_us / base_us
    phases = [
        ("decode: continuation parameters + PivotRequest", per_call_us(decode)),
        (
            "build: the start step (tts, collect_dtmf, pivot, fallback)",
            per_call_us(lambda: acme.start(step_call)),
        ),
        ("render: checked compact JSON", per_call_us(lambda: render_text(node))),
        ("step hand-off to a worker under a time limit", per_call_us(hand_off)),
    ]
    return [
        Row("request", "decode+step+render, first request (menu prompt)", f"{kit_us:.1f} µs"),
        *(Row("request", f"  phase {name}", f"{us:.1f} µs") for name, us in phases),
        Row("request", "baseline json.loads(params)+json.dumps(answer)", f"{base_us:.1f} µs"),
        Row(
            "request",
            "ratio kit / baseline",
            f"{ratio:.2f}x",
            "target < 3x" + ("" if ratio < 3 else " (MISSED)"),
        ),
    ]
