"""``pivotkit kazoo callflow``: point a Kazoo callflow at a customer's Pivot endpoint.

(``pivotkit kazoo webhook``, the call webhooks, is ``pivotkit.local.commands.kazoo_webhook``.)

Builds the callflow document Crossbar stores: the numbers that route to it and a ``pivot``
node whose ``voice_url`` is the customer's endpoint with its token, ``req_format: kazoo``, and
the customer's own ``request_timeout_ms`` and fallback (its message, then its fallback target),
the same as on every pivot node the kit emits later in the call: the first request is the one
most likely to meet a cold start, so it must fail over like the others. The flow is checked
against Kazoo's schemas when they are available. Without --crossbar the Crossbar request body
is printed. With it, the callflow already holding one of the numbers is updated (``POST
/v2/accounts/{ACCOUNT_ID}/callflows/{ID}``) or, when there is none, one is created (``PUT``);
a second run never adds a duplicate. Nothing printed in that mode carries a token.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import sys
import urllib.error
import urllib.request
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from pivotkit.callflow import Node, pivot, tts
from pivotkit.callflow.types import check_http_url
from pivotkit.customers import Customer, StaticTokens
from pivotkit.errors import CallflowError
from pivotkit.local.commands import (
    add_command,
    add_module_command,
    add_pivot_node_arguments,
    body_format_error,
)
from pivotkit.local.runtime import UnknownCustomer, find_customers
from pivotkit.local.schemas import NOT_FOUND, load_schema_sets, validate_callflow
from pivotkit.request import ACCOUNT_ID_PATTERN

# callflows.json: each number is 1-36 characters and the list has no repeats.
MAX_NUMBER_LENGTH = 36
CROSSBAR_TIMEOUT_S = 15.0
MAX_ANSWER_BYTES = 8 * 1024 * 1024
MAX_PAGES = 200  # Crossbar pages 50 documents: 10,000 callflows is far beyond one account
TOKEN_ENV = "PIVOTKIT_TOKEN"  # noqa: S105 - a variable name, not a secret
AUTH_TOKEN_ENV = "KAZOO_AUTH_TOKEN"  # noqa: S105 - a variable name, not a secret
REDACTED = "<redacted>"
MIN_LITERAL_SECRET = 8
# Crossbar documents are 32 hex characters, like accounts; an id goes into a URL path.
_DOCUMENT_ID = ACCOUNT_ID_PATTERN
# A token in a URL's query and Crossbar's envelope field (every answer echoes the auth token).
_QUERY_TOKEN = re.compile(r"([?&]token=)[^&#\s\"']+")
_AUTH_TOKEN_FIELD = re.compile(r'("auth_token"\s*:\s*)"[^"]*"')


CALLFLOW_DESCRIPTION = """\
Print the callflow document Crossbar stores for a customer's Pivot endpoint: the numbers
that route to it and a pivot node whose voice_url is the endpoint with the customer's token,
req_format "kazoo", and the customer's own req_timeout_ms and "_" fallback (its fallback
message, then its fallback target), as on every later pivot node of the call. The flow is
checked against Kazoo's schemas when they are available (`pivotkit schemas fetch` gets them).
The printed document carries the customer's token in voice_url: it is what Crossbar stores.

With --crossbar, --account-id and --auth-token the callflow is sent to Crossbar instead: the
callflow already holding one of the numbers is updated (it must be a pivot callflow), else
one is created. Nothing printed then carries a token.

example:
  pivotkit kazoo callflow --customer acme --numbers 5551234 \\
      --url https://abc123.execute-api.eu-west-1.amazonaws.com --token "$TOKEN"
"""


class UsageError(ValueError):
    """The arguments cannot produce a callflow (said on stderr, exit status 2)."""


HELP = "point a Kazoo callflow at a Pivot endpoint"
DESCRIPTION = "Work with the Kazoo side of a pivotkit endpoint."


def register(parser: argparse.ArgumentParser) -> None:
    actions = parser.add_subparsers(dest="kazoo_command", metavar="ACTION", required=True)
    callflow = add_command(
        actions,
        "callflow",
        help="print (or create with Crossbar) a callflow whose pivot node calls the endpoint",
        description=CALLFLOW_DESCRIPTION,
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
    add_pivot_node_arguments(callflow)
    callflow.add_argument("--name", help="callflow name (default: pivotkit <customer>)")
    callflow.add_argument(
        "--crossbar",
        help="Crossbar base URL, e.g. https://kazoo:8443: create the callflow, or update the"
        " one already holding these numbers",
    )
    callflow.add_argument("--account-id", help="Kazoo account id (32 hex characters)")
    callflow.add_argument("--auth-token", help=f"Crossbar auth token (default ${AUTH_TOKEN_ENV})")
    callflow.set_defaults(func=run)
    from pivotkit.local.commands import kazoo_webhook  # it builds on this module's helpers

    add_module_command(actions, kazoo_webhook)


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


def redacting_stderr(args: argparse.Namespace) -> tuple[list[str], Callable[[str], None]]:
    """The tokens a Crossbar command must keep out of what it prints (a list the command
    may add to), and a printer to stderr that blanks them."""
    secrets = [t for t in (args.token, os.environ.get(TOKEN_ENV), args.auth_token) if t]
    secrets.append(os.environ.get(AUTH_TOKEN_ENV) or "")

    def fail(message: str) -> None:
        print(redact(message, secrets), file=sys.stderr)

    return secrets, fail


def run(args: argparse.Namespace) -> int:
    secrets, fail = redacting_stderr(args)

    try:
        customer = load_customer(args.customer)
        document = build_document(args, customer, os.environ)
        target = crossbar_target(args, os.environ)
    except (UsageError, CallflowError) as error:
        fail(f"pivotkit kazoo callflow: {error}")
        return 2
    errors = schema_errors(document["data"]["flow"])
    if errors is None:
        print(f"note: the flow was not validated: {NOT_FOUND}", file=sys.stderr)
    elif errors:
        fail("the callflow does not validate against Kazoo's schemas:")
        for problem in errors:
            fail(f"  {problem}")
        return 1
    return print_or_send(document, target, send_callflow, secrets, fail)


@dataclass(frozen=True)
class Sent:
    """What a Crossbar command did: a line per document sent, and Crossbar's answer."""

    summaries: list[str]
    answer: Any


