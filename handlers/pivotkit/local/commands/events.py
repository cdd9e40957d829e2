"""``pivotkit events``: write the Lambda event for a Pivot request Kazoo would send.

The event is what AWS would hand the pivot function when Kazoo's pivot node calls the
customer's URL: Kazoo's parameters encoded exactly as Kazoo encodes them, in the deployed
HTTP API's shape by default (or a REST API or Function URL event), with the customer's local
token. Only what a person would say is asked for: the customer, the caller, the digits
pressed. With ``--digits`` the call is walked in this process, through the customer's
flow, and the event is the request Kazoo sends after the last of them, continuation URL and
all, which is why the engine's own parameters (step, hop, seq) are never typed. Feed it to
``pivotkit replay`` or a test; for every request of a call, ``pivotkit call --save-events``.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import sys
from pathlib import Path
from typing import Any

from pivotkit.local.commands import (
    add_caller_arguments,
    add_pivot_node_arguments,
    body_format_error,
    caller_of,
)
from pivotkit.local.events import (
    DEFAULT_REGION,
    DEFAULT_STAGE,
    EventShape,
    endpoint_url,
    lambda_event,
)
from pivotkit.local.kazoo_encoding import pivot_http_request
from pivotkit.local.tokens import local_token

_CUSTOMER = re.compile(r"[A-Za-z0-9][A-Za-z0-9_-]{0,62}")


HELP = "write the Lambda event of a Pivot request (first, or after some digits)"


def register(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--customer", required=True, type=_customer, help="customer slug")
    parser.add_argument(
        "--digits",
        help='what the caller pressed, one entry per prompt, e.g. "1234#,2": the event is'
        " the request after the last entry (the call is walked in-process)",
    )
    add_caller_arguments(parser)
    parser.add_argument(
        "--token",
        help="the customer's token (default: its local one, local-<slug> or the first in"
        " $PIVOTKIT_TOKENS, which serve, call and replay accept)",
    )
    kazoo = parser.add_argument_group("the pivot node and the gateway")
    add_pivot_node_arguments(kazoo)
    kazoo.add_argument(
        "--shape",
        choices=("v2", "v1", "url"),
        default="v2",
        help="v2: HTTP API, what the stack deploys (default); v1: API Gateway REST;"
        " url: Lambda Function URL",
    )
    kazoo.add_argument("--region", default=DEFAULT_REGION, help="AWS region in the host name")
    kazoo.add_argument("--stage", default=DEFAULT_STAGE, help="REST API stage (v1 only)")
    parser.add_argument("--output", "-o", type=Path, help="write here instead of stdout")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    problem = body_format_error(args)
    if problem is not None:
        print(f"pivotkit events: {problem}", file=sys.stderr)
        return 2
    token = args.token or _local_token(args.customer)
    shape: EventShape = args.shape
    base = endpoint_url(shape, args.customer, region=args.region, stage=args.stage)
    voice_url = f"{base}?token={token}" if token else base
    if args.digits is None:
        event = _first_event(args, voice_url, shape)
    else:
        try:
            event = _event_after_digits(args, voice_url, shape)
        except LookupError as exc:
            print(f"pivotkit events: {exc}", file=sys.stderr)
            return 2
    text = json.dumps(event, indent=2, ensure_ascii=False) + "\n"
    if args.output is None:
        sys.stdout.write(text)
        return 0
    try:
        args.output.parent.mkdir(parents=True, exist_ok=True)
        args.output.write_text(text, encoding="utf-8")
    except OSError as exc:
        print(f"pivotkit events: cannot write {args.output}: {exc.strerror}", file=sys.stderr)
        return 1
    return 0


def _first_event(args: argparse.Namespace, voice_url: str, shape: EventShape) -> dict[str, Any]:
    request = pivot_http_request(
        caller_of(args).kazoo_call(),
        voice_url,
        method=args.method,
        req_body_format=args.body_format or "form",
    )
    return lambda_event(request, shape, stage=args.stage)


def _event_after_digits(
    args: argparse.Namespace, voice_url: str, shape: EventShape
) -> dict[str, Any]:
    """Walk the call in-process with ``--digits``; the last request Kazoo sent."""
    # Imported here: a first-request event needs none of the handlers.
    from pivotkit.local.event_recorder import EventRecorder
    from pivotkit.local.runtime import local_runtime
    from pivotkit.local.simulator import PivotTarget, Script, ScriptError, simulate

    try:
        script = Script.parse(args.digits)
    except ScriptError as exc:
        raise LookupError(f"--digits: {exc}") from None
    with local_runtime("memory", customer=args.customer) as runtime:
        recorder = EventRecorder(runtime, shape)
        target = PivotTarget(voice_url, args.method, args.body_format or "form")
        transcript = simulate(recorder, target, caller_of(args), script)
    if len(recorder.recorded) < 2:
        raise LookupError(
            f"the call made no request after the digits ({transcript.reason});"
            " drop --digits for the first request"
        )
    return dict(recorder.recorded[-1].event)


def _local_token(customer: str) -> str:
    """The token the local tools accept for ``customer``: what ``serve`` prints."""
    configured = os.environ.get("PIVOTKIT_TOKENS")
    if not configured:
        return local_token(customer)
    from pivotkit.customers import StaticTokens

    tokens = StaticTokens.from_json(configured).tokens_for(customer)
    return tokens[0] if tokens else ""


def _customer(text: str) -> str:
    if not _CUSTOMER.fullmatch(text):
        raise argparse.ArgumentTypeError("a customer slug is letters, digits, '-' and '_'")
    return text
