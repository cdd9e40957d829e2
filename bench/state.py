"""Stateful steps: per-request time on the in-memory store and on DynamoDB (moto), and the
DynamoDB calls each kind of request makes, counted by botocore's event hooks.

The two stores are measured in interleaved rounds; each figure is the median of the
rounds' medians, with the fastest and slowest round beside it."""

from __future__ import annotations

import json
import os
import time
from collections.abc import Callable

from bench.harness import Row, find_module, median, spread_row
from bench.stats import interleaved
from examples import acme
from pivotkit.app import PivotApp
from pivotkit.customers import StaticTokens
from pivotkit.http import HttpResponse
from pivotkit.local.embedded_aws import in_process_aws
from pivotkit.local.kazoo_encoding import KazooCall, pivot_http_request
from pivotkit.state import InMemoryStateStore, StateStore

ACCOUNT = "3a1f0e2d4c5b6a7980f1e2d3c4b5a697"
BASE = "https://bench.example"
CALLS = 30
ROUNDS = 3  # per pass (`python -m bench` makes two)


class Caller:
    """Follows each answer's pivot node with the digits given, as Kazoo would."""

    def __init__(self, app: PivotApp, call_id: str) -> None:
        self.app = app
        self.call = KazooCall(account_id=ACCOUNT, call_id=call_id)
        self.url = f"{BASE}/pivot/acme?token=T"
        self.last: HttpResponse | None = None

    def send(self, digits: str | None = None) -> HttpResponse:
        if digits is not None and self.last is not None:
            tree = json.loads(self.last.body)
            collect, pivot = find_module(tree, "collect_dtmf"), find_module(tree, "pivot")
            self.call = self.call.with_digits(collect["data"]["collection_name"], digits)
            self.url = pivot["data"]["voice_url"]
        self.last = self.replay()
        assert self.last.status == 200, self.last.body
        return self.last

    def replay(self) -> HttpResponse:
        """The request for the current URL, sent (again) as Kazoo would send it."""
        return self.app.handle(pivot_http_request(self.call, self.url).as_http_request(BASE))


def _timed(action: Callable[[], object]) -> float:
    started = time.perf_counter()
    action()
    return (time.perf_counter() - started) * 1e3


def _step_ms(app: PivotApp, tag: str) -> dict[str, float]:
    """One round on ``app``: median times of a first request (no state I/O), a step that
    reads and writes state (the right PIN) and a step that only reads it (a menu choice)."""
    first, stateful, stateless = [], [], []
    for i in range(CALLS):
        caller = Caller(app, f"bench-{tag}-{i}-{time.monotonic_ns()}@10.0.0.5")
        first.append(_timed(caller.send))
        caller.send("0000")  # creates the record (no read)
        stateful.append(_timed(lambda c=caller: c.send("1234")))  # type: ignore[misc]
        stateless.append(_timed(lambda c=caller: c.send("2")))  # type: ignore[misc]
    return {"first": median(first), "stateful": median(stateful), "stateless": median(stateless)}


KINDS = (
    ("first", "first request (no state I/O)"),
    ("stateful", "stateful step (read + conditional write)"),
    ("stateless", "stateless step (read only)"),
)


def _rows(where: str, rounds: list[dict[str, float]], note: str) -> list[Row]:
    return [
        spread_row(
            "warm request",
            f"{label}, {where}",
            [r[kind] for r in rounds],
            "ms",
            digits=2,
            note=note,
        )
        for kind, label in KINDS
    ]


def run() -> list[Row]:
    import boto3

    from pivotkit.aws.dynamodb_state import DynamoDBStateStore

    with in_process_aws() as settings:
        client = boto3.client("dynamodb", region_name=os.environ["AWS_REGION"])
        table = settings["PIVOTKIT_STATE_TABLE"]
        stores = {
            "memory": _app(InMemoryStateStore()),
            "dynamodb": _app(DynamoDBStateStore(client, table)),
        }
        rounds = interleaved([(name, _round(app, name)) for name, app in stores.items()], ROUNDS)
        note = f"each round the median of {CALLS} calls"
        rows = _rows("in memory", rounds["memory"], note)
        rows += _rows("DynamoDB on moto", rounds["dynamodb"], f"{note}; moto in process")
        calls: list[str] = []
        client.meta.events.register(
            "before-call.dynamodb.*", lambda model, **_: calls.append(model.name)
        )
        caller = Caller(_app(DynamoDBStateStore(client, table)), "count@10.0.0.5")

        def count(label: str, action: Callable[[], object]) -> None:
            calls.clear()
            action()
            gets, puts = calls.count("GetItem"), calls.count("PutItem")
            rows.append(Row("DynamoDB calls", label, f"{gets} GetItem + {puts} PutItem"))

        count("first request (welcome, PIN prompt)", caller.send)
        count("first stateful step (wrong PIN: creates the record)", lambda: caller.send("0000"))
        count("stateful step (right PIN: read, update)", lambda: caller.send("1234"))
        count("stateless step (menu choice 2: read only)", lambda: caller.send("2"))
        count("replayed step (same continuation again)", caller.replay)
    return rows


def _round(app: PivotApp, tag: str) -> Callable[[], dict[str, float]]:
    return lambda: _step_ms(app, tag)


def _app(store: StateStore) -> PivotApp:
    return PivotApp({"acme": acme.customer}, store, StaticTokens({"acme": ["T"]}))
