"""Decode + build + render of a typical menu answer, next to a json.loads/json.dumps baseline.

Two figures are compared with the baseline: decode + build + render itself (what issue 2
targets at under 3x), and the whole request through ``PivotApp.handle``, which adds
authentication, the state rules, reporting and the step's hand-off to a worker thread.
The whole request is also measured with the process pinned to one CPU, which is closer to a
Lambda function at 1 GB (a fraction of a vCPU) than two idle cores are.

Besides the whole request (``PivotApp.handle``), each phase is timed on its own so a
regression shows where it is: decoding Kazoo's query, running the step (the typed builder),
rendering, and handing the step to a worker thread under its time limit. The hand-off is
two thread wake-ups; what they cost depends on the host (a wake-up across CPUs on an idle
virtual machine is several times one on a busy host or on the same CPU), so it and the
whole-request figure vary between runs far more than the other phases do.

Every contender runs one batch of about 0.1 s per round and the rounds are interleaved, so
each ratio is the range of ratios of batches measured side by side.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

from bench.harness import Row, calibrate, ratio_row, spread_row, time_batch
from bench.stats import interleaved, rounds_health
from examples import acme
from pivotkit.app import PivotApp
from pivotkit.callflow.node import render_text
from pivotkit.customers import StaticTokens
from pivotkit.flow import Call, CallState
from pivotkit.local.kazoo_encoding import KazooCall, encode_json, kazoo_params, pivot_http_request
from pivotkit.request import PivotRequest, decode_pivot_request, query_params
from pivotkit.state import InMemoryStateStore
from pivotkit.step_runner import StepRunner

ACCOUNT = "3a1f0e2d4c5b6a7980f1e2d3c4b5a697"
CONTINUATION = frozenset({"token", "step", "seq", "hop", "g"})


ROUNDS = 5  # per pass (`python -m bench` makes two)


def run() -> list[Row]:
    app = PivotApp({"acme": acme.customer}, InMemoryStateStore(), StaticTokens({"acme": ["T"]}))
    call = KazooCall(account_id=ACCOUNT, call_id="bench@10.0.0.5").with_digits("check_pin_1", "")
    # The menu step is stateless for choice "2" once the call has state; the first request
    # (welcome + PIN prompt: tts, collect_dtmf, pivot, fallback) is the typical menu answer.
    wire = pivot_http_request(call, "https://bench.example/pivot/acme?token=T")
    request = wire.as_http_request()
    answer = app.handle(request)
    assert answer.status == 200, answer.body

    params_json = encode_json(kazoo_params(call))
    answer_tree = json.loads(answer.body)

    decoded = decode_pivot_request(request)
    step_call = _start_call(decoded)
    node = acme.start(step_call)
    runner = StepRunner(max_workers=1)

    def baseline() -> None:
        json.loads(params_json)
        json.dumps(answer_tree, separators=(",", ":"))

    def decode_build_render() -> None:
        decoded = decode_pivot_request(request)
        one_call = _start_call(decoded)
        render_text(acme.start(one_call))

    def decode() -> None:
        query_params(request, CONTINUATION)
        decode_pivot_request(request)

    contenders: list[tuple[str, Callable[[], object]]] = [
        ("baseline", baseline),
        ("dbr", decode_build_render),
        ("whole", lambda: app.handle(request)),
        ("decode: continuation parameters + PivotRequest", decode),
        (
            "build: the start step (tts, collect_dtmf, pivot, fallback)",
            lambda: acme.start(step_call),
        ),
        ("render: checked compact JSON", lambda: render_text(node)),
        ("step hand-off to a worker under a time limit", lambda: runner.run(len, "", timeout=3.0)),
    ]
    rounds = _rounds(contenders)
    base, dbr, whole = rounds["baseline"], rounds["dbr"], rounds["whole"]
    health = rounds_health("baseline", base)
    pinned_base, pinned_whole = _pinned_rounds()
    pinned_health = rounds_health("pinned baseline", pinned_base)
    note = "interleaved with the baseline"
    phases = [name for name, _ in contenders[3:]]
    return [
        spread_row(
            "request", "decode + build + render, first request (menu prompt)", dbr, "µs", note=note
        ),
        spread_row("request", "baseline json.loads(params)+json.dumps(answer)", base, "µs"),
        ratio_row("request", "ratio decode+build+render / baseline", dbr, base, health, target=3),
        spread_row("request", "whole request (PivotApp.handle), same answer", whole, "µs"),
        *(spread_row("request", f"  phase {name}", rounds[name], "µs") for name in phases),
        ratio_row(
            "request", "ratio whole request / baseline", whole, base, health, note="two cores"
        ),
        ratio_row(
            "request",
            "ratio whole request / baseline, pinned to one CPU",
            pinned_whole,
            pinned_base,
            pinned_health,
            note="a fresh process",
        ),
    ]


def _rounds(contenders: list[tuple[str, Callable[[], object]]]) -> dict[str, list[float]]:
    """Microseconds per call of each contender, one batch each per interleaved round."""
    sized = [(name, function, calibrate(function)) for name, function in contenders]
    measures = [
        (name, lambda f=function, n=calls: time_batch(f, n)) for name, function, calls in sized
    ]
    return interleaved(measures, ROUNDS)


def _start_call(decoded: PivotRequest) -> Call:
    """What the engine hands the Acme entry step for ``decoded`` (placeholders included)."""
    return Call(
        request=decoded,
        customer=acme.customer,
        step="start",
        hop=0,
        digits=None,
        state=CallState(),
        continuation_base="https://bench.example/pivot/acme",
        token_mark="PKTOK0123456789abcdef",
        seq_placeholder="PKSEQ0123456789abcdef",
        sig_placeholder="PKSIG0123456789abcdef",
    )


def _pinned_rounds() -> tuple[list[float], list[float]]:
    """Baseline and whole-request rounds measured in a fresh process pinned to one CPU."""
    import os
    import subprocess
    import sys

    probe = (
        "import os; os.sched_setaffinity(0, {min(os.sched_getaffinity(0))});"
        "from bench import render; print(render.whole_request_rounds())"
    )
    out = subprocess.run(
        [sys.executable, "-c", probe],
        capture_output=True,
        text=True,
        check=True,
        env={**os.environ},
        cwd=Path.cwd(),
    )
    parsed = json.loads(out.stdout.strip().splitlines()[-1])
    return parsed["baseline"], parsed["whole"]


def whole_request_rounds() -> str:
    """JSON: interleaved rounds of the baseline and the whole request, in this process."""
    app = PivotApp({"acme": acme.customer}, InMemoryStateStore(), StaticTokens({"acme": ["T"]}))
    call = KazooCall(account_id=ACCOUNT, call_id="bench@10.0.0.5").with_digits("check_pin_1", "")
    wire = pivot_http_request(call, "https://bench.example/pivot/acme?token=T")
    request = wire.as_http_request()
    answer_tree = json.loads(app.handle(request).body)
    params_json = encode_json(kazoo_params(call))
    rounds = _rounds(
        [
            (
                "baseline",
                lambda: (json.loads(params_json), json.dumps(answer_tree, separators=(",", ":"))),
            ),
            ("whole", lambda: app.handle(request)),
        ]
    )
    return json.dumps(rounds)
