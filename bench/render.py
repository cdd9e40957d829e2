"""Decode + build + render of a typical menu answer, next to a json.loads/json.dumps baseline."""

from __future__ import annotations

import json

from bench.harness import Row, per_call_us
from customers import acme
from pivotkit.app import PivotApp
from pivotkit.customers import StaticTokens
from pivotkit.http import HttpRequest
from pivotkit.local.kazoo_encoding import KazooCall, encode_json, kazoo_params, pivot_http_request
from pivotkit.state import InMemoryStateStore

ACCOUNT = "3a1f0e2d4c5b6a7980f1e2d3c4b5a697"


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

    def kit() -> None:
        app.handle(request)

    def baseline() -> None:
        json.loads(params_json)
        json.dumps(answer_tree, separators=(",", ":"))

    kit_us = per_call_us(kit)
    base_us = per_call_us(baseline)
    ratio = kit_us / base_us
    return [
        Row("request", "decode+step+render, first request (menu prompt)", f"{kit_us:.1f} µs"),
        Row("request", "baseline json.loads(params)+json.dumps(answer)", f"{base_us:.1f} µs"),
        Row(
            "request",
            "ratio kit / baseline",
            f"{ratio:.2f}x",
            "target < 3x" + ("" if ratio < 3 else " (MISSED)"),
        ),
    ]
