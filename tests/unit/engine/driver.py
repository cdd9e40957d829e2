"""A minimal Kazoo for engine tests: send a pivot request, follow the answer's pivot node."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from pivotkit.app import PivotApp
from pivotkit.http import HttpRequest, HttpResponse
from pivotkit.local.kazoo_encoding import KazooCall, pivot_http_request

ACCOUNT_ID = "3a1f0e2d4c5b6a7980f1e2d3c4b5a697"
BASE_URL = "https://pivot.example.com"


def to_http(
    kazoo_call: KazooCall, voice_url: str, method: str = "get", body_format: str = "form"
) -> HttpRequest:
    wire = pivot_http_request(kazoo_call, voice_url, method=method, req_body_format=body_format)
    return wire.as_http_request(BASE_URL)


def find_module(tree: dict[str, Any], module: str) -> dict[str, Any] | None:
    """The first node of ``module`` along the tree, depth first."""
    if tree["module"] == module:
        return tree
    for child in tree.get("children", {}).values():
        found = find_module(child, module)
        if found is not None:
            return found
    return None


@dataclass
class Caller:
    """One call: remembers Kazoo's accumulated DTMF collections, follows pivot nodes."""

    app: PivotApp
    call: KazooCall
    answers: list[HttpResponse] = field(default_factory=list)
    voice_url: str = ""

    def first(self, url: str) -> HttpResponse:
        return self._send(url)

    def press(self, digits: str) -> HttpResponse:
        """Kazoo ran the collect_dtmf of the last answer (with ``digits``) and its pivot."""
        tree = self.last_tree()
        collect = find_module(tree, "collect_dtmf")
        pivot = find_module(tree, "pivot")
        assert collect is not None and pivot is not None, "the last answer asked for no digits"
        self.call = self.call.with_digits(collect["data"]["collection_name"], digits)
        return self._send(pivot["data"]["voice_url"])

    def last_tree(self) -> dict[str, Any]:
        parsed: dict[str, Any] = json.loads(self.answers[-1].body)
        return parsed

    def _send(self, url: str) -> HttpResponse:
        self.voice_url = url
        response = self.app.handle(to_http(self.call, url))
        self.answers.append(response)
        return response