def print_or_send(
    documents: Any,
    target: CrossbarTarget | None,
    send: Callable[[CrossbarTarget, Any], Sent],
    secrets: Sequence[str],
    fail: Callable[[str], None],
) -> int:
    """The end of a Crossbar command: without --crossbar the documents as built (their
    token included: it is what Crossbar stores); with it, what ``send`` did on stderr and
    Crossbar's answer, redacted. Exit status 1 when Crossbar could not take them."""
    if target is None:
        print(json.dumps(documents, indent=2))
        return 0
    try:
        sent = send(target, documents)
    except CrossbarError as error:
        fail(str(error))
        return 1
    for summary in sent.summaries:
        print(summary, file=sys.stderr)
    print(redact(json.dumps(sent.answer, indent=2), secrets))
    return 0


def load_customer(slug: str) -> Customer:
    """The customer package ``slug``; a typo gets the closest names instead of a callflow."""
    try:
        return find_customers(slug)[slug]
    except UnknownCustomer as error:
        raise UsageError(str(error)) from None


def build_document(
    args: argparse.Namespace, customer: Customer, environ: Mapping[str, str]
) -> dict[str, Any]:
    """The Crossbar request body: ``{"data": {"name", "numbers", "flow"}}``."""
    slug = customer.slug
    voice_url = voice_url_for(slug, args.url or environ.get("PIVOTKIT_PUBLIC_URL"))
    voice_url = with_token(voice_url, slug, args.token or environ.get(TOKEN_ENV), environ)
    problem = body_format_error(args)
    if problem is not None:
        raise UsageError(problem)
    node = pivot(
        voice_url,
        method=args.method,
        req_body_format=args.body_format,
        req_timeout_ms=customer.request_timeout_ms,
    )
    # Runs only when the request fails or times out: a successful answer replaces the flow.
    node.then(first_fallback(customer))
    return {
        "data": {
            "name": args.name or f"pivotkit {slug}",
            "numbers": parse_numbers(args.numbers),
            "flow": node.to_dict(),
        }
    }


def first_fallback(customer: Customer) -> Node:
    """The fallback ``Call.fallback`` gives every later pivot node: message, then target."""
    return tts(customer.fallback_message).then(customer.fallback_target())


def url_under_route(
    url: str | None, route: str, *, missing: str, foreign: tuple[str, ...], mismatch: str
) -> str:
    """``--url`` with its path ending in ``route`` and no fragment: a base URL gets ``route``
    appended, a URL already ending in it stays; one under any ``foreign`` route is refused as
    not ``mismatch``, an absent one with ``missing``. Kazoo checks a webhook uri as it checks
    a voice_url, so both follow the builder's rule (scheme, Kazoo's host blacklist, no
    userinfo), said about --url."""
    if not url:
        raise UsageError(missing)
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise UsageError(f"--url must be an absolute http(s) URL, got {url!r}")
    path = parts.path.rstrip("/")
    if not path.endswith(route):
        if any(other in f"{path}/" for other in foreign):
            raise UsageError(f"--url {url!r} is not {mismatch} (…{route})")
        path += route
    return check_http_url("--url", urlunsplit((parts.scheme, parts.netloc, path, parts.query, "")))


def voice_url_for(customer: str, url: str | None) -> str:
    """``https://host`` -> ``https://host/pivot/<customer>``; a full voice_url stays as is."""
    return url_under_route(
        url,
        f"/pivot/{customer}",
        missing="no endpoint URL: pass --url (the stack's ApiUrl output) or set"
        " PIVOTKIT_PUBLIC_URL",
        foreign=("/pivot/",),
        mismatch=f"{customer}'s endpoint",
    )


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


class CrossbarError(Exception):
    """Crossbar could not take the callflow (said on stderr, redacted; exit status 1)."""


