"""What happened on a journaled call, told from its journal entries (``pivotkit calls show``).

The journal keeps each answer a call got, not what Kazoo did with it. To tell what the caller
heard, pressed and where the call went, the answers are walked again by the virtual Kazoo
(``pivotkit.local.simulator``), the walk ``pivotkit call`` makes: a transport hands it the
journaled answers in turn, and each ``collect_dtmf`` takes what the call's later requests
say was collected (``Digits[...]``, masked where the customer's policy masked it). So the
narrative and the Mermaid diagram (``pivotkit.local.diagram``) are those of ``pivotkit
call``, with three limits the journal sets:

- a bridge's outcome is not journaled (Pivot never learns it): the walk stops at the first
  bridge and says so; how the call ended comes from ``call_end`` (Kazoo's webhooks);
- branches Kazoo chooses itself (menus, ``check_cid``) take the simulator's defaults;
- the walk ends where the journal does: no further request means the caller hung up, or
  Kazoo never reached us again.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from pivotkit.journal import KIND_CALL_END, KIND_REQUEST, is_withheld
from pivotkit.local.diagram import markdown
from pivotkit.local.kazoo_encoding import KazooHttpRequest
from pivotkit.local.simulator import (
    ANSWERED,
    Caller,
    DigitWait,
    Limits,
    PivotTarget,
    Script,
    Simulation,
    WireAnswer,
)
from pivotkit.local.transcript import Event, Transcript, render_event

# Where a journal line that predates ``route`` says the first request went.
UNKNOWN_BASE = "https://journal.invalid"


@dataclass
class CallStory:
    """One call as its journal tells it: the walk, the requests it used and how it ended."""

    customer: str
    call_id: str
    entries: list[dict[str, Any]]
    transcript: Transcript
    walked: list[dict[str, Any]] = field(default_factory=list)
    unwalked: list[dict[str, Any]] = field(default_factory=list)
    ended: dict[str, Any] | None = None

    @property
    def requests(self) -> list[dict[str, Any]]:
        return [e for e in self.entries if e.get("kind") == KIND_REQUEST]

    @property
    def heard(self) -> list[str]:
        return self.transcript.heard

    @property
    def pressed(self) -> list[tuple[str, str]]:
        """``(collection, digits as journaled)`` for each collect the walk ran."""
        return [
            (str(e.detail.get("collection", "")), str(e.detail.get("digits", "")))
            for e in self.transcript.events
            if e.kind == "collect"
        ]


class _JournalEnds(Exception):
    """The walk reached a request the journal does not hold (or cannot replay)."""


class _JournalTransport:
    """Answers the simulator's requests with the journaled answers, in order."""

    def __init__(self, requests: Iterable[dict[str, Any]]) -> None:
        self.pending = list(requests)
        self.walked: list[dict[str, Any]] = []

    def send(self, request: KazooHttpRequest, timeout_s: float) -> WireAnswer:
        if not self.pending:
            raise _JournalEnds("no further request in the journal")
        entry = self.pending.pop(0)
        self.walked.append(entry)
        status = int(entry.get("status") or 0)
        answer = entry.get("answer")
        if status == 200 and not isinstance(answer, Mapping):
            raise _JournalEnds("the journal kept no callflow for this answer (too large)")
        body = json.dumps(answer).encode("utf-8")
        headers = {"content-type": "application/json"}
        return WireAnswer(status, headers, body, float(entry.get("duration_ms") or 0.0))


class _JournalScript(Script):
    """The caller presses what the journal says was collected, by collection name."""

    def __init__(self, collected: Mapping[str, str]) -> None:
        super().__init__()
        self.collected = dict(collected)

    def next_digits(self, question: str, wait: DigitWait | None = None) -> str | None:
        name = wait.collection if wait is not None else ""
        value = self.collected.get(name)
        if value is None:
            return None  # no later request carries it: the caller hung up here
        return "" if is_withheld(value) else value

    def next_bridge(self, target: str = "") -> str:
        return ANSWERED  # not journaled: the walk stops at the bridge (told as such)


