"""Recent calls from the call journal (``pivotkit.journal``), failed calls first.

    pivotkit calls list --log-group /aws/lambda/pivotkit-dev-acme [--since 1h] [--status error]
    pivotkit calls show CALL_ID --log-group ...      # the story, with the Mermaid diagram
    pivotkit calls pull CALL_ID --to events/acme/ --log-group ...   # replayable events
    pivotkit calls list --from journal.jsonl      # lines saved from a log (one JSON a line)

    pivotkit calls list --stage dev             # every customer stack of the deployed stage
    pivotkit calls list                         # the pivotkit serve running in this directory

Deployed, the journal is in each customer function's CloudWatch log group; it is read with
FilterLogEvents on the journal's marker (``--endpoint``: any CloudWatch Logs endpoint). With
no source flag, ``--stage`` finds the groups from the stacks' outputs and otherwise the
running serve's embedded AWS is read (``pivotkit.local.journal_sources``).
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import time
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

from pivotkit.journal import (
    KIND_CALL_END,
    KIND_MEDIA,
    KIND_REQUEST,
    is_journal_line,
)
from pivotkit.local.call_pull import PullError, pull
from pivotkit.local.call_story import render, tell
from pivotkit.local.journal_sources import SourceError, filter_journal, located_entries

_SINCE = re.compile(r"^(\d+)([smhd])$")
_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400}


HELP = "recent calls from the call journal: list, show, pull"


def register(parser: argparse.ArgumentParser) -> None:
    sub = parser.add_subparsers(dest="action", required=True)
    descriptions = {
        "list": "One line per recent call (time, customer, masked caller, steps, outcome),"
        " failed calls first.",
        "show": "One call told from its journal: what the caller heard and pressed, where the"
        " call went, each request and answer (step, state version, status, timings), how it"
        " ended, and the Mermaid diagram `pivotkit call` draws (--json: the raw entries).",
        "pull": "Write one call as replayable Lambda events with goldens under --to"
        " (<dir>/<call id>/NN-<step>.json) for `pivotkit replay`; digits the journal masked"
        " are withheld (replay reports them) unless --digits gives them.",
    }
    for name, description in descriptions.items():
        action = sub.add_parser(name, help=description, description=description)
        if name in ("show", "pull"):
            action.add_argument("call_id", help="the Call-ID Kazoo sent (Call-ID in the journal)")
        if name == "show":
            action.add_argument("--json", action="store_true", help="the raw journal entries")
        if name == "pull":
            action.add_argument(
                "--to", type=Path, required=True, metavar="DIR", help="e.g. events/acme/"
            )
            action.add_argument(
                "--token", help="the token the events carry (default local-<slug>, as replay)"
            )
            action.add_argument(
                "--digits",
                action="append",
                default=[],
                metavar="COLLECTION=DIGITS",
                help="digits the journal masked, when you know them (a test PIN); repeatable",
            )
        action.add_argument("--customer", metavar="SLUG", help="only this customer's calls")
        action.add_argument("--since", default="1h", help="how far back: 30m, 1h, 2d")
        action.add_argument("--log-group", help="a CloudWatch log group holding the journal")
        action.add_argument("--endpoint", metavar="URL", help="a CloudWatch Logs endpoint")
        action.add_argument("--from", dest="source", help="a file of journal lines")
        action.add_argument(
            "--stage", help="a deployed stage (dev, prod): log groups from its stacks' outputs"
        )
        if name == "list":
            action.add_argument(
                "--status",
                choices=("error", "all"),
                default="all",
                help="error: only calls with a non-200 answer (default: all)",
            )
        action.set_defaults(func=run)


def since_seconds(text: str) -> float:
    match = _SINCE.match(text.strip())
    if match is None:
        raise ValueError(f"--since wants a number and s, m, h or d, not {text!r}")
    return int(match.group(1)) * _UNITS[match.group(2)]


def read_file(path: str) -> Iterator[dict[str, Any]]:
    with Path(path).open(encoding="utf-8") as lines:
        for line in lines:
            entry = is_journal_line(line)
            if entry is not None:
                yield entry


def read_log_group(group: str, start: float, endpoint: str | None) -> Iterator[dict[str, Any]]:
    import botocore.session

    client: Any = botocore.session.get_session().create_client("logs", endpoint_url=endpoint)
    return filter_journal(client, [group], start)


def group_calls(entries: Iterable[dict[str, Any]]) -> dict[tuple[str, str], list[dict[str, Any]]]:
    calls: dict[tuple[str, str], list[dict[str, Any]]] = {}
    for entry in entries:
        key = (str(entry.get("customer")), str(entry.get("call_id")))
        calls.setdefault(key, []).append(entry)
    for entries_of_call in calls.values():
        entries_of_call.sort(key=lambda e: float(e.get("at") or 0))
    return calls


def failure(entries: list[dict[str, Any]]) -> dict[str, Any] | None:
    """The first failed request of a call: a 4xx/5xx (Kazoo's fallback), timeout, refusal."""
    for entry in entries:
        if entry.get("kind") == KIND_REQUEST and entry.get("status") != 200:
            return entry
    return None


def summary_line(entries: list[dict[str, Any]]) -> str:
    requests = [e for e in entries if e.get("kind") == KIND_REQUEST]
    first = entries[0]
    failed = failure(entries)
    when = time.strftime("%Y-%m-%d %H:%M:%S", time.gmtime(float(first.get("at") or 0)))
    caller = next((e.get("caller_id_number") for e in requests if e.get("caller_id_number")), "-")
    outcome = "ok"
    if failed is not None:
        outcome = f"{failed.get('status')} {failed.get('error') or ''} at {failed.get('step')}"
    ended = next((e for e in entries if e.get("kind") == KIND_CALL_END), None)
    end = f" ended {ended.get('hangup_cause')}" if ended else ""
    media = sum(1 for e in entries if e.get("kind") == KIND_MEDIA)
    end = f"  media={media}{end}" if media else end
    return (
        f"{when}  {first.get('customer')}  {first.get('call_id')}  {caller}  "
        f"steps={len(requests)}  {outcome.strip()}{end}"
    )


def run(args: argparse.Namespace) -> int:
    try:
        start = time.time() - since_seconds(args.since)
    except ValueError as exc:
        print(f"pivotkit calls: {exc}", file=sys.stderr)
        return 2
    if args.source:
        entries: Iterable[dict[str, Any]] = read_file(args.source)
    elif args.log_group:
        entries = read_log_group(args.log_group, start, args.endpoint)
    else:
        try:
            entries = located_entries(args.stage, args.customer, start)
        except SourceError as exc:
            print(f"pivotkit calls: {exc}", file=sys.stderr)
            return 2
    chosen = [
        e
        for e in entries
        if float(e.get("at") or 0) >= start
        and (args.customer is None or e.get("customer") == args.customer)
    ]
    calls = group_calls(chosen)
    if args.action in ("show", "pull"):
        found = [v for (_, call_id), v in calls.items() if call_id == args.call_id]
        if not found:
            print(f"pivotkit calls: no journal entries for {args.call_id}", file=sys.stderr)
            return 1
        if args.action == "pull":
            return _pull(found[0], args)
        if args.json:
            for entry in found[0]:
                print(json.dumps(entry, indent=2, sort_keys=True))
            return 0
        print(render(tell(found[0])), end="")
        return 0
    ordered = sorted(
        calls.values(), key=lambda v: (failure(v) is None, -float(v[0].get("at") or 0))
    )
    for call in ordered:
        if args.status == "error" and failure(call) is None:
            continue
        print(summary_line(call))
    return 0


def _pull(entries: list[dict[str, Any]], args: argparse.Namespace) -> int:
    supplied: dict[str, str] = {}
    for option in args.digits:
        name, sep, digits = option.partition("=")
        if not sep or not name:
            print(
                f"pivotkit calls: --digits {option!r}: expected COLLECTION=DIGITS", file=sys.stderr
            )
            return 2
        supplied[name] = digits
    try:
        pulled = pull(entries, args.to, token=args.token, digits=supplied)
    except PullError as exc:
        print(f"pivotkit calls: {exc}", file=sys.stderr)
        return 1
    for event in pulled.events:
        notes = [] if event.golden else [event.note]
        if event.withheld:
            notes.append(f"digits withheld: {', '.join(event.withheld)}")
        print(f"wrote {event.path} ({event.status}{'; ' if notes else ''}{'; '.join(notes)})")
    if pulled.stopped:
        print(f"stopped at {pulled.stopped}", file=sys.stderr)
    print(f"replay it: pivotkit replay {pulled.directory}")
    return 1 if pulled.stopped else 0
