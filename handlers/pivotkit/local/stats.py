"""IVR analytics from stored call state: a funnel per step of a customer's flow.

A flow built with ``Flow(track_path=True)`` stores, in each call's record, a ``trail``: one
entry per step the caller passed (``step``, ``hop``, ``at`` and, for a step reached through
``call.gather``, what was pressed: ``digits`` for one key or none, else only ``choice`` and
``digits_length``, see ``pivotkit.caller_input``). From those trails this module counts, per
step:

- **calls** that entered it, and **visits** (a step repeated by a retry counts again);
- **choices**: what callers pressed at this step's prompt ("" = nothing, "4 digits" for
  longer input), read from the entry of the step that received them. Longer input is shown
  as pressed only when that step is registered with ``sensitive=False``, also for records
  stored before the trail stopped keeping it;
- how long callers spent in it (entering it to entering the next step; the median);
- where calls **left**: the last step of a call either waited for another Pivot request that
  never came (the caller **hung up** there, or the call is still going on), or handed the
  call to something outside the flow: the first module of its last answer that connects or
  ends the call (``ring_group``, ``voicemail``, ``hangup``...). The record keeps that answer.

Records without a trail (flows without ``track_path``, or calls that changed no state) are
counted but not analysed. A trail keeps a call's last ``TRAIL_MAX_ENTRIES`` steps: a longer
call is counted as **truncated**, and the steps it dropped are in no count.
"""

from __future__ import annotations

import json
import statistics
from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from pivotkit.caller_input import is_sensitive
from pivotkit.placeholders import split_stored_answer
from pivotkit.state import TRAIL_MAX_ENTRIES, CallRecord

# Modules that play, collect or set something and then continue with their "_" child: a
# call passes through them on the way to whatever its last answer really did.
PASS_THROUGH_MODULES = frozenset(
    {
        "tts", "play", "audio_macro", "collect_dtmf", "flush_dtmf", "send_dtmf", "sleep",
        "set_variables", "set_variable", "set", "language", "set_cid", "prepend_cid",
        "dynamic_cid", "manual_presence", "record_call", "record_caller", "webhook",
        "set_alert_info", "privacy", "lookupcidname", "edr", "noop", "answer",
    }
)  # fmt: skip
WAITING = "pivot"  # the last answer asked Kazoo for another request
UNKNOWN_EXIT = "unknown"  # no stored answer to read (should not happen)


@dataclass
class StepFunnel:
    step: str
    calls: int = 0
    visits: int = 0
    choices: Counter[str] = field(default_factory=Counter)
    seconds_in_step: list[float] = field(default_factory=list)
    hung_up: int = 0  # last step, waiting for a request that never came
    in_progress: int = 0  # ... but recently enough that the call may still be going on
    handed_off: Counter[str] = field(default_factory=Counter)  # last step; exit module

    @property
    def median_seconds(self) -> float | None:
        return statistics.median(self.seconds_in_step) if self.seconds_in_step else None

    def to_json(self) -> dict[str, Any]:
        return {
            "step": self.step,
            "calls": self.calls,
            "visits": self.visits,
            "choices": dict(self.choices.most_common()),
            "median_seconds": self.median_seconds,
            "hung_up": self.hung_up,
            "in_progress": self.in_progress,
            "handed_off": dict(self.handed_off.most_common()),
        }


@dataclass
class Funnel:
    customer: str
    calls: int = 0  # calls with a trail
    untracked: int = 0  # records without one
    truncated: int = 0  # calls whose trail dropped its oldest entries
    steps: dict[str, StepFunnel] = field(default_factory=dict)

    def step(self, name: str) -> StepFunnel:
        return self.steps.setdefault(name, StepFunnel(name))

    @property
    def hung_up(self) -> int:
        return sum(s.hung_up for s in self.steps.values())

    @property
    def in_progress(self) -> int:
        return sum(s.in_progress for s in self.steps.values())

    @property
    def handed_off(self) -> int:
        return sum(s.handed_off.total() for s in self.steps.values())

    def to_json(self) -> dict[str, Any]:
        return {
            "customer": self.customer,
            "calls": self.calls,
            "untracked": self.untracked,
            "truncated": self.truncated,
            "hung_up": self.hung_up,
            "in_progress": self.in_progress,
            "handed_off": self.handed_off,
            "steps": [s.to_json() for s in self.steps.values()],
        }


def funnel(
    customer: str,
    records: Iterable[CallRecord],
    *,
    now: float,
    active_seconds: float = 300.0,
    step_order: Sequence[str] = (),
    input_sensitive: Callable[[str], bool] = lambda _step: True,
) -> Funnel:
    """The funnel of ``customer``'s calls. A call whose last answer waits for a request and
    whose record changed less than ``active_seconds`` before ``now`` counts as in progress,
    not hung up. Steps are listed in ``step_order`` (the flow's), then as first seen.
    ``input_sensitive`` is the flow's ``Flow.input_sensitive``: which steps' input of more
    than one key may be shown as pressed."""
    result = Funnel(customer)
    # Steps no call reached stay listed, with zeros: that is news too.
    for name in step_order:
        result.step(name)
    for record in records:
        trail = [entry for entry in record.trail if isinstance(entry.get("step"), str)]
        if not trail:
            result.untracked += 1
            continue
        result.calls += 1
        if record.trail_dropped:
            result.truncated += 1
        _count_call(
            result,
            record,
            trail,
            now=now,
            active_seconds=active_seconds,
            input_sensitive=input_sensitive,
        )
    return result


