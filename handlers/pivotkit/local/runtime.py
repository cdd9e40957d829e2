"""The deployed functions, assembled in this process: what serve, replay and call share.

A ``Backend`` says where state and media live: ``embedded`` (moto on 127.0.0.1, the
default), ``memory`` (the in-memory stores, nothing else started) or ``aws`` (whatever the
environment's AWS settings name). Either way the handlers are built by the same
composition roots as in Lambda (``make_pivot_handler``/``make_media_handler``) from an
environment mapping, so local runs exercise the deployed code paths.
"""

from __future__ import annotations

import contextlib
import dataclasses
import difflib
import os
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal, TypeAlias

from pivotkit.callflow.loopback import allow_loopback_urls
from pivotkit.customers import SLUG_PATTERN, Customer, customer_modules, discover_customers
from pivotkit.http import LambdaHandler
from pivotkit.local.clock import LocalClock
from pivotkit.local.embedded_aws import EmbeddedAws, applied_environment, in_process_aws
from pivotkit.local.server import ErrorCodes, LocalGateway
from pivotkit.local.tokens import local_tokens, tokens_json

if TYPE_CHECKING:
    from pivotkit.journal import CallJournal

Backend: TypeAlias = Literal["embedded", "memory", "aws"]
Validate: TypeAlias = Callable[[Mapping[str, Any]], list[str]]

# Settings that select AWS resources; the in-memory backend must not inherit them.
_RESOURCE_SETTINGS = (
    "PIVOTKIT_STATE_TABLE",
    "PIVOTKIT_MEDIA_BUCKET",
    "PIVOTKIT_TOKENS_SECRETS",
    "PIVOTKIT_SECRETS",
)


@dataclass
class LocalRuntime:
    """The customers served, their tokens and the Lambda handlers answering for them."""

    customers: Mapping[str, Customer]
    tokens: Mapping[str, tuple[str, ...]]  # empty when tokens come from Secrets Manager
    functions: dict[str, LambdaHandler]
    backend: Backend
    backend_detail: str
    environment: dict[str, str] = field(default_factory=dict)
    # The time the handlers' steps see (call.now()): see pivotkit.local.clock.
    clock: LocalClock = field(default_factory=LocalClock)
    # What the functions report each answer's error code to (the gateway's request log).
    error_codes: ErrorCodes = field(default_factory=ErrorCodes)
    # The call journal the functions write (serve on the embedded AWS), else None.
    journal: CallJournal | None = None

    def gateway(self, **options: Any) -> LocalGateway:
        """A gateway routing to these functions, keeping their tokens out of logs."""
        return LocalGateway(
            functions=self.functions,
            secrets=[t for ts in self.tokens.values() for t in ts],
            customers=frozenset(self.customers),
            entry_steps={slug: c.flow.entry for slug, c in self.customers.items()},
            error_codes=self.error_codes,
            **options,
        )

    def token_for(self, slug: str) -> str | None:
        found = self.tokens.get(slug, ())
        return found[0] if found else None


@contextlib.contextmanager
def local_runtime(
    backend: Backend = "embedded",
    *,
    customer: str | None = None,
    in_process_moto: bool = False,
    environ: Mapping[str, str] | None = None,
    clock: LocalClock | None = None,
    stage: str | None = None,
    journal: bool = False,
) -> Iterator[LocalRuntime]:
    """Build the functions on ``backend`` and keep the backend up for the block.

    ``clock`` is the time the Pivot handler's steps see (default: the system clock's);
    ``stage`` whose configuration files ``call.config`` reads (default: ``PIVOTKIT_STAGE``,
    else dev). A customer's bad configuration raises ``ConfigError`` here, before any call.

    ``in_process_moto`` uses moto's ``mock_aws`` instead of its server for the embedded
    backend (replay: no socket, nothing to stop). The process environment is adjusted for
    boto3 (endpoints, dummy credentials) while the block runs and restored afterwards.

    ``journal`` (serve): on the embedded backend, the call journal goes into its CloudWatch
    Logs, in the log group of each customer's deployed function (``journal_logs``).
    """
    base = dict(os.environ if environ is None else environ)
    customers = find_customers(customer)
    with _backend(backend, in_process_moto) as (aws_settings, detail):
        handler_env = _handler_environment(base, backend, aws_settings, customer)
        if stage is not None:
            handler_env["PIVOTKIT_STAGE"] = stage
        tokens: Mapping[str, tuple[str, ...]] = {}
        if not handler_env.get("PIVOTKIT_TOKENS_SECRETS"):
            tokens = local_tokens(customers, base)
            handler_env["PIVOTKIT_TOKENS"] = tokens_json(tokens)
        _forget_cached_clients()
        local_clock = clock or LocalClock()
        call_journal = None
        if journal and backend == "embedded" and not in_process_moto:
            from pivotkit.local.journal_logs import serve_journal

            call_journal = serve_journal(
                handler_env,
                handler_env.get("PIVOTKIT_STAGE") or "dev",
                customers,
                [t for ts in tokens.values() for t in ts],
            )
        error_codes = ErrorCodes()
        yield LocalRuntime(
            customers=customers,
            tokens=tokens,
            functions=build_functions(
                handler_env, clock=local_clock, journal=call_journal, error_codes=error_codes
            ),
            backend=backend,
            backend_detail=detail,
            environment=handler_env,
            clock=local_clock,
            error_codes=error_codes,
            journal=call_journal,
        )
    _forget_cached_clients()


