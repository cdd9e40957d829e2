"""``pivotkit replay``: run saved Lambda events through the handlers, like
``sam local invoke -e`` without Docker.

Each FILE is an API Gateway (v1/v2) or Function URL event as JSON; a directory means every
event below it. The event goes to the function its path names (/pivot/... or /media/...),
read as the handlers read it (no REST stage, base path mapping or /{proxy+} resource in
the way), on an in-process moto AWS (default), in-memory stores (--memory) or real AWS (--aws).
Files replay in order through one set of handlers, so a continuation event sees the state
an earlier one left. A failing answer is printed (every answer with --verbose); a 200
callflow is checked against Kazoo's schemas when they are available; and when
<scenario>.expected.json sits beside <scenario>.json the answer must equal it
({"status": ..., "body": ...}). --update writes those goldens instead. Exit status 1 on a
mismatch, an invalid callflow or an unreadable event.

Time: each event is answered at the time AWS stamped on it (requestContext.timeEpoch, or
requestTimeEpoch in a REST API event): that is what a step's call.now() reads, so a golden
that depends on the time of day replays the same on any day (call --save-events stamps the
events with the clock the call ran on). --now answers every event at one time instead; an
event without a time is answered at the system clock's.

Tokens: customer <slug> accepts local-<slug> unless PIVOTKIT_TOKENS is set, so sample
events carry token=local-<slug>. Continuation URLs in answers use the event's domainName;
keep it fixed in saved events and goldens stay stable.

Withheld: an event that `pivotkit calls pull` marked "pivotkit_withheld" (the call journal
masked the digits it carried) is not run; it prints WITHHELD and counts neither as a pass nor
as a fail.
"""

from __future__ import annotations

import argparse
import difflib
import json
import sys
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any, Literal, TypeAlias

from pivotkit.config import ConfigError
from pivotkit.local.clock import NOW_HELP, now_argument
from pivotkit.local.replaying import (
    GOLDEN_SUFFIX,
    WITHHELD_KEY,
    Replayed,
    function_for,
    golden_path,
    invoke,
)
from pivotkit.local.runtime import (
    Backend,
    LocalRuntime,
    Validate,
    add_stage_argument,
    kazoo_validator,
    local_runtime,
)

# What one event came to: matched (or no golden), failed, or withheld (digits the call
# journal masked: ``pivotkit calls pull`` marks such events with ``WITHHELD_KEY``).
Verdict: TypeAlias = Literal["pass", "fail", "withheld"]


HELP = "run saved Lambda events through the handlers; compare with goldens"


