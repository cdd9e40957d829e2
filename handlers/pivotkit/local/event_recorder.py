"""A simulated call saved as replayable Lambda events with goldens (``call --save-events``).

The virtual Kazoo's requests go to the same Lambda handlers ``pivotkit replay`` runs, and
each one becomes the event AWS would deliver (the deployed HTTP API's shape) *before* it is
answered: the answer saved as its golden is the one that very event got, so ``pivotkit
replay DIR`` repeats the call request for request, continuation URLs and stored state
included. Each event carries the time of the clock the call ran on (``call --now``), which
replay answers it at, so answers that depend on the time replay the same. Files are named
``<NN>-<step>.json`` (the first request is ``01-start``) so that replay, which runs a
directory in name order, runs them in the order Kazoo sent them.
"""

from __future__ import annotations

import json
import re
import time
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs

from pivotkit.local.events import EventContext, EventShape, lambda_event
from pivotkit.local.kazoo_encoding import KazooHttpRequest
from pivotkit.local.replaying import GOLDEN_SUFFIX, Replayed, invoke
from pivotkit.local.runtime import LocalRuntime
from pivotkit.local.transports import TransportTimeout, WireAnswer

DEPLOYED_SHAPE: EventShape = "v2"  # the stack's HTTP API (payload format 2.0)
_LABEL = re.compile(r"[^a-z0-9_-]+")


@dataclass(frozen=True)
class RecordedRequest:
    event: Mapping[str, Any]
    answer: Replayed

    @property
    def label(self) -> str:
        """The step the request ran (its continuation URL says), else ``start``."""
        query = self.event.get("rawQueryString") or ""
        step = parse_qs(str(query)).get("step", ["start"])[0]
        return _LABEL.sub("-", step.lower()).strip("-")[:40] or "start"


class EventRecorder:
    """A ``Transport`` into ``runtime``'s handlers that keeps every event and its answer."""

    def __init__(self, runtime: LocalRuntime, shape: EventShape = DEPLOYED_SHAPE) -> None:
        self._runtime = runtime
        self._shape = shape
        self.recorded: list[RecordedRequest] = []

    def send(self, request: KazooHttpRequest, timeout_s: float) -> WireAnswer:
        # Stamped with the runtime's clock: replay answers the event at that time.
        context = EventContext(time=self._runtime.clock.datetime())
        event = lambda_event(request, self._shape, context=context)
        started = time.perf_counter()
        response = invoke(self._runtime, event)
        elapsed = (time.perf_counter() - started) * 1000
        self.recorded.append(RecordedRequest(event, Replayed.of(response)))
        if elapsed > timeout_s * 1000:
            # Kept all the same: replay gives the answer Kazoo would have discarded.
            raise TransportTimeout(f"answered after {elapsed:.0f} ms, over the timeout")
        headers = {name.lower(): value for name, value in response.headers.items()}
        return WireAnswer(response.status, headers, response.body, elapsed)


def save_events(recorded: list[RecordedRequest], directory: Path) -> list[Path]:
    """Write each event and its golden under ``directory``; the event files, in order."""
    directory.mkdir(parents=True, exist_ok=True)
    written: list[Path] = []
    for index, request in enumerate(recorded, start=1):
        path = directory / f"{index:02d}-{request.label}.json"
        golden = path.with_name(path.name.removesuffix(".json") + GOLDEN_SUFFIX)
        path.write_text(_json(request.event), encoding="utf-8")
        golden.write_text(_json(request.answer.golden()), encoding="utf-8")
        written.append(path)
    return written


def existing_events(directory: Path) -> list[Path]:
    """Event files already in ``directory`` (a saved call must not mix with another)."""
    return sorted(directory.glob("*.json")) if directory.is_dir() else []


def _json(document: Any) -> str:
    return json.dumps(document, indent=2, ensure_ascii=False) + "\n"
