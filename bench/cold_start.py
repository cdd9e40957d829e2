"""Cold start on equal work: a fresh process importing a handler and answering one request
on the embedded AWS, for the kit, a floor handler and the hand-written Powertools reference.

Two kinds of first invocation are measured, since a Lambda instance can start on either:

* the call's first request (the PIN prompt), which touches no DynamoDB in the kit, so the
  floor does not either (it parses the query and answers JSON);
* a stateful continuation (the right PIN), which reads and writes the call's record: the
  kit's GetItem + conditional PutItem, the floor's and the reference's same two calls on
  a boto3 client (``bench.floor_handler``).

The targets divide both of the kit's starts by the floor's *stateful* one: the floor's first
request does no work at all (a few milliseconds), so a ratio against it says nothing.

The reference creates its boto3 client at import, as such handlers usually do, so its
first-request figure includes that; the floor and the kit build theirs on first need.

What a customer's configuration costs: the test fixture's ``dental`` (a pydantic
``config_model``, its ``config/dev.toml`` read and validated at init, one declared secret)
against ``dental_fixed``, the same first answer with its values written in code, each
answering its first request in a fresh process, in the same rounds.

Each run is a new interpreter; the time measured inside it starts before the first import
and ends when the first answer is back, which is what Lambda's init + first invoke cost on
top of the runtime's own start. The six contenders run in interleaved rounds; each round's
continuations belong to calls prepared beforehand (first request and a wrong PIN, so the
record exists), one call per process. Also reports `python -X importtime` for the entry
point.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from bench.harness import Row, find_module, ratio_row, spread_row
from bench.stats import Health, interleaved, rounds_health
from pivotkit.local.embedded_aws import EmbeddedAws, applied_environment
from pivotkit.local.events import http_v2_event
from pivotkit.local.kazoo_encoding import KazooCall, pivot_http_request

ROUNDS = 4  # per pass (`python -m bench` makes two)
ROOT = Path(__file__).resolve().parent.parent
ACCOUNT = "3a1f0e2d4c5b6a7980f1e2d3c4b5a697"
FIRST_URL = "https://bench.example/pivot/acme?token=T"
KIT, FLOOR, REFERENCE = "functions.pivot", "bench.floor_handler", "bench.reference_handler"
# A customer package root of the tests (tests/fixtures/configured): customers.dental there.
CONFIGURED_ROOT = ROOT / "tests" / "fixtures" / "configured"
WITH_CONFIG, WITHOUT_CONFIG = "dental", "dental_fixed"

PROBE = """
import json, sys, time
started = time.perf_counter()
import importlib
module = importlib.import_module(sys.argv[1])
imported = time.perf_counter()
event = json.loads(sys.stdin.read())
result = module.handler(event, None)
done = time.perf_counter()
if result["statusCode"] != 200:
    try:
        code = json.loads(result["body"]).get("error")
    except ValueError:
        code = None
    print(json.dumps({"failed": f"answered {result['statusCode']} ({code})"}))
else:
    print(json.dumps({"import_ms": (imported - started) * 1e3, "total_ms": (done - started) * 1e3}))