def register(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("files", nargs="+", type=Path, metavar="FILE", help="event file or dir")
    parser.add_argument("--update", action="store_true", help="write the goldens")
    backend = parser.add_mutually_exclusive_group()
    backend.add_argument(
        "--aws", action="store_const", dest="backend", const="aws", help="use real AWS"
    )
    backend.add_argument(
        "--memory", action="store_const", dest="backend", const="memory", help="in-memory stores"
    )
    parser.add_argument(
        "--now", type=now_argument, metavar="TIME", help=f"{NOW_HELP}; default: each event's own"
    )
    add_stage_argument(parser)
    shown = parser.add_mutually_exclusive_group()
    shown.add_argument("--verbose", action="store_true", help="print every answer, passes included")
    shown.add_argument(
        "--quiet", action="store_true", help="print only the verdict lines, failures included"
    )
    parser.set_defaults(func=run, backend="embedded")


def run(args: argparse.Namespace) -> int:
    try:
        files = list(event_files(args.files))
    except FileNotFoundError as exc:
        print(f"pivotkit replay: {exc}", file=sys.stderr)
        return 2
    if not files:
        print("pivotkit replay: no event files found", file=sys.stderr)
        return 2
    backend: Backend = args.backend
    validator, label = kazoo_validator()
    print(f"schemas: {label}")
    verdicts: list[Verdict] = []
    try:
        with local_runtime(backend, in_process_moto=True, stage=args.stage) as runtime:
            verdicts = [_replay_one(path, runtime, validator, args) for path in files]
    except ConfigError as exc:
        print(f"pivotkit replay: {exc}", file=sys.stderr)
        return 2
    failures, withheld = verdicts.count("fail"), verdicts.count("withheld")
    total = len(files)
    counted = total - withheld
    tail = f", {withheld} withheld (digits the journal masked; not run)" if withheld else ""
    print(f"{counted - failures}/{counted} event(s) passed{tail}")
    return 1 if failures else 0


def event_files(paths: Sequence[Path]) -> Iterator[Path]:
    """The event files named, directories expanded (sorted), goldens left out."""
    for path in paths:
        if path.is_dir():
            yield from sorted(p for p in path.rglob("*.json") if not p.name.endswith(GOLDEN_SUFFIX))
        elif path.is_file():
            yield path
        else:
            raise FileNotFoundError(f"{path}: no such file or directory")


def _replay_one(
    path: Path, runtime: LocalRuntime, validator: Validate | None, args: argparse.Namespace
) -> Verdict:
    try:
        event = json.loads(path.read_text(encoding="utf-8"))
        if not isinstance(event, dict):
            raise ValueError("the file does not hold a JSON object")
        if WITHHELD_KEY in event:
            return _withheld(path, event[WITHHELD_KEY])
        function = function_for(runtime, event)
        at = args.now.timestamp() if args.now is not None else None
        response = invoke(runtime, event, at=at, function=function)
    except (OSError, ValueError, LookupError) as exc:
        print(f"FAIL {path}: {exc}")
        return "fail"
    replayed = Replayed.of(response)
    ok = True
    problems: list[str] = []
    is_callflow = function == "pivot"  # media answers are not callflows
    if validator is not None and is_callflow and response.status == 200:
        errors = validator(replayed.body)
        if errors:
            ok = False
            problems += ["answer fails Kazoo's schemas:", *(f"  {e}" for e in errors)]
    golden = golden_path(path)
    if args.update:
        note = _update(golden, replayed)
    elif golden.is_file():
        diff = _compare(golden, replayed)
        note = "matches golden" if not diff else "DIFFERS from golden"
        if diff:
            ok = False
            problems += diff
    else:
        note = f"no golden (pivotkit replay --update writes {golden.name})"
    print(f"{'ok  ' if ok else 'FAIL'} {path}: {response.status} ({note})")
    # A pass says "ok" and nothing more unless asked: the answer is what a failure needs.
    if args.verbose or (not ok and not args.quiet):
        print(_indent(_pretty(replayed.body)))
    for line in problems:
        print(f"     {line}")
    return "pass" if ok else "fail"


def _withheld(path: Path, marker: Any) -> Verdict:
    """An event whose digits the call journal masked: its answer would be for other digits,
    so it is neither run nor counted as a pass or a fail."""
    names = marker.get("digits") if isinstance(marker, dict) else None
    which = ", ".join(map(str, names)) if isinstance(names, list) and names else "some"
    print(f"WITHHELD {path}: digits withheld ({which} masked in the journal); not run")
    return "withheld"


def _update(golden: Path, replayed: Replayed) -> str:
    text = _pretty(replayed.golden()) + "\n"
    if golden.is_file() and golden.read_text(encoding="utf-8") == text:
        return "golden unchanged"
    golden.write_text(text, encoding="utf-8")
    return f"golden written: {golden.name}"


def _compare(golden: Path, replayed: Replayed) -> list[str]:
    """A unified diff (empty when equal); key order does not matter, values do."""
    try:
        expected = json.loads(golden.read_text(encoding="utf-8"))
    except ValueError as exc:
        return [f"{golden.name} is not valid JSON: {exc}"]
    actual = replayed.golden()
    if expected == actual:
        return []
    return list(
        difflib.unified_diff(
            _pretty(expected, sort_keys=True).splitlines(),
            _pretty(actual, sort_keys=True).splitlines(),
            fromfile=golden.name,
            tofile="actual",
            lineterm="",
        )
    )


def _pretty(value: Any, *, sort_keys: bool = False) -> str:
    return json.dumps(value, indent=2, ensure_ascii=False, sort_keys=sort_keys)


def _indent(text: str) -> str:
    return "\n".join(f"     {line}" for line in text.splitlines())