def collected_digits(requests: Iterable[Mapping[str, Any]]) -> dict[str, str]:
    """Every collection's digits as the journal has them (``Digits[...]`` of the requests
    that carried them, else the entry's own ``digits`` for its ``g``)."""
    found: dict[str, str] = {}
    for entry in requests:
        params = entry.get("params")
        digits = params.get("Digits") if isinstance(params, Mapping) else None
        if isinstance(digits, Mapping):
            for name, value in digits.items():
                found.setdefault(str(name), str(value))
        route = entry.get("route")
        continuation = route.get("continuation") if isinstance(route, Mapping) else None
        name = continuation.get("g") if isinstance(continuation, Mapping) else None
        if isinstance(name, str) and name not in found:
            if "digits" in entry:
                found[name] = str(entry["digits"])
            elif "digits_length" in entry:
                found[name] = f"***({entry['digits_length']})"
    return found


def tell(entries: Iterable[dict[str, Any]]) -> CallStory:
    """The story of one call's journal entries (one customer, one Call-ID)."""
    ordered = sorted(entries, key=lambda e: float(e.get("at") or 0))
    if not ordered:
        raise ValueError("no journal entries")
    first = ordered[0]
    requests = [e for e in ordered if e.get("kind") == KIND_REQUEST]
    ended = next((e for e in ordered if e.get("kind") == KIND_CALL_END), None)
    customer, call_id = str(first.get("customer")), str(first.get("call_id"))
    collected = collected_digits(requests)
    transport = _JournalTransport(requests)
    simulation = Simulation(
        transport,
        _target(requests[0] if requests else None, customer),
        _caller(requests, call_id),
        _JournalScript(collected),
        limits=Limits(max_requests=len(requests) + 1, max_steps=100_000),
    )
    transcript = simulation.transcript
    try:
        simulation.run()
    except _JournalEnds as stop:
        if transcript.events and transcript.events[-1].kind == "request":
            transcript.events.pop()  # the request the journal does not hold was not sent
            transcript.requests -= 1
        transcript.end("caller_hangup", f"the journal ends: {stop}")
    first_failed = len(transport.walked) == 1 and transport.walked[0].get("status") != 200
    _as_journaled(transcript, collected, ended, first_failed=first_failed)
    return CallStory(
        customer, call_id, ordered, transcript, transport.walked, transport.pending, ended
    )


def _target(entry: Mapping[str, Any] | None, customer: str) -> PivotTarget:
    route = entry.get("route") if entry is not None else None
    route = route if isinstance(route, Mapping) else {}
    base = str(route.get("base_url") or UNKNOWN_BASE)
    if not base.startswith(("http://", "https://")):
        base = UNKNOWN_BASE
    path = str(route.get("path") or f"/pivot/{customer}")
    method = str(route.get("method") or "GET").lower()
    body_format = "json" if "json" in str(route.get("content_type") or "") else "form"
    return PivotTarget(f"{base}{path}?token=***", method=method, req_body_format=body_format)


def _caller(requests: list[dict[str, Any]], call_id: str) -> Caller:
    first = requests[0] if requests else {}
    params = first.get("params")
    params = params if isinstance(params, Mapping) else {}
    return Caller(
        number=str(first.get("caller_id_number") or "unknown"),
        name=str(first.get("caller_id_name") or ""),
        dialled=str(params.get("To") or params.get("Request") or "?"),
        call_id=call_id,
    )


def _as_journaled(
    transcript: Transcript,
    collected: Mapping[str, str],
    ended: Mapping[str, Any] | None,
    *,
    first_failed: bool = False,
) -> None:
    """Events the walk could not know, told as the journal has them: masked digits as
    masked, bridges as tried, the end as ``call_end`` reports it; when the first request
    failed, Kazoo went on with the callflow's own pivot node, which the journal never saw."""
    events: list[Event] = []
    for walked in transcript.events:
        detail = dict(walked.detail)
        told = walked
        if walked.kind == "collect":
            name = str(detail.get("collection", ""))
            value = collected.get(name, str(detail.get("digits", "")))
            detail.update(digits=value, pressed=value)
            shown = value if value else "nothing (timeout)"
            told = Event("collect", f"{name}: {shown}", walked.module, detail)
        elif walked.kind == "bridge" and detail.get("outcome") == ANSWERED:
            detail["outcome"] = "outcome not journaled"
            text = f"{detail.get('target', '')}: tried (Pivot never learns whether it answered)"
            told = Event("bridge", text, walked.module, detail)
        elif walked.kind == "end":
            reason = walked.text
            if first_failed and transcript.ending == "failed":
                reason = (
                    "the first request failed: Kazoo runs the '_' child of the callflow's"
                    " pivot node, if it has one (not in the journal)"
                )
            if transcript.ending == "bridged":
                reason = f"{reason}, as far as the journal shows"
            if ended is not None:
                reason = f"{reason}; {ending_text(ended)}"
            transcript.reason = reason
            told = Event("end", reason, walked.module, detail)
        events.append(told)
    transcript.events[:] = events


