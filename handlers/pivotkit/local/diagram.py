"""The path a simulated call took, as a Mermaid flowchart.

One box per thing the caller lived through, top to bottom; edges carry what chose the way
(digits pressed, the branch key taken, a bridge's outcome). Shapes say what a box is:
Pivot requests are parallelograms, prompts rectangles, digit collection hexagons, branches
diamonds, bridges subroutines, failures flags and the end a stadium. GitHub, GitLab and
most Markdown viewers draw it as it is.
"""

from __future__ import annotations

from collections.abc import Iterator

from pivotkit.local.transcript import Event, EventKind, Transcript

MAX_LABEL = 60

# Each Mermaid node shape (its opening and closing) and the events drawn in it.
_DRAWN_AS: dict[tuple[str, str], tuple[EventKind, ...]] = {
    ('[/"', '"/]'): ("request", "answer"),  # parallelogram
    ('["', '"]'): ("say", "play", "variables", "action"),  # rectangle
    ('{{"', '"}}'): ("collect",),  # hexagon
    ('{"', '"}'): ("branch",),  # diamond
    ('[["', '"]]'): ("bridge",),  # subroutine
    ('>"', '"]'): ("fallback", "failure"),  # flag
    ('(["', '"])'): ("end",),  # stadium
}
_SHAPES: dict[EventKind, tuple[str, str]] = {
    kind: shape for shape, kinds in _DRAWN_AS.items() for kind in kinds
}
# "end" is a Mermaid keyword, so class names must not be the event kinds themselves.
_CLASS_OF: dict[EventKind, str] = {
    "request": "pivotRequest",
    "failure": "pivotFailure",
    "fallback": "pivotFailure",
    "end": "callEnd",
}
_CLASSES = (
    "classDef pivotRequest fill:#e8f0fe,stroke:#4a6fa5",
    "classDef pivotFailure fill:#fde2e1,stroke:#c0392b",
    "classDef callEnd fill:#eeeeee,stroke:#555555",
)


def mermaid(transcript: Transcript) -> str:
    """The flowchart source (``flowchart TD ...``)."""
    lines = ["flowchart TD", f'  caller(["call from {_escape(transcript.caller)}"])']
    previous = "caller"
    edge_label: str | None = None
    for index, event in enumerate(_drawn(transcript.events)):
        node = f"n{index}"
        opening, closing = _SHAPES[event.kind]
        lines.append(f"  {node}{opening}{_escape(_label(event))}{closing}")
        arrow = f' -- "{_escape(edge_label)}" --> ' if edge_label else " --> "
        lines.append(f"  {previous}{arrow}{node}")
        css_class = _CLASS_OF.get(event.kind)
        if css_class is not None:
            lines.append(f"  class {node} {css_class}")
        previous, edge_label = node, _outgoing(event)
    lines.extend(f"  {line}" for line in _CLASSES)
    return "\n".join(lines) + "\n"


def markdown(transcript: Transcript) -> str:
    """The flowchart in a fenced block, ready for a README or an issue."""
    return f"```mermaid\n{mermaid(transcript)}```\n"


def _drawn(events: list[Event]) -> Iterator[Event]:
    """The events worth a box: answers fold into their request's outgoing edge."""
    for event in events:
        if event.kind != "answer" or event.detail.get("status") != 200:
            yield event


def _label(event: Event) -> str:
    detail = event.detail
    if event.kind == "request":
        text = f"{str(detail.get('method', '')).upper()} {_path(str(detail.get('url', '')))}"
    elif event.kind == "say":
        text = f"says: {event.text}"
    elif event.kind == "play":
        text = f"plays: {event.text}"
    elif event.kind == "collect":
        text = f"collect {detail.get('collection', '')}"
    elif event.kind == "branch":
        text = str(event.module or "branch")
    elif event.kind == "bridge":
        text = str(detail.get("target", event.text))
    else:
        text = event.text
    return text if len(text) <= MAX_LABEL else text[: MAX_LABEL - 1] + "…"


def _outgoing(event: Event) -> str | None:
    """What labels the edge leaving ``event``."""
    detail = event.detail
    if event.kind == "collect":
        digits = str(detail.get("digits", ""))
        return digits if digits else "timeout"
    if event.kind == "branch":
        return str(detail.get("key", ""))
    if event.kind == "bridge":
        return str(detail.get("outcome", ""))
    return None


def _path(url: str) -> str:
    """``/pivot/acme?step=menu``: the part of a URL that says which step runs."""
    rest = url.split("://", 1)[-1]
    path = "/" + rest.split("/", 1)[1] if "/" in rest else "/"
    base, _, query = path.partition("?")
    steps = [p for p in query.split("&") if p.startswith("step=")]
    return f"{base}?{steps[0]}" if steps else base


def _escape(text: str) -> str:
    """Mermaid's own entity codes (``#quot;``) in quoted labels; newlines end a line."""
    return text.replace('"', "#quot;").replace("<", "#lt;").replace(">", "#gt;").replace("\n", " ")
