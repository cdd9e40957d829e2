"""``pivotkit kazoo webhook``: the account webhooks that tell a customer how its calls end.

Builds the Crossbar webhook documents (``PUT /v2/accounts/{ACCOUNT_ID}/webhooks``, one per
event: a Kazoo webhook has one ``hook``) whose ``uri`` is the customer's ``/hooks/<slug>``
route with its token. The fields are those of Kazoo's ``webhooks.json`` schema, the same on
4.3 and master: ``name``, ``uri``, ``hook``, ``http_verb`` (get, post or put), ``format``
(form-data or json), ``retries`` (0-4; Kazoo retries only when it cannot connect),
``include_internal_legs`` (off here: loopback legs inside Kazoo say nothing about the
caller) and ``custom_data`` (strings Kazoo merges into every event). Without --crossbar the
documents are printed; with it each is created, or updated when the account already has
the kit's webhook of that name (a second run adds no duplicate).
"""

from __future__ import annotations

import argparse
import json
import os
from collections.abc import Mapping, Sequence
from typing import Any

from pivotkit.call_events import CALL_EVENT_KINDS, CHANNEL_ANSWER, CHANNEL_CREATE, CHANNEL_DESTROY
from pivotkit.customers import Customer, derive_credentials
from pivotkit.errors import CallflowError
from pivotkit.local.commands.kazoo import (
    AUTH_TOKEN_ENV,
    TOKEN_ENV,
    CrossbarError,
    CrossbarTarget,
    Sent,
    UsageError,
    crossbar_request,
    crossbar_target,
    load_customer,
    print_or_send,
    redacting_stderr,
    url_under_route,
    with_token,
)

DEFAULT_EVENTS = (CHANNEL_CREATE, CHANNEL_ANSWER, CHANNEL_DESTROY)
VERBS = ("get", "post", "put")
FORMATS = ("form-data", "json")
MAX_RETRIES = 4  # webhooks.json
WEBHOOK_ROUTE = "/hooks/"

DESCRIPTION = """\
Print the Kazoo account webhooks (Crossbar documents, one per event) that send a customer's
call events to its /hooks/<customer> route with its token: channel_create, channel_answer
and channel_destroy by default. channel_destroy fires the customer's on_call_end and tells
`pivotkit calls show` how and when the call ended.

With --crossbar, --account-id and --auth-token the webhooks are created in that account
instead (or updated, when the account has the kit's webhook of the same name already).
Nothing printed then carries a token.

examples:
  pivotkit kazoo webhook --customer queue --url https://abc123.lambda-url.eu-west-1.on.aws
  pivotkit kazoo webhook --customer queue --stage dev --crossbar https://kazoo:8443 \\
      --account-id 4a6b8c0d2e4f60718293a4b5c6d7e8f9 --auth-token "$KAZOO_AUTH_TOKEN"
"""


NAME = "webhook"
PARENT = "kazoo"  # `pivotkit kazoo webhook`; commands.kazoo registers it
HELP = "print (or create with Crossbar) the call webhooks that point at the endpoint"


