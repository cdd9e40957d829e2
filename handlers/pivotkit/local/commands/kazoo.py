"""``pivotkit kazoo callflow``: point a Kazoo callflow at a customer's Pivot endpoint.

Builds the callflow document Crossbar stores: the numbers that route to it and a ``pivot``
node whose ``voice_url`` is the customer's endpoint with its token, ``req_format: kazoo``,
the request timeout, and a ``_`` fallback (an apology, then hang up) that Kazoo runs when the
endpoint fails or is too slow. The flow is checked against Kazoo's schemas when they are
available. Without --crossbar the Crossbar request body is printed; with it the callflow is
created with ``PUT /v2/accounts/{ACCOUNT_ID}/callflows`` and Crossbar's answer is printed.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import urllib.error
import urllib.request
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from pivotkit.callflow import hangup, pivot, tts
from pivotkit.callflow.control import PIVOT_MAX_TIMEOUT_MS
from pivotkit.customers import DEFAULT_FALLBACK_MESSAGE, SLUG_PATTERN, StaticTokens
from pivotkit.errors import CallflowError
from pivotkit.local.schemas import NOT_FOUND, load_schema_sets, validate_callflow
from pivotkit.request import ACCOUNT_ID_PATTERN

# callflows.json: each number is 1-36 characters and the list has no repeats.
MAX_NUMBER_LENGTH = 36
CROSSBAR_TIMEOUT_S = 15.0
TOKEN_ENV = "PIVOTKIT_TOKEN"  # noqa: S105 - a variable name, not a secret
AUTH_TOKEN_ENV = "KAZOO_AUTH_TOKEN"  # noqa: S105 - a variable name, not a secret


DESCRIPTION = """\
Print the callflow document Crossbar stores for a customer's Pivot endpoint: the numbers
that route to it and a pivot node whose voice_url is the endpoint with the customer's token,
req_format "kazoo", req_timeout_ms, and a "_" fallback (an apology, then hang up) that Kazoo
runs when the endpoint fails or is too slow. The flow is checked against Kazoo's schemas when
they are available (`pivotkit schemas fetch` gets them; `pivotkit schemas where` says which).

With --crossbar, --account-id and --auth-token the callflow is created instead, with
PUT /v2/accounts/{ACCOUNT_ID}/callflows, and Crossbar's answer is printed.

example:
  pivotkit kazoo callflow --customer acme --numbers 5551234 \\
      --url https://abc123.execute-api.eu-west-1.amazonaws.com --token "$TOKEN"
"""


class UsageError(ValueError):
    """The arguments cannot produce a callflow (said on stderr, exit status 2)."""


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "kazoo",
        help="point a Kazoo callflow at a Pivot endpoint",
        description="Work with the Kazoo side of a pivotkit endpoint.",
    )
    actions = parser.add_subparsers(dest="kazoo_command", metavar="ACTION", required=True)
    callflow = actions.add_parser(
        "callflow",
        help="print (or create with Crossbar) a callflow whose pivot node calls the endpoint",
        description=DESCRIPTION,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    callflow.add_argument("--customer", required=True, help="customer slug, e.g. acme")
    callflow.add_argument(
        "--numbers",
        action="append",
        required=True,
        metavar="NUMBER[,NUMBER...]",
        help="number(s) that route to the callflow (repeatable or comma-separated)",
    )
    callflow.add_argument(
        "--url",
        help="the endpoint's base URL (the stack's ApiUrl output) or the customer's voice_url;"
        " default $PIVOTKIT_PUBLIC_URL",
    )
    callflow.add_argument(
        "--token",
        help=f"the customer's token (default ${TOKEN_ENV}, else the first one for the customer"
        " in $PIVOTKIT_TOKENS); deployed: read it from the customer's tokens secret",
    )
    callflow.add_argument("--method", choices=("get", "post"), default="get")
    callflow.add_argument(
        "--body-format", choices=("form", "json"), help="req_body_format for --method post"
    )
    callflow.add_argument(
        "--timeout-ms",
        type=int,
        default=PIVOT_MAX_TIMEOUT_MS,
        help=f"req_timeout_ms, 1-{PIVOT_MAX_TIMEOUT_MS} (default {PIVOT_MAX_TIMEOUT_MS})",
    )
    callflow.add_argument("--name", help="callflow name (default: pivotkit <customer>)")
    callflow.add_argument(
        "--fallback-text",
        default=DEFAULT_FALLBACK_MESSAGE,
        help="what the caller hears when the endpoint fails, before Kazoo hangs up",
    )
    callflow.add_argument("--crossbar", help="Crossbar base URL, e.g. https://kazoo:8443")
    callflow.add_argument("--account-id", help="Kazoo account id (32 hex characters)")
    callflow.add_argument("--auth-token", help=f"Crossbar auth token (default ${AUTH_TOKEN_ENV})")
    callflow.set_defaults(func=run)


@dataclass(frozen=True)
class CrossbarTarget:
    base_url: str
    account_id: str
    auth_token: str

    @property
    def callflows_url(self) -> str:
        base = self.base_url.rstrip("/")
        if not base.endswith("/v2"):
            base += "/v2"
        return f"{base}/accounts/{self.account_id}/callflows"


def run(args: argparse.Namespace) -> int:
    try:
        document = build_document(args, os.environ)
        target = crossbar_target(args, os.environ)
    except (UsageError, CallflowError) as error:
        print(f"pivotkit kazoo callflow: {error}", file=sys.stderr)
        return 2
    errors = schema_errors(document["data"]["flow"])
    if errors is None:
        print(f"note: the flow was not validated: {NOT_FOUND}", file=sys.stderr)
    elif errors:
        print("the callflow does not validate against Kazoo's schemas:", file=sys.stderr)
        for problem in errors:
            print(f"  {problem}", file=sys.stderr)
        return 1
    if target is None:
        print(json.dumps(document, indent=2))
        return 0
    return put_callflow(target, document)


def build_document(args: argparse.Namespace, environ: Mapping[str, str]) -> dict[str, Any]:
    """The Crossbar request body: ``{"data": {"name", "numbers", "flow"}}``."""
    customer = args.customer
    if not SLUG_PATTERN.match(customer):
        raise UsageError(f"{customer!r} is not a customer slug")
    voice_url = voice_url_for(customer, args.url or environ.get("PIVOTKIT_PUBLIC_URL"))
    voice_url = with_token(voice_url, customer, args.token or environ.get(TOKEN_ENV), environ)
    if args.body_format is not None and args.method != "post":
        raise UsageError("--body-format applies to --method post only")
    node = pivot(
        voice_url,
        method=args.method,
        req_body_format=args.body_format,
        req_timeout_ms=args.timeout_ms,
    )
    # Runs only when the request fails or times out: a successful answer replaces the flow.
    node.then(tts(args.fallback_text).then(hangup()))
    return {
        "data": {
            "name": args.name or f"pivotkit {customer}",
            "numbers": parse_numbers(args.numbers),
            "flow": node.to_dict(),
        }
    }


def voice_url_for(customer: str, url: str | None) -> str:
    """``https://host`` -> ``https://host/pivot/<customer>``; a full voice_url stays as is."""
    if not url:
        raise UsageError(
            "no endpoint URL: pass --url (the stack's ApiUrl output) or set PIVOTKIT_PUBLIC_URL"
        )
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise UsageError(f"--url must be an absolute http(s) URL, got {url!r}")
    path = parts.path.rstrip("/")
    route = f"/pivot/{customer}"
    if not path.endswith(route):
        if "/pivot/" in f"{path}/":
            raise UsageError(f"--url {url!r} is not {customer}'s endpoint (…{route})")
        path += route
    return urlunsplit((parts.scheme, parts.netloc, path, parts.query, ""))