def send_callflow(target: CrossbarTarget, document: Mapping[str, Any]) -> Sent:
    """Update the callflow already holding one of the numbers, else create one.

    Returns Crossbar's answer and a line saying what was done. Refuses to guess when the
    numbers are spread over several callflows, and never rewrites a callflow that is not a
    pivot callflow (someone else's routing).
    """
    numbers: list[str] = document["data"]["numbers"]
    holders = [cf for cf in list_callflows(target) if set(cf.get("numbers") or ()) & set(numbers)]
    if not holders:
        answer = crossbar_request(target, "PUT", target.callflows_url, document)
        created = _data(answer).get("id", "?")
        return Sent([f"created callflow {created} for {', '.join(numbers)}"], answer)
    if len(holders) > 1:
        ids = ", ".join(f"{cf.get('id')} ({cf.get('name', '')})" for cf in holders)
        raise CrossbarError(
            f"the numbers are on {len(holders)} callflows ({ids}); refusing to guess which to"
            " update: pass the numbers of one callflow"
        )
    callflow_id = str(holders[0].get("id", ""))
    if not _DOCUMENT_ID.fullmatch(callflow_id):
        raise CrossbarError(
            f"Crossbar listed a callflow id that is not 32 hex characters: {callflow_id!r:.40}"
        )
    url = f"{target.callflows_url}/{callflow_id}"
    existing = _data(crossbar_request(target, "GET", url))
    module = (existing.get("flow") or {}).get("module")
    if module != "pivot":
        raise CrossbarError(
            f"callflow {callflow_id} ({existing.get('name', '')}) already routes these numbers"
            f" to {module!r}, not to a pivot endpoint; not overwriting it: free the numbers"
            " first or choose others"
        )
    # POST replaces the whole document: keep what the kit does not set (a featurecode, a
    # contact list) rather than PATCH, whose deep merge would keep stale keys of the old flow.
    updated = {**existing, **document["data"]}
    answer = crossbar_request(target, "POST", url, {"data": updated})
    summary = f"updated callflow {callflow_id} for {', '.join(numbers)}"
    dropped = [n for n in existing.get("numbers") or () if n not in numbers]
    if dropped:
        summary += f" (no longer routes {', '.join(dropped)})"
    return Sent([summary], answer)


def list_callflows(target: CrossbarTarget) -> list[dict[str, Any]]:
    """Every callflow of the account, following Crossbar's pages (``next_start_key``)."""
    found: list[dict[str, Any]] = []
    query: dict[str, str] = {}
    for _ in range(MAX_PAGES):
        url = target.callflows_url + (f"?{urlencode(query)}" if query else "")
        answer = crossbar_request(target, "GET", url)
        page = answer.get("data") if isinstance(answer, dict) else None
        if not isinstance(page, list):
            raise CrossbarError(f"{target.callflows_url} did not answer a list of callflows")
        found.extend(cf for cf in page if isinstance(cf, dict))
        next_key = answer.get("next_start_key")
        if next_key is None:
            return found
        query = {"start_key": json.dumps(next_key) if not isinstance(next_key, str) else next_key}
    raise CrossbarError(f"{target.callflows_url} has more than {MAX_PAGES} pages of callflows")


def crossbar_request(
    target: CrossbarTarget, method: str, url: str, body: Mapping[str, Any] | None = None
) -> Any:
    request = urllib.request.Request(  # noqa: S310 - the scheme is checked to be http(s)
        url,
        data=None if body is None else json.dumps(body).encode("utf-8"),
        method=method,
        headers={
            "Content-Type": "application/json",
            "Accept": "application/json",
            "X-Auth-Token": target.auth_token,
        },
    )
    try:
        with urllib.request.urlopen(request, timeout=CROSSBAR_TIMEOUT_S) as response:  # noqa: S310
            raw = response.read(MAX_ANSWER_BYTES)
    except urllib.error.HTTPError as error:
        detail = error.read(2000).decode("utf-8", "replace")
        raise CrossbarError(
            f"Crossbar answered {method} {url} with {error.code} {error.reason}: {detail}"
        ) from None
    except (urllib.error.URLError, TimeoutError) as error:
        raise CrossbarError(f"cannot reach Crossbar at {url}: {error}") from None
    try:
        return json.loads(raw)
    except (UnicodeDecodeError, json.JSONDecodeError):
        raise CrossbarError(f"Crossbar answered {method} {url} with something not JSON") from None


def _data(answer: Any) -> dict[str, Any]:
    data = answer.get("data") if isinstance(answer, dict) else None
    if not isinstance(data, dict):
        raise CrossbarError("Crossbar answered without a callflow in data")
    return data


def redact(text: str, secrets: Sequence[str]) -> str:
    """``text`` without tokens: the given secrets, ``token=`` in URLs, Crossbar's auth_token."""
    # A very short "secret" would blank ordinary words; the patterns below still catch it.
    for secret in sorted(
        (s for s in secrets if len(s) >= MIN_LITERAL_SECRET), key=len, reverse=True
    ):
        text = text.replace(secret, REDACTED)
    text = _QUERY_TOKEN.sub(rf"\1{REDACTED}", text)
    return _AUTH_TOKEN_FIELD.sub(rf'\1"{REDACTED}"', text)