"""


def run() -> list[Row]:
    with EmbeddedAws() as aws:
        env = {
            **os.environ,
            **aws.environment(),
            "PIVOTKIT_CUSTOMER": "acme",
            "PIVOTKIT_TOKENS": json.dumps({"acme": ["T"]}),
            "PYTHONPATH": os.pathsep.join([str(ROOT / "handlers"), str(ROOT)]),
        }
        continuations = iter(_continuations(env, ROUNDS * 3))
        first = json.dumps(http_v2_event(pivot_http_request(_call("first"), FIRST_URL)))
        # As in Lambda: pivotkit turns its Powertools logs and metrics on there.
        lambda_env = {
            **env,
            "AWS_LAMBDA_FUNCTION_NAME": "pivotkit-bench-acme",
            "POWERTOOLS_SERVICE_NAME": "pivotkit-acme",
        }

        def probe(module: str, event: Callable[[], str]) -> Callable[[], Probe]:
            return lambda: _probe(module, event(), lambda_env)

        def fresh() -> str:
            return next(continuations)

        configured = {
            slug: (_configured_env(lambda_env, slug), _first_event(slug))
            for slug in (WITH_CONFIG, WITHOUT_CONFIG)
        }

        def configured_probe(slug: str) -> Callable[[], Probe]:
            environment, event = configured[slug]
            return lambda: _probe(KIT, event, environment)

        rounds = interleaved(
            [
                ("kit first", probe(KIT, lambda: first)),
                ("floor first", probe(FLOOR, lambda: first)),
                ("reference first", probe(REFERENCE, lambda: first)),
                ("kit continuation", probe(KIT, fresh)),
                ("floor continuation", probe(FLOOR, fresh)),
                ("reference continuation", probe(REFERENCE, fresh)),
                ("config first", configured_probe(WITH_CONFIG)),
                ("no config first", configured_probe(WITHOUT_CONFIG)),
            ],
            ROUNDS,
        )
        imports = _importtime(KIT, lambda_env)
        config_imports = {
            # The customer package itself is imported with importlib, which -X importtime
            # does not time; its model module (pydantic and the model's building) it does.
            slug: _imported_anywhere(
                KIT, environment, (KIT, f"customers.{slug}.config", "pivotkit.config", "tomllib")
            )
            for slug, (environment, _) in configured.items()
        }
    rows: list[Row] = []
    for kind, label in (("first", "first request"), ("continuation", "stateful continuation")):
        kit, floor, ref = (rounds[f"{who} {kind}"] for who in ("kit", "floor", "reference"))
        floor_label = "first request, no DynamoDB" if kind == "first" else label
        rows += [
            _figure(f"pivotkit: import + {label}", kit, "total_ms"),
            _figure(f"  of which import, {label}", kit, "import_ms"),
            _figure(f"floor handler: import + {floor_label}", floor, "total_ms"),
            _figure(
                f"reference (Powertools + pydantic + boto3): import + {label}", ref, "total_ms"
            ),
            _ratio(f"ratio pivotkit / reference, {label}", kit, ref, "reference", target=1.0),
        ]
    # The targets: both of the kit's starts against the floor's stateful one (a boto3
    # client, GetItem and a conditional PutItem), since an instance is as likely to start on
    # a continuation as on a first request (see the module docstring).
    kit_first, kit_next = rounds["kit first"], rounds["kit continuation"]
    floor_next = rounds["floor continuation"]
    rows += [
        _ratio("target: pivotkit first request / floor stateful continuation", kit_first,
               floor_next, "floor", target=0.8),
        _ratio("target: pivotkit stateful continuation / floor stateful continuation",
               kit_next, floor_next, "floor", target=1.3),
    ]  # fmt: skip
    rows += [
        Row("cold start", f"-X importtime: {name}", f"{us / 1000:.0f} ms", "cumulative, one run")
        for name, us in imports
    ]
    with_config, without = rounds["config first"], rounds["no config first"]
    rows += [
        _figure("customer with config_model: import + first request", with_config, "total_ms"),
        _figure("  of which import (model built, dev.toml read)", with_config, "import_ms"),
        _figure("same flow, values in code: import + first request", without, "total_ms"),
        _figure("  of which import", without, "import_ms"),
        _ratio("ratio with config / without, first request", with_config, without, "no config"),
    ]
    for slug, label in ((WITH_CONFIG, "with config"), (WITHOUT_CONFIG, "without config")):
        rows += [
            Row("cold start", f"-X importtime {label}: {name}", f"{us / 1000:.0f} ms",
                "cumulative, one run")
            for name, us in config_imports[slug]
        ]  # fmt: skip
    return rows


Probe = dict[str, Any]  # {"total_ms", "import_ms"}, or {"failed": why}


def _figure(name: str, runs: list[Probe], field: str) -> Row:
    values = [run[field] for run in runs if "failed" not in run]
    failed = _failures(runs)
    if not values:
        return Row("cold start", name, "failed", "; ".join(failed))
    note = f"{len(failed)} failed: {failed[0]}" if failed else ""
    return spread_row("cold start", name, values, "ms", digits=0, note=note)


def _ratio(
    name: str, kit: list[Probe], other: list[Probe], who: str, target: float | None = None
) -> Row:
    """Per-round ratios; any failed run, or a stalled round of ``who``, prints none."""
    failed = [f"kit: {why}" for why in _failures(kit)]
    failed += [f"{who}: {why}" for why in _failures(other)]
    if failed:
        return ratio_row("cold start", name, [], [], Health(tuple(failed)), target=target)
    kit_ms, other_ms = [r["total_ms"] for r in kit], [r["total_ms"] for r in other]
    health = rounds_health(who, other_ms)
    return ratio_row("cold start", name, kit_ms, other_ms, health, target=target)


def _failures(runs: list[Probe]) -> list[str]:
    return [str(run["failed"]) for run in runs if "failed" in run]


def _configured_env(lambda_env: dict[str, str], slug: str) -> dict[str, str]:
    """``lambda_env`` for the fixture customer ``slug``: its package root first on the path."""
    return {
        **lambda_env,
        "PIVOTKIT_CUSTOMER": slug,
        "PIVOTKIT_TOKENS": json.dumps({slug: ["T"]}),
        "POWERTOOLS_SERVICE_NAME": f"pivotkit-{slug}",
        "PYTHONPATH": os.pathsep.join([str(CONFIGURED_ROOT), lambda_env["PYTHONPATH"]]),
    }


def _first_event(slug: str) -> str:
    url = f"https://bench.example/pivot/{slug}?token=T"
    return json.dumps(http_v2_event(pivot_http_request(_call(f"first-{slug}"), url)))


def _call(name: str) -> KazooCall:
    return KazooCall(account_id=ACCOUNT, call_id=f"cold-{name}-{time.monotonic_ns()}@10.0.0.5")


def _continuations(env: dict[str, str], count: int) -> list[str]:
    """Events for the right-PIN step of ``count`` calls whose record exists (first request,
    then a wrong PIN), prepared with the kit's own handler in this process."""
    from pivotkit.aws.clients import reset_clients
    from pivotkit.aws.lambda_entry import make_pivot_handler

    events = []
    with applied_environment(env):  # boto3 reads the embedded AWS's endpoint from os.environ
        reset_clients()
        handler = make_pivot_handler(env)
        for index in range(count):
            call, url = _call(f"c{index}"), FIRST_URL
            call, url = _follow(call, _answer(handler, call, url), "0000")  # creates the record
            call, url = _follow(call, _answer(handler, call, url), "1234")  # measured cold
            events.append(json.dumps(http_v2_event(pivot_http_request(call, url))))
        reset_clients()
    return events