def _count_call(
    result: Funnel,
    record: CallRecord,
    trail: Sequence[Mapping[str, Any]],
    *,
    now: float,
    active_seconds: float,
    input_sensitive: Callable[[str], bool],
) -> None:
    for name in dict.fromkeys(entry["step"] for entry in trail):
        result.step(name).calls += 1
    for entry, following in zip(trail, [*trail[1:], None], strict=True):
        current = result.step(entry["step"])
        current.visits += 1
        if following is None:
            continue
        pressed = shown_choice(following, sensitive=input_sensitive(following["step"]))
        if pressed is not None:
            current.choices[pressed] += 1
        elapsed = _seconds(entry, following)
        if elapsed is not None:
            current.seconds_in_step.append(elapsed)
    last = result.step(trail[-1]["step"])
    exit_module = last_exit(record.answer)
    if exit_module != WAITING:
        last.handed_off[exit_module] += 1
    elif now - record.updated_at < active_seconds:
        last.in_progress += 1
    else:
        last.hung_up += 1


def shown_choice(entry: Mapping[str, Any], *, sensitive: bool = True) -> str | None:
    """What a trail entry says was pressed for its step, as stats shows it: the digits when
    they may be kept as pressed, else ``"<n> digits"``; ``None`` for an entry not reached
    through a gather."""
    digits = entry.get("digits")
    if isinstance(digits, str):
        return f"{len(digits)} digits" if is_sensitive(digits, sensitive=sensitive) else digits
    length = entry.get("digits_length")
    if isinstance(length, int) and not isinstance(length, bool):
        return f"{length} digits"
    return None


def _seconds(entry: Mapping[str, Any], following: Mapping[str, Any]) -> float | None:
    start, end = entry.get("at"), following.get("at")
    if isinstance(start, int | float) and isinstance(end, int | float) and end >= start:
        return float(end - start)
    return None


def last_exit(answer: str | None) -> str:
    """What the last answer did with the call: ``"pivot"`` when it asked for another
    request, else the first module along its ``_`` chain that does not just pass the call
    on (a bridge, a mailbox, a hang-up, a branching module such as ``menu``)."""
    if not answer:
        return UNKNOWN_EXIT
    try:
        node: Any = json.loads(split_stored_answer(answer)[1])
    except ValueError:
        return UNKNOWN_EXIT
    while isinstance(node, Mapping):
        module = node.get("module")
        if not isinstance(module, str):
            break
        if module not in PASS_THROUGH_MODULES:
            return module
        children = node.get("children")
        node = children.get("_") if isinstance(children, Mapping) else None
    return "hangup"  # the chain ran out: Kazoo hangs up


def render(result: Funnel) -> str:
    """The funnel as a table, then each step's choices and exits."""
    lines = [
        f"{result.customer}: {result.calls} call(s) tracked"
        + (f", {result.untracked} without a trail" if result.untracked else ""),
    ]
    if not result.calls:
        lines.append("  no tracked calls (is the flow built with Flow(track_path=True)?)")
        return "\n".join(lines)
    lines.append(
        f"  left the IVR: {result.handed_off} handed off, {result.hung_up} hung up"
        + (f", {result.in_progress} possibly still in progress" if result.in_progress else "")
    )
    if result.truncated:
        lines.append(
            f"  {result.truncated} call(s) passed more than {TRAIL_MAX_ENTRIES} steps: only"
            " their last ones are counted"
        )
    width = max(len("step"), *(len(name) for name in result.steps))
    header = f"  {'step':<{width}}  {'calls':>6}  {'reach':>6}  {'visits':>6}  {'median s':>8}"
    lines += [header + "  hung up  handed off", "  " + "-" * (len(header) + 19)]
    for step in result.steps.values():
        reach = f"{100 * step.calls / result.calls:.0f}%"
        median = "-" if step.median_seconds is None else f"{step.median_seconds:.1f}"
        handed = sum(step.handed_off.values())
        lines.append(
            f"  {step.step:<{width}}  {step.calls:>6}  {reach:>6}  {step.visits:>6}  "
            f"{median:>8}  {step.hung_up:>7}  {handed:>10}"
        )
    for step in result.steps.values():
        details = []
        if step.choices:
            details.append("pressed " + _counts(step.choices, empty="nothing"))
        if step.handed_off:
            details.append("handed to " + _counts(step.handed_off))
        if step.in_progress:
            details.append(f"{step.in_progress} may still be in progress")
        if details:
            lines.append(f"  {step.step}: " + "; ".join(details))
    return "\n".join(lines)


def _counts(counter: Counter[str], *, empty: str = "") -> str:
    return ", ".join(f"{key or empty} x{count}" for key, count in counter.most_common())
