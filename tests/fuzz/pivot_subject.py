"""The Pivot function as Lambda runs it (``make_pivot_handler``, in-memory state, one known
call walked into its menu) and the checks every answer it gives must pass."""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from typing import Any
from urllib.parse import urlsplit

from examples import acme
from pivotkit.app import EngineSettings
from pivotkit.aws.lambda_entry import make_pivot_handler
from pivotkit.local.events import lambda_event
from pivotkit.local.kazoo_encoding import KazooCall, pivot_http_request
from pivotkit.local.schemas import load_schema_sets, validate_callflow
from pivotkit.state import InMemoryStateStore
from tests.fuzz.strategies import (
    ACCOUNT_ID,
    FUZZ_CUSTOMER,
    FUZZ_TOKEN,
    HOST,
    KNOWN_CALL,
    TOKENS,
)

# Time is not what is tested here: on a shared 2-core runner a stall of a few seconds
# would otherwise exhaust the state budget or the step's time limit and turn a good
# request into a 503 (the time budgets have tests of their own). A negative reply margin
# moves the request's deadline two minutes past Kazoo's timeout.
UNHURRIED = EngineSettings(step_time_limit_seconds=None, reply_margin_seconds=-120.0)


class Subject:
    """One handler and its store for a whole test (hypothesis runs many cases per test)."""

    def __init__(self) -> None:
        self.store = InMemoryStateStore()
        self.handler = make_pivot_handler(
            {"PIVOTKIT_TOKENS": json.dumps(TOKENS), "PIVOTKIT_OBSERVABILITY": "off"},
            customers={"fuzz": FUZZ_CUSTOMER, "acme": acme.customer},
            state=self.store,
            engine=UNHURRIED,
        )
        self.schemas = sorted(load_schema_sets())
        self._walk_known_call_into_its_menu()

    def _walk_known_call_into_its_menu(self) -> None:
        url = f"https://{HOST}/pivot/fuzz?token={FUZZ_TOKEN}"
        call = KazooCall(account_id=ACCOUNT_ID, call_id=KNOWN_CALL)
        result = self.handler(lambda_event(pivot_http_request(call, url), "v2"), None)
        assert result["statusCode"] == 200

    def answer(self, event: Any) -> dict[str, Any]:
        before = self.store.records()
        result = self.handler(event, None)
        check_answer(result, self.schemas)
        if result["statusCode"] != 200:
            # A refused request may have tried a conditional write that lost; none landed.
            assert self.store.records() == before
        return result


def check_answer(result: Mapping[str, Any], schemas: list[str]) -> None:
    status = result["statusCode"]
    assert isinstance(status, int) and result["isBase64Encoded"] is False
    assert result["headers"]["Content-Type"] == "application/json"
    body = json.loads(result["body"])
    assert 200 <= status < 500, body  # nothing here is the server's fault
    if status != 200:
        assert set(body) == {"error", "message"}, body
        return
    assert isinstance(body, dict) and isinstance(body.get("module"), str), body
    for url in urls_in(body):
        # Whatever forwarding headers said, Kazoo is sent back to this API only.
        parts = urlsplit(url)
        assert parts.scheme in ("http", "https") and parts.netloc == HOST, url
    if schemas:
        assert validate_callflow(body, schemas) == []


URL_FIELDS = frozenset({"voice_url", "url", "uri"})


def urls_in(tree: Any) -> Iterator[str]:
    """Every URL the answer gives Kazoo (pivot voice_url, recording and webhook URLs)."""
    if isinstance(tree, dict):
        for key, value in tree.items():
            if key in URL_FIELDS and isinstance(value, str):
                yield value
            else:
                yield from urls_in(value)
    elif isinstance(tree, list):
        for item in tree:
            yield from urls_in(item)