def _follow(call: KazooCall, answer: Any, digits: str) -> tuple[KazooCall, str]:
    """The call with ``digits`` collected, and the URL the answer's pivot node names."""
    collect = find_module(answer, "collect_dtmf")["data"]["collection_name"]
    return call.with_digits(collect, digits), find_module(answer, "pivot")["data"]["voice_url"]


def _answer(handler: Callable[..., dict[str, Any]], call: KazooCall, url: str) -> Any:
    result = handler(http_v2_event(pivot_http_request(call, url)), None)
    assert result["statusCode"] == 200, result
    return json.loads(result["body"])


def _probe(module: str, event: str, env: dict[str, str]) -> Probe:
    out = subprocess.run(
        [sys.executable, "-c", PROBE, module],
        input=event,
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    if out.returncode != 0:
        # The exception's last line names the failure (an SDK timeout on a loaded moto,
        # an answer that was not 200); the answer itself is not echoed into the report.
        last = (out.stderr.strip().splitlines() or ["no output"])[-1]
        return {"failed": last.split(":", 1)[0][:80]}
    parsed: Probe = json.loads(out.stdout.strip().splitlines()[-1])
    return parsed


def _imported_anywhere(
    module: str, env: dict[str, str], names: tuple[str, ...]
) -> list[tuple[str, int]]:
    """The cumulative import time of each of ``names`` (at whatever depth it was first
    imported) when ``module`` is imported; a name not imported at all is left out."""
    out = subprocess.run(
        [sys.executable, "-X", "importtime", "-c", f"import {module}"],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    )
    found: dict[str, int] = {}
    for line in out.stderr.splitlines():
        match = re.match(r"import time:\s+\d+ \|\s+(\d+) \| *(\S+)", line)
        if match and match.group(2) in names:
            found.setdefault(match.group(2), int(match.group(1)))
    return [(name, found[name]) for name in names if name in found]


def _importtime(module: str, env: dict[str, str]) -> list[tuple[str, int]]:
    """The entry point's cumulative import time and its heaviest top-level imports."""
    out = subprocess.run(
        [sys.executable, "-X", "importtime", "-c", f"import {module}"],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    )
    top: dict[str, int] = {}
    for line in out.stderr.splitlines():
        match = re.match(r"import time:\s+\d+ \|\s+(\d+) \|( *)(\S+)", line)
        if match and len(match.group(2)) <= 1:  # top-level imports only
            top[match.group(3)] = int(match.group(1))
    wanted = [module, "pydantic", "aws_lambda_powertools", "boto3", "botocore", "pivotkit"]
    return [(name, top[name]) for name in wanted if name in top]
