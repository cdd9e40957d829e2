"""Recent calls from the call journal (``pivotkit.journal``), failed calls first.

    pivotkit calls list --log-group /aws/lambda/pivotkit-dev-acme [--since 1h] [--status error]
    pivotkit calls show CALL_ID --log-group ...
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

from pivotkit.journal import KIND_CALL_END, KIND_MEDIA, KIND_REQUEST, is_journal_line
from pivotkit.local.journal_sources import SourceError, filter_journal, located_entries

_SINCE = re.compile(r"^(\d+)([smhd])$")
_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400}


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "calls",
        help="recent calls from the call journal: list, show",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    sub = parser.add_subparsers(dest="action", required=True)
    descriptions = {
        "list": "One line per recent call (time, customer, masked caller, steps, outcome),"
        " failed calls first.",
        "show": "Every journal entry of one call in order: each request and answer, errors,"
        " timings, and how the call ended.",
    }
    for name, description in descriptions.items():
        action = sub.add_parser(name, help=description, description=description)
        if name == "show":
            action.add_argument("call_id", help="the Call-ID Kazoo sent (Call-ID in the journal)")
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
    if args.action == "show":
        found = [v for (_, call_id), v in calls.items() if call_id == args.call_id]
        if not found:
            print(f"pivotkit calls: no journal entries for {args.call_id}", file=sys.stderr)
            return 1
        for entry in found[0]:
            print(json.dumps(entry, indent=2, sort_keys=True))
        return 0
    ordered = sorted(
        calls.values(), key=lambda v: (failure(v) is None, -float(v[0].get("at") or 0))
    )
    for call in ordered:
        if args.status == "error" and failure(call) is None:
            continue
        print(summary_line(call))
    return 0