def register(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--customer", required=True, help="customer slug, e.g. acme")
    parser.add_argument(
        "--url",
        help="the customer's Function URL (or its /hooks/<customer> URL); default"
        " $PIVOTKIT_PUBLIC_URL, or the stack's with --stage",
    )
    parser.add_argument(
        "--token",
        help=f"the customer's token (default ${TOKEN_ENV}, $PIVOTKIT_TOKENS, or the stack's"
        " credentials secret with --stage)",
    )
    parser.add_argument(
        "--stage",
        help="a deployed stage (e.g. dev): read the URL and the token from the customer's"
        " stack pivotkit-<stage>-<customer> (AWS credentials from the environment)",
    )
    parser.add_argument(
        "--events",
        default=",".join(DEFAULT_EVENTS),
        metavar="EVENT[,EVENT...]",
        help=f"Kazoo hooks, of {', '.join(CALL_EVENT_KINDS)} (default: %(default)s)",
    )
    parser.add_argument("--http-verb", choices=VERBS, default="post", help="default post")
    parser.add_argument("--format", choices=FORMATS, default="json", help="default json")
    parser.add_argument(
        "--retries",
        type=int,
        default=2,
        help=f"attempts when Kazoo cannot connect (1-{MAX_RETRIES}, default 2)",
    )
    parser.add_argument(
        "--custom-data",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="a string Kazoo adds to every event (repeatable)",
    )
    parser.add_argument("--crossbar", help="Crossbar base URL, e.g. https://kazoo:8443")
    parser.add_argument("--account-id", help="Kazoo account id (32 hex characters)")
    parser.add_argument("--auth-token", help=f"Crossbar auth token (default ${AUTH_TOKEN_ENV})")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    secrets, fail = redacting_stderr(args)

    try:
        customer = load_customer(args.customer)
        target = crossbar_target(args, os.environ)
        url, token = _endpoint(args, customer, os.environ)
        if token is not None:
            secrets.append(token)
        documents = build_webhooks(args, customer, url, token, os.environ)
    except (UsageError, CallflowError) as error:
        fail(f"pivotkit kazoo webhook: {error}")
        return 2
    except StageError as error:
        fail(f"pivotkit kazoo webhook: {error}")
        return 1
    return print_or_send(documents, target, send_webhooks, secrets, fail)


class StageError(Exception):
    """The stage's stack or secret could not be read (exit status 1)."""


def _endpoint(
    args: argparse.Namespace, customer: Customer, environ: Mapping[str, str]
) -> tuple[str | None, str | None]:
    """The URL and token given, or read from the deployed stage's stack."""
    if args.stage is None:
        return args.url or environ.get("PIVOTKIT_PUBLIC_URL"), args.token
    url, token = stage_endpoint(args.stage, customer.slug)
    return args.url or url, args.token or token


def stage_endpoint(stage: str, slug: str) -> tuple[str, str]:
    """(Function URL, token) of ``slug`` on ``stage``: the stack's ``VoiceUrl`` output
    without its route, and the token of the seed in its ``CredentialsSecretArn``."""
    import boto3
    from botocore.exceptions import BotoCoreError, ClientError

    stack = f"pivotkit-{stage}-{slug.replace('_', '-')}"
    try:
        described = boto3.client("cloudformation").describe_stacks(StackName=stack)
        outputs = {
            o["OutputKey"]: o["OutputValue"] for o in described["Stacks"][0].get("Outputs", [])
        }
        voice_url, secret_arn = outputs["VoiceUrl"], outputs["CredentialsSecretArn"]
        value = boto3.client("secretsmanager").get_secret_value(SecretId=secret_arn)
        seed = json.loads(value["SecretString"])["seed"]
    except (BotoCoreError, ClientError) as error:
        raise StageError(f"cannot read stack {stack} or its credentials secret: {error}") from None
    except (KeyError, IndexError, TypeError, ValueError):
        raise StageError(
            f"stack {stack} has no VoiceUrl and CredentialsSecretArn outputs, or its secret"
            ' is not {"seed": ...}'
        ) from None
    return voice_url.removesuffix(f"/pivot/{slug}"), derive_credentials(seed).token


def build_webhooks(
    args: argparse.Namespace,
    customer: Customer,
    url: str | None,
    token: str | None,
    environ: Mapping[str, str],
) -> list[dict[str, Any]]:
    """One Crossbar request body (``{"data": {...}}``) per event."""
    uri = with_token(hooks_url_for(customer.slug, url), customer.slug, token, environ)
    if not 1 <= args.retries <= MAX_RETRIES:
        raise UsageError(f"--retries must be between 1 and {MAX_RETRIES}")
    custom_data = _custom_data(args.custom_data)
    documents = []
    for event in parse_events(args.events):
        data: dict[str, Any] = {
            "name": webhook_name(customer.slug, event),
            "uri": uri,
            "hook": event,
            "http_verb": args.http_verb,
            "retries": args.retries,
            "include_internal_legs": False,
            "include_subaccounts": False,
            "enabled": True,
        }
        if args.http_verb != "get":  # a GET has no body: Kazoo ignores format
            data["format"] = args.format
        if custom_data:
            data["custom_data"] = custom_data
        documents.append({"data": data})
    return documents


def webhook_name(slug: str, event: str) -> str:
    return f"pivotkit {slug} {event}"


def hooks_url_for(slug: str, url: str | None) -> str:
    """``https://host`` -> ``https://host/hooks/<slug>``; a full hooks URL stays as is."""
    return url_under_route(
        url,
        f"{WEBHOOK_ROUTE}{slug}",
        missing="no endpoint URL: pass --url (the customer's Function URL), --stage, or set"
        " PIVOTKIT_PUBLIC_URL",
        foreign=(WEBHOOK_ROUTE, "/pivot/"),
        mismatch=f"{slug}'s base or hooks URL",
    )


def parse_events(text: str) -> list[str]:
    events: list[str] = []
    for event in (part.strip() for part in text.split(",")):
        if not event:
            continue
        if event not in CALL_EVENT_KINDS:
            raise UsageError(
                f"--events: {event!r} is not a call event (one of {', '.join(CALL_EVENT_KINDS)})"
            )
        if event not in events:
            events.append(event)
    if not events:
        raise UsageError("--events needs at least one event")
    return events


def _custom_data(pairs: Sequence[str]) -> dict[str, str]:
    data: dict[str, str] = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key:
            raise UsageError(f"--custom-data takes KEY=VALUE, got {pair!r}")
        if key in ("type", "action"):  # Kazoo drops these before merging
            raise UsageError(f"--custom-data: Kazoo does not send the key {key!r}")
        data[key] = value
    return data


def send_webhooks(target: CrossbarTarget, documents: Sequence[Mapping[str, Any]]) -> Sent:
    """Create each webhook, or update the account's webhook of the same name (Crossbar's
    answers, one per webhook)."""
    url = target.callflows_url.removesuffix("/callflows") + "/webhooks"
    listing = crossbar_request(target, "GET", url)
    existing = listing.get("data") if isinstance(listing, dict) else None
    if not isinstance(existing, list):
        raise CrossbarError(f"{url} did not answer a list of webhooks")
    by_name = {w.get("name"): w for w in existing if isinstance(w, dict)}
    summaries: list[str] = []
    answers: list[Any] = []
    for document in documents:
        data = document["data"]
        known = by_name.get(data["name"])
        if known is None:
            answer = crossbar_request(target, "PUT", url, document)
            summaries.append(f"created webhook {_id(answer)} ({data['hook']})")
        else:
            hook_id = str(known.get("id", ""))
            if not hook_id.isalnum():
                raise CrossbarError(
                    f"Crossbar listed a webhook id that is not an id: {hook_id!r:.40}"
                )
            answer = crossbar_request(target, "POST", f"{url}/{hook_id}", document)
            summaries.append(f"updated webhook {hook_id} ({data['hook']})")
        answers.append(answer)
    return Sent(summaries, answers)


def _id(answer: Any) -> str:
    data = answer.get("data") if isinstance(answer, dict) else None
    return str(data.get("id", "?")) if isinstance(data, dict) else "?"
