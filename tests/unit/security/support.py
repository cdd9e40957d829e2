"""Shared by the observability, security, fuzz and fault tests: a probe customer, its
tokens, Lambda invocations as Kazoo makes them, and what a handler wrote to stdout.

The probe customer is built in code (not discovered) and handed to ``make_pivot_handler``,
so tests control its steps: a stateful gather chain, a step that logs, a step that speaks
request input back, one that raises with its own continuation URL in the message (a token
leak waiting to happen), and a gated twin that admits one Kazoo account.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

import pytest

from pivotkit import Call, Customer, Flow, Node, hangup, tts
from pivotkit.aws.lambda_entry import make_pivot_handler
from pivotkit.local.events import lambda_event
from pivotkit.local.kazoo_encoding import KazooCall, pivot_http_request

ACCOUNT_ID = "3a1f0e2d4c5b6a7980f1e2d3c4b5a697"
OTHER_ACCOUNT_ID = "9b8a7c6d5e4f30211203f4e5d6c7b8a9"
TOKEN = "probe-current-7f3a9c2e51"
NEXT_TOKEN = "probe-next-b81d4e6f09"
BASE_URL = "https://pivot.example.com"
FIRST_URL = f"{BASE_URL}/pivot/probe?token={TOKEN}"

probe_log = logging.getLogger("customers.probe")


def _probe_flow() -> Flow:
    flow = Flow(track_path=True)

    @flow.step()
    def start(call: Call) -> Node:
        call.state["visits"] = int(call.state.get("visits", 0)) + 1
        return call.gather("menu", prompt=tts("Press 1 for sales, 2 for support."))

    @flow.step()
    def menu(call: Call) -> Node:
        probe_log.warning("caller chose %s", call.digits)
        call.state["choice"] = call.digits
        return call.gather("pin", prompt=tts("Enter your PIN."), max_digits=4)

    @flow.step()
    def pin(call: Call) -> Node:
        call.state["pin_length"] = len(call.digits or "")
        return tts("Thank you. Goodbye.").then(hangup())

    @flow.step()
    def echo(call: Call) -> Node:
        """Speaks request input back: caller name, a custom variable, the digits."""
        name = call.request.caller_id_name or "caller"
        note = call.vars.get("note", "")
        return tts(f"Hello {name}. Your note: {note}. You pressed {call.digits}.").then(hangup())

    @flow.step()
    def broken(call: Call) -> Node:
        raise RuntimeError(f"could not continue at {call.url('start')}")

    return flow


PROBE_FLOW = _probe_flow()
PROBE = Customer(slug="probe", flow=PROBE_FLOW)
GATED = Customer(slug="gated", flow=PROBE_FLOW, allowed_account_ids=frozenset({ACCOUNT_ID}))
CUSTOMERS: dict[str, Customer] = {"probe": PROBE, "gated": GATED}
TOKENS = {"probe": [TOKEN, NEXT_TOKEN], "gated": [TOKEN]}


def environ(**settings: str) -> dict[str, str]:
    """Handler settings: static tokens for both customers, observability on."""
    return {
        "PIVOTKIT_TOKENS": json.dumps(TOKENS),
        "PIVOTKIT_OBSERVABILITY": "on",
        "POWERTOOLS_SERVICE_NAME": "pivotkit-test",
        **settings,
    }


def kazoo_call(call_id: str = "probe-call@10.0.0.5", **fields: Any) -> KazooCall:
    return KazooCall(account_id=fields.pop("account_id", ACCOUNT_ID), call_id=call_id, **fields)


def invoke(
    handler: Any,
    call: KazooCall,
    url: str,
    *,
    method: str = "get",
    body_format: str = "form",
    shape: str = "v2",
) -> dict[str, Any]:
    """Send what Kazoo sends for ``call`` to ``url``, as the Lambda event ``shape``."""
    request = pivot_http_request(call, url, method=method, req_body_format=body_format)
    result: dict[str, Any] = handler(lambda_event(request, shape), None)  # type: ignore[arg-type]
    return result


def find(tree: Mapping[str, Any], module: str) -> Mapping[str, Any] | None:
    """The first node of ``module`` in a callflow tree, depth first."""
    if tree.get("module") == module:
        return tree
    for child in tree.get("children", {}).values():
        found = find(child, module)
        if found is not None:
            return found
    return None


def next_request(result: Mapping[str, Any]) -> tuple[str, str]:
    """(collection name, voice_url) of an answer's collect_dtmf and pivot."""
    tree = json.loads(result["body"])
    collect, pivot = find(tree, "collect_dtmf"), find(tree, "pivot")
    assert collect is not None and pivot is not None, tree
    return collect["data"]["collection_name"], pivot["data"]["voice_url"]


@dataclass
class Emitted:
    """What a handler wrote to stdout: JSON log lines and EMF metric documents."""

    text: str
    logs: list[dict[str, Any]] = field(default_factory=list)
    metrics: list[dict[str, Any]] = field(default_factory=list)
    journal: list[dict[str, Any]] = field(default_factory=list)

    @classmethod
    def parse(cls, text: str) -> Emitted:
        emitted = cls(text)
        for line in text.splitlines():
            if not line.strip():
                continue
            document = json.loads(line)  # every line is JSON, or this fails the test
            if "pivotkit_journal" in document:
                emitted.journal.append(document)
                continue
            (emitted.metrics if "_aws" in document else emitted.logs).append(document)
        return emitted

    def requests(self) -> list[dict[str, Any]]:
        return [line for line in self.logs if line["message"] == "pivot request"]

    def metric(self, name: str, **dimensions: str) -> list[float]:
        """Every value of metric ``name`` in documents whose dimensions include these."""
        values: list[float] = []
        for document in self.metrics:
            if name in document and all(document.get(k) == v for k, v in dimensions.items()):
                values.extend(document[name])
        return values


def read(capsys: pytest.CaptureFixture[str]) -> Emitted:
    return Emitted.parse(capsys.readouterr().out)


_KIT_LOGGERS = ("pivotkit", "customers", "examples")


@pytest.fixture
def restored_logging() -> Iterator[None]:
    """Observability reconfigures the kit's loggers for the process (as in Lambda);
    put them back so later tests see the logging they expect."""
    saved = {}
    for name in _KIT_LOGGERS:
        logger = logging.getLogger(name)
        saved[name] = (list(logger.handlers), logger.propagate, logger.level)
    yield
    for name, (handlers, propagate, level) in saved.items():
        logger = logging.getLogger(name)
        logger.handlers, logger.propagate = handlers, propagate
        logger.setLevel(level)


Build = Callable[..., Any]


@pytest.fixture
def build(restored_logging: None) -> Build:
    """Builds the Pivot handler of ``CUSTOMERS`` as Lambda does, on ``state`` (default: the
    configured store) with ``environ(**settings)``."""

    def make(state: Any = None, **settings: str) -> Any:
        return make_pivot_handler(environ(**settings), customers=CUSTOMERS, state=state)

    return make
