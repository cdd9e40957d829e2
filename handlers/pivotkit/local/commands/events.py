"""``pivotkit events``: write a sample Lambda event for a customer's Pivot route.

The event is what AWS would hand the pivot function when Kazoo's pivot node calls the
customer's URL: Kazoo's parameters encoded exactly as Kazoo encodes them, wrapped in a REST
API (v1), HTTP API (v2) or Function URL event. Feed it to ``pivotkit replay`` or a test.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import uuid
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlencode

from pivotkit.continuation import sign_url
from pivotkit.customers import derive_credentials, token_signing_key
from pivotkit.local.events import DEFAULT_REGION, DEFAULT_STAGE, endpoint_url, lambda_event
from pivotkit.local.kazoo_encoding import KazooCall, pivot_http_request
from pivotkit.request import ACCOUNT_ID_PATTERN

DEFAULT_ACCOUNT_ID = "3a1f0e2d4c5b6a7980f1e2d3c4b5a697"
_CUSTOMER = re.compile(r"[A-Za-z0-9][A-Za-z0-9_-]{0,62}")


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "events",
        help="write a sample Lambda event for a Pivot request",
        description=(
            "Write the Lambda event AWS would deliver when a Kazoo pivot node calls the "
            "customer's Pivot URL: Kazoo's parameters encoded exactly as Kazoo encodes them, "
            "in a REST API (v1), HTTP API (v2) or Function URL event. Replay it with "
            "'pivotkit replay' or use it in a test."
        ),
    )
    parser.add_argument("--customer", required=True, type=_customer, help="customer slug")
    parser.add_argument(
        "--shape",
        choices=("v1", "v2", "url"),
        default="url",
        help="v1: API Gateway REST; v2: HTTP API; url: Lambda Function URL (default)",
    )
    parser.add_argument(
        "--method", choices=("get", "post"), default="get", help="the pivot node's method"
    )
    parser.add_argument(
        "--body-format",
        choices=("form", "json"),
        default="form",
        help="req_body_format of the pivot node (POST only)",
    )
    parser.add_argument(
        "--digits",
        action="append",
        type=_assignment,
        default=[],
        metavar="NAME=VALUE",
        help="a DTMF collection (repeatable): Digits[NAME]=VALUE",
    )
    parser.add_argument(
        "--user-id", action="append", default=[], help="owner of the calling device (repeatable)"
    )
    parser.add_argument(
        "--var",
        action="append",
        type=_assignment,
        default=[],
        metavar="KEY=VALUE",
        help="a custom application variable (repeatable)",
    )
    parser.add_argument("--step", help="continuation: the step to run")
    parser.add_argument("--seq", type=_non_negative, help="continuation: step sequence number")
    parser.add_argument("--hop", type=_non_negative, help="continuation: hop counter")
    parser.add_argument(
        "--collection",
        metavar="NAME",
        help="continuation: the collection the step reads its digits from (the g parameter)",
    )
    parser.add_argument("--token", help="the customer's secret (the token query parameter)")
    parser.add_argument(
        "--seed",
        help=(
            "a deployed customer's seed: its token (unless --token is given) and the key that"
            " signs the continuation; without it a continuation is signed with the key that"
            " goes with --token, as PIVOTKIT_TOKENS and the local tools do"
        ),
    )
    parser.add_argument("--call-id", help="Call-ID (default: a new random one)")
    parser.add_argument(
        "--account-id",
        type=_account_id,
        default=DEFAULT_ACCOUNT_ID,
        help=f"Kazoo Account-ID (default: {DEFAULT_ACCOUNT_ID})",
    )
    parser.add_argument("--caller-number", default="+14155550123", help="Caller-ID-Number")
    parser.add_argument("--region", default=DEFAULT_REGION, help="AWS region in the host name")
    parser.add_argument("--stage", default=DEFAULT_STAGE, help="REST API stage (v1 only)")
    parser.add_argument("--output", "-o", type=Path, help="write here instead of stdout")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    if args.body_format != "form" and args.method != "post":
        print("pivotkit events: --body-format applies to --method post only", file=sys.stderr)
        return 2
    credentials = derive_credentials(args.seed) if args.seed else None
    if args.token is None and credentials is not None:
        args.token = credentials.token
    if args.token is None:
        print(
            "pivotkit events: no --token given; the endpoint will answer 401 to this event",
            file=sys.stderr,
        )
    call = KazooCall(
        account_id=args.account_id,
        call_id=args.call_id or f"{uuid.uuid4().hex}@10.0.0.5",
        caller_id_number=args.caller_number,
        from_user=args.caller_number,
        user_ids=tuple(args.user_id),
        collections=dict(args.digits) if args.digits else None,
        custom_application_vars=dict(args.var),
    )
    continuation = {
        name: value
        for name, value in (
            ("token", args.token),
            ("step", args.step),
            ("hop", args.hop),
            ("seq", args.seq),
            ("g", args.collection),
        )
        if value is not None
    }
    voice_url = endpoint_url(args.shape, args.customer, region=args.region, stage=args.stage)
    if continuation:
        voice_url += "?" + urlencode(continuation, quote_via=quote)
    if args.token is not None and continuation.keys() - {"token"}:
        # A continuation the kit would accept: signed for this call (pivotkit.continuation).
        key = token_signing_key(args.token) if credentials is None else credentials.signing_key
        voice_url = sign_url(voice_url, key, account_id=call.account_id, call_id=call.call_id)
    request = pivot_http_request(
        call, voice_url, method=args.method, req_body_format=args.body_format
    )
    event = lambda_event(request, args.shape, stage=args.stage)
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


def _customer(text: str) -> str:
    if not _CUSTOMER.fullmatch(text):
        raise argparse.ArgumentTypeError("a customer slug is letters, digits, '-' and '_'")
    return text


def _assignment(text: str) -> tuple[str, str]:
    name, sep, value = text.partition("=")
    if not sep or not name:
        raise argparse.ArgumentTypeError(f"expected NAME=VALUE, got {text!r}")
    return name, value


def _non_negative(text: str) -> str:
    if not text.isdigit():
        raise argparse.ArgumentTypeError(f"expected a non-negative integer, got {text!r}")
    return text


def _account_id(text: str) -> str:
    if not ACCOUNT_ID_PATTERN.fullmatch(text):
        raise argparse.ArgumentTypeError("a Kazoo account id is 32 lower-case hex digits")
    return text