@contextlib.contextmanager
def _backend(backend: Backend, in_process_moto: bool) -> Iterator[tuple[dict[str, str], str]]:
    if backend == "memory":
        yield {}, "in-memory state and media (nothing persists)"
    elif backend == "aws":
        yield {}, "AWS as configured by the environment (AWS_* settings)"
    elif in_process_moto:
        with in_process_aws() as settings:
            yield settings, "moto in process (mock_aws)"
    else:
        with EmbeddedAws() as aws, applied_environment(aws.environment()):
            yield aws.environment(), f"embedded AWS (moto) at {aws.endpoint}"


def _handler_environment(
    base: Mapping[str, str], backend: Backend, aws_settings: Mapping[str, str], customer: str | None
) -> dict[str, str]:
    env = dict(base)
    if backend != "aws":
        for name in _RESOURCE_SETTINGS:
            env.pop(name, None)
    env.update(aws_settings)
    if customer is not None:
        env["PIVOTKIT_CUSTOMER"] = customer
    return env


STAGE_HELP = (
    "the stage whose configuration steps read (call.config): config/<stage>.toml beside each"
    " customer (default: $PIVOTKIT_STAGE, else dev)"
)


def add_stage_argument(parser: Any) -> None:  # a parser or an argument group
    """``--stage dev|prod`` for the tools that run customers' steps (serve, call, replay)."""
    from pivotkit.config import STAGES

    parser.add_argument("--stage", choices=STAGES, default=None, help=STAGE_HELP)


class UnknownCustomer(LookupError):
    """``--customer`` names no package under ``customers`` or ``examples``."""


def find_customers(only: str | None = None) -> dict[str, Customer]:
    """Every customer package, the operator's and the kit's examples, or just ``only``
    (``UnknownCustomer`` if it has none, with the closest names, so a typo is not a dead
    end; ``CustomerClash`` if a slug is in both)."""
    if only is not None and not SLUG_PATTERN.match(only):
        raise _unknown(only)  # never handed to importlib: "../x" is no package name
    try:
        return discover_customers(only=only)
    except ModuleNotFoundError as exc:
        if only is not None and exc.name in (f"customers.{only}", "customers"):
            raise _unknown(only) from None
        raise


def _unknown(slug: str) -> UnknownCustomer:
    names = customer_names()
    close = difflib.get_close_matches(slug.lower(), names, n=3, cutoff=0.6)
    hint = f"did you mean {' or '.join(close)}?" if close else f"customers: {', '.join(names)}"
    return UnknownCustomer(
        f"no customer {slug!r} (a package under handlers/customers/ or handlers/examples/); {hint}"
    )


def customer_names() -> list[str]:
    """The customer packages (the operator's and the examples), found without importing
    any of them."""
    return list(customer_modules())


def build_functions(
    environ: Mapping[str, str],
    *,
    clock: Callable[[], float] | None = None,
    error_codes: ErrorCodes | None = None,
    journal: CallJournal | None = None,
) -> dict[str, LambdaHandler]:
    """The pivot, media and call-webhook Lambda handlers, built as their entry points build
    them (the Pivot engine on ``clock``, when given), sharing one token source and telemetry
    as the deployed customer function's do, each reporting its answers' error codes to
    ``error_codes``; ``journal`` replaces the one telemetry would print (serve's, on the
    embedded CloudWatch Logs)."""
    from pivotkit.aws.composition import build_function_parts
    from pivotkit.aws.lambda_entry import make_pivot_handler
    from pivotkit.aws.media_entry import make_media_handler
    from pivotkit.aws.settings import SECRETS, Settings
    from pivotkit.aws.webhook_entry import make_webhook_handler
    from pivotkit.local.secrets import LocalSecrets

    settings = Settings.from_env(environ)
    served = discover_customers(only=settings.customer)
    parts = build_function_parts(settings, served)
    if journal is not None:
        parts = dataclasses.replace(parts, journal=journal)
    # Customers' secrets from this machine (the environment, secrets.local.toml), unless the
    # environment names deployed ones (--aws with PIVOTKIT_SECRETS set).
    secrets = None if environ.get(SECRETS) else LocalSecrets(environ)
    noted = () if error_codes is None else (error_codes.note,)
    pivot = make_pivot_handler(
        environ, customers=served, parts=parts, clock=clock, secrets=secrets, observers=noted
    )
    return {
        "pivot": local_mode(pivot),
        "media": local_mode(
            make_media_handler(environ, customers=served, parts=parts, observers=noted)
        ),
        "hooks": make_webhook_handler(environ, customers=served, parts=parts, observers=noted),
    }


def local_mode(handler: LambdaHandler) -> LambdaHandler:
    """``handler`` with loopback URLs allowed in its callflows: the local tools serve a virtual
    Kazoo on 127.0.0.1, which a real Kazoo would refuse (the deployed handlers refuse it)."""

    def local_handler(event: Mapping[str, Any], context: Any) -> dict[str, Any]:
        with allow_loopback_urls():
            return handler(event, context)

    return local_handler


def kazoo_validator() -> tuple[Validate | None, str]:
    """Kazoo's schema check for answers, and a label saying what it covers (or why not)."""
    from pivotkit.local.schemas import NOT_FOUND, load_schema_sets, validate_callflow

    versions = sorted(load_schema_sets())
    if not versions:
        return None, f"skipped: {NOT_FOUND}"

    def validate(tree: Mapping[str, Any]) -> list[str]:
        return validate_callflow(tree, versions)

    return validate, "Kazoo " + " + ".join(versions)


def _forget_cached_clients() -> None:
    """boto3 clients are cached per process with the settings of their creation."""
    from pivotkit.aws.clients import reset_clients

    reset_clients()
