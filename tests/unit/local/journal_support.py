"""Journaled calls for the `calls show`/`calls pull` tests: a small flow walked by the virtual
Kazoo through the engine in memory, with the call journal writing its lines to a list."""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Mapping
from typing import Any

from pivotkit import Call, Customer, Flow, Node, hangup, tts, user
from pivotkit.app import Outcome, PivotApp
from pivotkit.customers import StaticTokens
from pivotkit.http import from_lambda_event
from pivotkit.journal import CallJournal, is_journal_line
from pivotkit.local.kazoo_encoding import KazooHttpRequest
from pivotkit.local.replaying import Replayed, golden_body
from pivotkit.local.simulator import Caller, PivotTarget, Script, WireAnswer, simulate
from pivotkit.local.tokens import local_token
from pivotkit.redaction import Redactor
from pivotkit.state import InMemoryStateStore

SLUG = "journaled"
TOKEN = local_token(SLUG)
SUPPORT = "5e" * 16
URL = f"https://pivot.example.com/pivot/{SLUG}?token={TOKEN}"


def journaled_customer(
    greeting: str = "Press 1 for support, 2 to break, 4 for your PIN.",
) -> Customer:
    flow = Flow()

    @flow.step()
    def start(call: Call) -> Node:
        return call.gather("menu", prompt=tts(greeting))

    @flow.step()
    def menu(call: Call) -> Node:
        if call.digits == "1":
            return tts("Connecting you to support.").then(user(SUPPORT, timeout=20))
        if call.digits == "2":
            raise RuntimeError("a deliberate failure")
        if call.digits == "4":
            return call.gather("pin", prompt=tts("Enter your PIN."), max_digits=4)
        return tts("Goodbye.").then(hangup())

    @flow.step()
    def pin(call: Call) -> Node:
        call.state["pin_length"] = len(call.digits or "")
        return tts("Thank you.").then(hangup())

    return Customer(slug=SLUG, flow=flow, fallback_message="Sorry, something broke.")


def _mask(value: str | None, is_number: bool) -> str | None:
    return None if value is None else value[:4] + "***"


class Engine:
    """One in-memory engine for a customer (token ``local-<slug>``), journaling every
    request to ``lines`` and to ``sink`` when given (a file's write, as a log would)."""

    def __init__(self, customer: Customer, sink: Callable[[str], object] | None = None) -> None:
        self.customer = customer
        self.token = local_token(customer.slug)
        self.lines: list[str] = []
        self._sink = sink

        def write(line: str) -> None:
            self.lines.append(line)
            if self._sink is not None:
                self._sink(line + "\n")

        self.journal = CallJournal(write, Redactor([self.token]), _mask)
        self.app = PivotApp(
            {customer.slug: customer},
            InMemoryStateStore(),
            StaticTokens({customer.slug: [self.token]}),
            observers=(self._observe,),
        )

    def _observe(self, outcome: Outcome) -> None:
        self.journal.observe(outcome, self.customer)

    def send(self, request: KazooHttpRequest, timeout_s: float) -> WireAnswer:
        started = time.perf_counter()
        response = self.app.handle(request.as_http_request())
        headers = {name.lower(): value for name, value in response.headers.items()}
        elapsed = (time.perf_counter() - started) * 1000
        return WireAnswer(response.status, headers, response.body, elapsed)

    def url(self, token: str | None = None) -> str:
        slug = self.customer.slug
        return f"https://pivot.example.com/pivot/{slug}?token={token or self.token}"

    def call(self, call_id: str, digits: str, *, url: str | None = None) -> None:
        caller = Caller(number="+14155550123", name="Pat Caller", call_id=call_id)
        simulate(self, PivotTarget(url or self.url()), caller, Script.parse(digits))

    def entries(self, call_id: str | None = None) -> list[dict[str, Any]]:
        found = [e for e in map(is_journal_line, self.lines) if e is not None]
        return [e for e in found if call_id is None or e.get("call_id") == call_id]

    def replay(self, event: Mapping[str, Any]) -> dict[str, Any]:
        """``event`` answered by this engine, as a golden keeps it."""
        response = self.app.handle(from_lambda_event(dict(event)))
        body = golden_body(response.headers.get("Content-Type", ""), response.body)
        return Replayed(response.status, body).golden()


def journal_file_text(entries: list[dict[str, Any]]) -> str:
    return "".join(json.dumps(e) + "\n" for e in entries)