def ending_text(entry: Mapping[str, Any]) -> str:
    """``ended NORMAL_CLEARING after 42 s (hung up by caller) at 2026-...``."""
    parts = [f"ended {entry.get('hangup_cause') or 'without a cause'}"]
    if entry.get("duration_seconds") is not None:
        parts.append(f"after {entry['duration_seconds']} s")
    if entry.get("hangup_by"):
        parts.append(f"(hung up by {entry['hangup_by']})")
    parts.append(f"at {_when(entry.get('at'))}")
    return " ".join(parts)


def render(story: CallStory) -> str:
    """The narrative: a header, what was heard and pressed, where the call went, each
    request and answer with its step, state version, status and timings, how it ended, and
    the Mermaid diagram ``pivotkit call`` draws."""
    first = story.entries[0]
    transcript = story.transcript
    pressed = ", ".join(f"{name}={digits or 'nothing'}" for name, digits in story.pressed)
    ended = "no call_end in the journal (are Kazoo's webhooks set up?)"
    if story.ended is not None:
        ended = ending_text(story.ended)
    lines = [
        f"call {story.call_id} ({story.customer}) from {transcript.caller}",
        f"  first request {_when(first.get('at'))}, {len(story.requests)} request(s) journaled",
        "",
        "heard:   " + (" | ".join(story.heard) or "nothing"),
        "pressed: " + (pressed or "nothing"),
        f"went:    {transcript.reason or transcript.ending or 'unknown'}",
        f"ended:   {ended}",
        "",
    ]
    walked = iter(story.walked)
    for event in transcript.events:
        if event.kind == "request":
            entry = next(walked, None)
            lines.append(_request_line(entry) if entry is not None else f"-> {event.text}")
            continue
        if event.kind == "answer" and event.detail.get("status") != 200:
            continue  # the request line says it, with the error code
        line = render_event(event)
        if line is not None:
            lines.append(line)
    for entry in story.unwalked:
        lines.append(f"   (also journaled, not on the walked path) {_request_line(entry)[3:]}")
    lines.extend(["", markdown(transcript).rstrip("\n")])
    return "\n".join(lines) + "\n"


def _request_line(entry: Mapping[str, Any]) -> str:
    route = entry.get("route")
    route = route if isinstance(route, Mapping) else {}
    how = f"{route.get('method', '?')} {route.get('path', '')}".strip()
    status = entry.get("status")
    answered = f"{status}" + (f" {entry['error']}" if entry.get("error") else "")
    timing = f"{float(entry.get('duration_ms') or 0):.1f} ms"
    reads, writes = entry.get("state_reads", 0), entry.get("state_writes", 0)
    notes = [f"state {reads} read(s), {writes} write(s)"]
    if entry.get("replayed"):
        notes.append("replayed the stored answer")
    if entry.get("previous_step_ms") is not None:
        notes.append(f"{entry['previous_step_ms']} ms in {entry.get('previous_step')}")
    return (
        f"-> step {_shown(entry.get('step'))} (hop {_shown(entry.get('hop'))}, state version"
        f" {_shown(entry.get('seq'))}) {how} at {_when(entry.get('at'))}: {answered} in {timing}"
        f" ({'; '.join(notes)})"
    )


def _shown(value: object) -> str:
    return "-" if value is None else str(value)


def _when(at: object) -> str:
    try:
        moment = float(at)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return "?"
    millis = int(moment * 1000) % 1000
    return time.strftime("%Y-%m-%d %H:%M:%S", time.gmtime(moment)) + f".{millis:03d}Z"
