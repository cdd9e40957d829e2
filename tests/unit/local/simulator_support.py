"""Canned answers for the simulator's tests: build callflows, answer by step, record."""

from __future__ import annotations

import itertools
import json
from collections.abc import Callable, Mapping
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from pivotkit.local.kazoo_encoding import KazooHttpRequest
from pivotkit.local.simulator import WireAnswer
from pivotkit.request import parse_params

BASE = "https://pivot.example.com/pivot/acme"
START = f"{BASE}?token=T0K3N"

Answer = WireAnswer | Exception | Mapping[str, Any]


def node(module: str, data: Mapping[str, Any] | None = None, **children: Any) -> dict[str, Any]:
    """A callflow node; children by keyword, ``k_`` prefixing keys that are not names
    (``k__`` is ``"_"``, ``k_1`` is ``"1"``)."""
    built: dict[str, Any] = {"module": module, "data": dict(data or {})}
    if children:
        built["children"] = {k.removeprefix("k_"): v for k, v in children.items()}
    return built


def chain(*nodes: dict[str, Any]) -> dict[str, Any]:
    """Link nodes through their "_" children, first to last."""
    for parent, child in itertools.pairwise(nodes):
        parent.setdefault("children", {})["_"] = child
    return nodes[0]


def pivot_to(
    step: str, *, method: str = "get", body_format: str | None = None, **kw: Any
) -> dict[str, Any]:
    data: dict[str, Any] = {"voice_url": f"{BASE}?token=T0K3N&step={step}", "method": method}
    if body_format:
        data["req_body_format"] = body_format
    return node("pivot", data, **kw)


class CannedKazooServer:
    """Answers by the ``step`` query parameter; records every request as sent."""

    def __init__(self, answers: Mapping[str, Answer | Callable[[KazooHttpRequest], Answer]]):
        self.answers = answers
        self.requests: list[KazooHttpRequest] = []

    def send(self, request: KazooHttpRequest, timeout_s: float) -> WireAnswer:
        self.requests.append(request)
        step = dict(parse_qsl(urlsplit(request.url).query)).get("step", "start")
        answer = self.answers[step]
        if callable(answer):
            answer = answer(request)
        if isinstance(answer, Exception):
            raise answer
        if isinstance(answer, WireAnswer):
            return answer
        body = json.dumps(answer).encode()
        return WireAnswer(200, {"content-type": "application/json"}, body, 1.0)

    def params(self, index: int) -> dict[str, Any]:
        """Kazoo's parameters of request ``index``, decoded as pivotkit decodes them."""
        request = self.requests[index]
        if request.method == "GET":
            return parse_params(urlsplit(request.url).query)
        if request.header("content-type") == "application/json":
            return dict(json.loads(request.body))
        return parse_params(request.body.decode())


def status(code: int, body: bytes = b'{"error":"x"}') -> WireAnswer:
    return WireAnswer(code, {"content-type": "application/json"}, body, 2.0)
