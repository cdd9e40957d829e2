"""The inspector's view of one call: a ``CallLog`` timeline with schema verdicts and the
call's path as Mermaid.

Verdicts come from Kazoo's schemas (``pivotkit.local.schemas``, as ``pivotkit call``
checks answers) when they are available, and say so when they are not. The path is the dev
phone's own transcript when the phone made the call (every prompt, key and bridge), else
the requests and failures the timeline holds.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from pivotkit.local.diagram import mermaid
from pivotkit.local.transcript import Event, Transcript

Validator = Callable[[Mapping[str, Any]], list[str]]
MAX_SHOWN_ERRORS = 20


def timeline_view(
    timeline: Mapping[str, Any],
    validator: Validator | None,
    validation_label: str,
    phone_transcript: Transcript | None = None,
) -> dict[str, Any]:
    entries = [_with_verdict(entry, validator) for entry in timeline.get("entries", [])]
    view = dict(timeline)
    view["entries"] = entries
    view["schemas"] = validation_label
    path = phone_transcript or _transcript(str(timeline.get("call_id", "")), entries)
    view["mermaid"] = mermaid(path)
    view["path_from"] = "dev phone" if phone_transcript is not None else "requests"
    return view


def _with_verdict(entry: Mapping[str, Any], validator: Validator | None) -> dict[str, Any]:
    shown = dict(entry)
    tree = entry.get("callflow")
    if not isinstance(tree, Mapping) or "note" in tree:
        shown["schema"] = None
    elif validator is None:
        shown["schema"] = {"verdict": "skipped", "errors": []}
    else:
        errors = validator(tree)
        shown["schema"] = {
            "verdict": "invalid" if errors else "valid",
            "errors": errors[:MAX_SHOWN_ERRORS],
        }
    return shown


def _transcript(call_id: str, entries: list[dict[str, Any]]) -> Transcript:
    """The timeline as transcript events, for the diagram (requests, failed answers)."""
    transcript = Transcript(call_id=call_id, caller=call_id)
    for entry in entries:
        step = entry.get("step")
        url = f"{entry.get('path', '')}" + (f"?step={step}" if step else "")
        transcript.add("request", url, "pivot", method=str(entry.get("method", "")), url=url)
        status = entry.get("status")
        code = entry.get("error")
        text = f"{status}" + (f" {code}" if code else "")
        transcript.add("answer", text, status=status)
        schema = entry.get("schema")
        if status != 200:
            transcript.add("failure", f"answered {text}")
        elif isinstance(schema, Mapping) and schema.get("verdict") == "invalid":
            transcript.add("failure", "schema-invalid callflow")
    return transcript


def phone_path(call_id: str, events: list[Event]) -> Transcript:
    """A live phone call's transcript so far (the diagram of a call still running)."""
    transcript = Transcript(call_id=call_id, caller=call_id)
    transcript.events.extend(events)
    return transcript
