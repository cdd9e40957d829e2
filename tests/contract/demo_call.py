"""The demo customer (welcome, PIN, menu; its state in DynamoDB) and a Kazoo that places one
of its calls against a PivotApp, counting the SDK calls each request makes."""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass, field
from typing import Any

from pivotkit import Call, Customer, Flow, Node, tts
from pivotkit.app import Outcome, PivotApp
from pivotkit.aws.dynamodb_state import DynamoDBStateStore
from pivotkit.http import HttpRequest, HttpResponse
from pivotkit.local.kazoo_encoding import KazooCall, pivot_http_request
from pivotkit.state import CallKey, CallRecord
from tests.contract.moto_support import CallCounter

BASE_URL = "https://pivot.example.com"
TOKEN = "demo-token"
ACCOUNT_ID = "3a1f0e2d4c5b6a7980f1e2d3c4b5a697"
FIRST_URL = f"{BASE_URL}/pivot/demo?token={TOKEN}"
TTL_SECONDS = 600

flow = Flow()


@flow.step()
def start(call: Call) -> Node:
    return call.gather("hello", prompt=tts("Welcome. Press any key."), max_digits=1)


@flow.step()
def hello(call: Call) -> Node:
    # Stateless: the caller's key press picks nothing that must be remembered.
    return call.gather("pin", prompt=tts("Enter your PIN."), max_digits=4)


@flow.step()
def pin(call: Call) -> Node:
    call.state["tries"] = call.state.get("tries", 0) + 1
    if call.digits == "1234":
        return call.gather("menu", prompt=tts("1 for sales, 2 for support."), max_digits=1)
    return call.gather("pin", prompt=tts(f"Wrong PIN, try {call.state['tries'] + 1}."))


# Set by the concurrency test: holds the menu step until both racing requests run it.
menu_gate: list[threading.Barrier] = []


@flow.step()
def menu(call: Call) -> Node:
    for gate in menu_gate:
        gate.wait(timeout=10)
    call.state["choices"] = [*call.state.get("choices", []), call.digits]
    return call.gather("menu", prompt=tts(f"You chose {call.digits}. Again?"), max_digits=1)


customer = Customer(slug="demo", flow=flow, state_ttl_seconds=TTL_SECONDS)


class Clock:
    def __init__(self) -> None:
        self.now = 1_800_000_000.0

    def __call__(self) -> float:
        return self.now


@dataclass
class Exchange:
    url: str
    request: HttpRequest
    response: HttpResponse
    calls: dict[str, int]
    outcome: Outcome

    @property
    def tree(self) -> dict[str, Any]:
        parsed: dict[str, Any] = json.loads(self.response.body)
        return parsed


@dataclass
class Kazoo:
    """One call as Kazoo runs it: remembers the collections and follows pivot nodes."""

    app: PivotApp
    store: DynamoDBStateStore
    counter: CallCounter
    outcomes: list[Outcome]
    call: KazooCall = field(
        default_factory=lambda: KazooCall(account_id=ACCOUNT_ID, call_id="c1@10.0.0.5")
    )
    log: list[Exchange] = field(default_factory=list)

    @property
    def key(self) -> CallKey:
        return CallKey("demo", ACCOUNT_ID, self.call.call_id)

    def send(self, url: str) -> Exchange:
        request = to_http(self.call, url)
        self.counter.reset()
        response = self.app.handle(request)
        exchange = Exchange(url, request, response, self.counter.snapshot(), self.outcomes[-1])
        self.log.append(exchange)
        return exchange

    def press(self, digits: str) -> Exchange:
        """Kazoo ran the last answer's collect_dtmf (the caller pressed ``digits``), then
        its nested pivot: request that pivot's voice_url."""
        tree = self.log[-1].tree
        collect, continuation = find(tree, "collect_dtmf"), find(tree, "pivot")
        self.call = self.call.with_digits(collect["data"]["collection_name"], digits)
        return self.send(continuation["data"]["voice_url"])

    def stored(self) -> CallRecord | None:
        return self.store.load(self.key, now=self.app.clock())


def to_http(call: KazooCall, voice_url: str) -> HttpRequest:
    """Kazoo's GET for ``voice_url``, as the HTTP edge hands it to the engine."""
    return pivot_http_request(call, voice_url).as_http_request(BASE_URL)


def find(tree: dict[str, Any], module: str) -> dict[str, Any]:
    """The first ``module`` node along ``_`` children (the path Kazoo runs)."""
    node: dict[str, Any] | None = tree
    while node is not None:
        if node["module"] == module:
            return node
        node = node.get("children", {}).get("_")
    raise AssertionError(f"no {module} node on the main path")
