"""``pivotkit stats``: where callers go in your IVR, from the call state DynamoDB keeps.

For each customer (or --customer SLUG) every call record is read with a Scan and its trail
summarised as a funnel: calls entering each step, what they pressed there, time spent, and
where calls left (hung up waiting, or handed to a bridge, mailbox or hang-up). Trails exist
for flows built with Flow(track_path=True). See pivotkit.local.stats for the definitions.

Against the embedded AWS of a running `pivotkit serve` (its banner prints the address):
  pivotkit stats --endpoint http://127.0.0.1:PORT --customer survey
Against a deployed table (AWS credentials and region from the environment):
  pivotkit stats --table pivotkit-prod-state --customer survey

A Scan reads the whole table; run it off-peak on large tables (--page-size spreads it out).
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import socket
import sys
import time
from collections.abc import Callable, Iterator, Sequence
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from pivotkit.errors import PivotkitError
from pivotkit.local.stats import Funnel, funnel, render

if TYPE_CHECKING:
    from mypy_boto3_dynamodb.client import DynamoDBClient

    from pivotkit.state import CallRecord

# An operator's Scan may read pages of a megabyte: far more patience than a Pivot request.
SCAN_CONNECT_TIMEOUT_SECONDS = 5.0
SCAN_READ_TIMEOUT_SECONDS = 30.0
SCAN_BUDGET_SECONDS = 300.0
PROBE_TIMEOUT_SECONDS = 1.0  # the embedded AWS is on this machine: it answers at once or never


HELP = "IVR analytics: a funnel per step, from stored call state"


def register(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--customer", metavar="SLUG", help="only this customer (default: all)")
    parser.add_argument(
        "--table", help="state table name (default: $PIVOTKIT_STATE_TABLE, or the embedded one)"
    )
    parser.add_argument(
        "--endpoint", metavar="URL", help="the embedded AWS of a running `pivotkit serve`"
    )
    parser.add_argument(
        "--active-seconds",
        type=float,
        default=300.0,
        help="a call waiting on a step for less than this may still be going on (default 300)",
    )
    parser.add_argument("--page-size", type=int, help="items per Scan page (spreads the read)")
    parser.add_argument("--json", action="store_true", help="print the funnels as JSON")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from pivotkit.local.runtime import UnknownCustomer, find_customers

    try:
        customers = find_customers(args.customer)
    except UnknownCustomer as exc:
        print(f"pivotkit stats: {exc}", file=sys.stderr)
        return 2
    table = args.table or os.environ.get("PIVOTKIT_STATE_TABLE")
    if table is None and args.endpoint is not None:
        from pivotkit.local.embedded_aws import LocalResources

        table = LocalResources().state_table
    if table is None:
        print(
            "pivotkit stats: which table? Give --table (or set PIVOTKIT_STATE_TABLE), or "
            "--endpoint for the embedded AWS of `pivotkit serve`",
            file=sys.stderr,
        )
        return 2
    if args.endpoint is not None:
        problem = _unreachable(args.endpoint)
        if problem is not None:
            # Said at once: the store's retries would otherwise spend their whole budget on a
            # port where nothing listens, silently.
            print(
                f"pivotkit stats: nothing answers at {args.endpoint} ({problem}); is"
                " `pivotkit serve` running? Its banner prints the embedded AWS address",
                file=sys.stderr,
            )
            return 1
    from botocore.exceptions import BotoCoreError

    now = time.time()
    funnels: list[Funnel] = []
    try:
        with _store(table, args.endpoint, args.page_size) as read:
            for slug, customer in sorted(customers.items()):
                funnels.append(
                    funnel(
                        slug,
                        read(slug),
                        now=now,
                        active_seconds=args.active_seconds,
                        step_order=customer.flow.step_names if customer.flow.track_path else (),
                        input_sensitive=customer.flow.input_sensitive,
                    )
                )
    except (PivotkitError, BotoCoreError) as exc:
        print(f"pivotkit stats: cannot read the state table: {exc}", file=sys.stderr)
        return 1
    if args.json:
        print(json.dumps([f.to_json() for f in funnels], indent=2))
    else:
        print("\n\n".join(render(f) for f in funnels if f.calls or f.untracked or args.customer))
    return 0


Reader = Callable[[str], Sequence["CallRecord"]]


def _unreachable(endpoint: str) -> str | None:
    """Why nothing can be reached at ``endpoint`` (a quick TCP connect), or ``None``."""
    parts = urlsplit(endpoint)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return "not an http(s) URL"
    try:
        port = parts.port or (443 if parts.scheme == "https" else 80)
    except ValueError:
        return "not a valid port"
    try:
        with socket.create_connection((parts.hostname, port), timeout=PROBE_TIMEOUT_SECONDS):
            return None
    except OSError as exc:
        return exc.strerror or str(exc)


@contextlib.contextmanager
def _store(table: str, endpoint: str | None, page_size: int | None) -> Iterator[Reader]:
    """A function reading one customer's records from ``table`` (embedded AWS or real)."""
    from pivotkit.aws.dynamodb_state import DynamoDBStateStore, RetryPolicy
    from pivotkit.local.embedded_aws import OFFLINE_CREDENTIALS, applied_environment

    settings: dict[str, str] = {}
    if endpoint is not None:
        settings = {**OFFLINE_CREDENTIALS, "AWS_ENDPOINT_URL_DYNAMODB": endpoint}
    with applied_environment(settings) if settings else contextlib.nullcontext():
        store = DynamoDBStateStore(
            _scan_client(),
            table,
            retry=RetryPolicy(
                max_attempts=8,
                budget_seconds=SCAN_BUDGET_SECONDS,
                attempt_timeout_seconds=SCAN_CONNECT_TIMEOUT_SECONDS + SCAN_READ_TIMEOUT_SECONDS,
                base_delay_seconds=0.2,
                max_delay_seconds=5.0,
            ),
        )

        def read(slug: str) -> Sequence[CallRecord]:
            return list(store.scan_customer(slug, page_size=page_size))

        yield read


def _scan_client() -> DynamoDBClient:
    import boto3.session
    from botocore.config import Config

    from pivotkit.aws.settings import region_from_env

    config = Config(
        connect_timeout=SCAN_CONNECT_TIMEOUT_SECONDS,
        read_timeout=SCAN_READ_TIMEOUT_SECONDS,
        retries={"mode": "standard", "total_max_attempts": 1},  # the store retries
        region_name=region_from_env(),
    )
    return boto3.session.Session().client("dynamodb", config=config)