def with_token(url: str, customer: str, token: str | None, environ: Mapping[str, str]) -> str:
    """Add ``token=...`` to the query (Kazoo keeps a voice_url's query on GET and POST)."""
    parts = urlsplit(url)
    query = parse_qsl(parts.query, keep_blank_values=True)
    if any(key == "token" for key, _ in query):
        if token is not None:
            raise UsageError("the URL already carries a token; drop --token or the URL's")
        return url
    if token is None:
        local = environ.get("PIVOTKIT_TOKENS")
        tokens = StaticTokens.from_json(local).tokens_for(customer) if local else ()
        if not tokens:
            raise UsageError(
                f"no token for {customer}: pass --token or set {TOKEN_ENV}; deployed, read it"
                f" with `aws secretsmanager get-secret-value --secret-id <{customer}'s"
                " TokensSecret output> --query SecretString --output text`"
            )
        token = tokens[0]
    query.append(("token", token))
    return urlunsplit((parts.scheme, parts.netloc, parts.path, urlencode(query), ""))


def parse_numbers(values: Sequence[str]) -> list[str]:
    numbers: list[str] = []
    for value in values:
        for number in (part.strip() for part in value.split(",")):
            if not number:
                continue
            if len(number) > MAX_NUMBER_LENGTH:
                raise UsageError(f"number {number!r} is over {MAX_NUMBER_LENGTH} characters")
            if number not in numbers:
                numbers.append(number)
    if not numbers:
        raise UsageError("--numbers needs at least one number")
    return numbers


def crossbar_target(args: argparse.Namespace, environ: Mapping[str, str]) -> CrossbarTarget | None:
    auth_token = args.auth_token or environ.get(AUTH_TOKEN_ENV)
    if args.crossbar is None:
        if args.account_id is not None or args.auth_token is not None:
            raise UsageError("--account-id and --auth-token go with --crossbar")
        return None
    parts = urlsplit(args.crossbar)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise UsageError(f"--crossbar must be an absolute http(s) URL, got {args.crossbar!r}")
    if args.account_id is None or not ACCOUNT_ID_PATTERN.fullmatch(args.account_id):
        raise UsageError("--crossbar needs --account-id, 32 lower-case hex characters")
    if not auth_token:
        raise UsageError(f"--crossbar needs --auth-token (or ${AUTH_TOKEN_ENV})")
    return CrossbarTarget(args.crossbar, args.account_id, auth_token)


def schema_errors(flow: Mapping[str, Any]) -> list[str] | None:
    """Kazoo's verdict on the flow on every schema line found (``None``: no schemas)."""
    if not load_schema_sets():
        return None
    return validate_callflow(flow)


def put_callflow(target: CrossbarTarget, document: Mapping[str, Any]) -> int:
    request = urllib.request.Request(  # noqa: S310 - the scheme is checked to be http(s)
        target.callflows_url,
        data=json.dumps(document).encode("utf-8"),
        method="PUT",
        headers={
            "Content-Type": "application/json",
            "Accept": "application/json",
            "X-Auth-Token": target.auth_token,
        },
    )
    try:
        with urllib.request.urlopen(request, timeout=CROSSBAR_TIMEOUT_S) as response:  # noqa: S310
            body = response.read().decode("utf-8", "replace")
    except urllib.error.HTTPError as error:
        detail = error.read().decode("utf-8", "replace")[:2000]
        print(f"Crossbar answered {error.code} {error.reason}: {detail}", file=sys.stderr)
        return 1
    except (urllib.error.URLError, TimeoutError) as error:
        print(f"cannot reach Crossbar at {target.callflows_url}: {error}", file=sys.stderr)
        return 1
    print(body)
    return 0
