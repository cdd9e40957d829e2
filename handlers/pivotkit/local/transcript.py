"""What happened on a simulated call: an ordered list of events and how the call ended.

The simulator appends events as it walks; the transcript renders them for people (one line
each, in the order the caller lived them), as JSON for tests and tools, and feeds the
Mermaid diagram. Tokens never appear: URLs are recorded with ``token=***``.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal, TypeAlias
from urllib.parse import parse_qsl, quote, urlsplit, urlunsplit

EventKind: TypeAlias = Literal[
    "request",  # Kazoo sent a Pivot request
    "answer",  # the endpoint answered it
    "fallback",  # Kazoo took a pivot node's "_" child after a failed request
    "say",  # tts
    "play",  # play / audio_macro
    "collect",  # collect_dtmf took digits (or timed out)
    "branch",  # a branching module chose a child
    "bridge",  # a bridging module tried a target
    "variables",  # set_variables / set_cid / language changed what later requests carry
    "action",  # anything else the caller does not hear (record_call, presence, ...)
    "failure",  # a protocol failure: what Kazoo would do about it is in the text
    "end",  # the call ended
]

Ending: TypeAlias = Literal[
    "hangup",  # a hangup node, or the flow ran out of children (Kazoo hangs up)
    "response",  # a response node ended the call with a SIP code
    "bridged",  # the caller was connected somewhere; the simulation stops there
    "handoff",  # the call left what Pivot controls (a stored callflow, dead air)
    "caller_hangup",  # the caller hung up: the digit script ran out
    "failed",  # a protocol failure ended the call (dead air or hangup for a real caller)
    "loop_guard",  # too many steps or requests: a runaway flow
]


@dataclass(frozen=True, slots=True)
class Event:
    kind: EventKind
    text: str
    module: str | None = None
    detail: Mapping[str, Any] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        payload: dict[str, Any] = {"kind": self.kind, "text": self.text}
        if self.module is not None:
            payload["module"] = self.module
        payload.update(self.detail)
        return payload


@dataclass
class Transcript:
    """One simulated call."""

    call_id: str
    caller: str
    events: list[Event] = field(default_factory=list)
    ending: Ending | None = None
    reason: str = ""
    failures: list[str] = field(default_factory=list)
    requests: int = 0
    steps: int = 0
    collections: dict[str, str] = field(default_factory=dict)
    variables: dict[str, Any] = field(default_factory=dict)
    validation: str = "not run"
    # Called with each event as it happens (live output while a call is walked).
    listener: Callable[[Event], None] | None = field(default=None, repr=False, compare=False)

    def add(self, kind: EventKind, text: str, module: str | None = None, **detail: Any) -> Event:
        event = Event(kind, text, module, detail)
        self.events.append(event)
        if self.listener is not None:
            self.listener(event)
        return event

    def fail(self, message: str, **detail: Any) -> None:
        """Record a protocol failure (the endpoint did something Kazoo cannot use)."""
        self.failures.append(message)
        self.add("failure", message, **detail)

    def end(self, ending: Ending, reason: str) -> None:
        self.ending = ending
        self.reason = reason
        self.add("end", reason, ending=ending)

    @property
    def ok(self) -> bool:
        """True when every request was answered usefully and the call ended on purpose."""
        return not self.failures and self.ending not in (None, "failed", "loop_guard")

    @property
    def heard(self) -> list[str]:
        """What the caller heard, in order (tts text and played media)."""
        return [e.text for e in self.events if e.kind in ("say", "play")]

    @property
    def digits_pressed(self) -> list[str]:
        return [str(e.detail.get("digits", "")) for e in self.events if e.kind == "collect"]

    def to_json(self) -> dict[str, Any]:
        return {
            "ok": self.ok,
            "call_id": self.call_id,
            "caller": self.caller,
            "ending": self.ending,
            "reason": self.reason,
            "requests": self.requests,
            "steps": self.steps,
            "failures": list(self.failures),
            "heard": self.heard,
            "collections": dict(self.collections),
            "variables": dict(self.variables),
            "validation": self.validation,
            "events": [e.to_json() for e in self.events],
        }

    def dumps(self) -> str:
        return json.dumps(self.to_json(), indent=2, ensure_ascii=False)

    def render(self) -> str:
        """The readable transcript: a header, one line per event, a verdict."""
        lines = [self.header()]
        lines.extend(line for e in self.events if (line := render_event(e)) is not None)
        lines.extend(self.summary())
        return "\n".join(lines)

    def header(self) -> str:
        return f"call {self.call_id} from {self.caller}"

    def summary(self) -> list[str]:
        verdict = "ok" if self.ok else "FAILED"
        return [
            f"== {self.ending or 'unfinished'}: {self.reason}",
            f"== {verdict}: {self.requests} request(s), {self.steps} step(s); "
            f"schemas: {self.validation}",
        ]


def render_event(event: Event) -> str | None:
    """One transcript line (``None`` for the end, which the summary states)."""
    if event.kind == "end":
        return None
    if event.kind == "request":
        return f"-> {event.text}"
    if event.kind == "answer":
        return f"<- {event.text}"
    if event.kind == "failure":
        return f"!! {event.text}"
    return f"   {_LABELS[event.kind]}{event.text}"


_LABELS: Mapping[EventKind, str] = {
    "say": "says: ",
    "play": "plays: ",
    "collect": "collects ",
    "branch": "branch ",
    "bridge": "bridge ",
    "variables": "sets ",
    "action": "",
    "fallback": "fallback: ",
    "request": "",
    "answer": "",
    "failure": "",
    "end": "",
}


def redact_url(url: str) -> str:
    """``url`` with the value of any ``token`` query parameter replaced by ``***``."""
    parts = urlsplit(url)
    if not parts.query:
        return url
    pairs = parse_qsl(parts.query, keep_blank_values=True)
    if not any(key == "token" for key, _ in pairs):
        return url
    query = "&".join(
        f"{quote(key, safe='[]')}={'***' if key == 'token' else quote(value, safe='')}"
        for key, value in pairs
    )
    return urlunsplit(parts._replace(query=query))


def redact_tree(value: Any) -> Any:
    """A copy of a callflow (any JSON) with the token of every URL in it hidden."""
    if isinstance(value, str):
        return redact_url(value) if "://" in value and "token=" in value else value
    if isinstance(value, Mapping):
        return {key: redact_tree(item) for key, item in value.items()}
    if isinstance(value, list):
        return [redact_tree(item) for item in value]
    return value
