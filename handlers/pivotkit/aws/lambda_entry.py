"""Composition roots of the Lambda functions: build everything once per cold start.

The entry points in ``functions/`` are one line each; what they need is assembled here
from ``Settings`` (the environment): the customers this function serves, the state store
(DynamoDB when ``PIVOTKIT_STATE_TABLE`` is set, else in memory), the token source
(Secrets Manager when ``PIVOTKIT_TOKENS_SECRETS`` is set, else ``PIVOTKIT_TOKENS``), and
observability (``pivotkit.aws.observability``: Powertools logs and metrics, traces on
request). Observability is on in Lambda and off elsewhere, so local tools (``serve``,
``replay``, ``call``) keep their own output; ``PIVOTKIT_OBSERVABILITY=on|off`` overrides
that, and ``PIVOTKIT_DEBUG=1`` turns it on. Powertools is imported only when it is on.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

from pivotkit.app import EngineSettings, Observer, Outcome, PivotApp, RequestHook
from pivotkit.aws.composition import FunctionParts, build_function, build_token_source
from pivotkit.aws.settings import Settings, observability_enabled
from pivotkit.customers import Customer
from pivotkit.http import LambdaHandler, lambda_handler
from pivotkit.shared import InMemorySharedStore, SharedStore
from pivotkit.state import InMemoryStateStore, StateStore

if TYPE_CHECKING:
    from mypy_boto3_dynamodb.client import DynamoDBClient

    from pivotkit.config import ConfigSource
    from pivotkit.deferred import Deferrer
    from pivotkit.journal import CallJournal
    from pivotkit.secrets import SecretSource
    from pivotkit.work import JobStore


# LambdaHandler (pivotkit.http), build_token_source (pivotkit.aws.composition) and
# observability_enabled (pivotkit.aws.settings) are shared with the media function and
# still importable from here.
__all__ = [
    "ClientHook",
    "LambdaHandler",
    "build_config_source",
    "build_job_store",
    "build_secret_source",
    "build_shared_store",
    "build_state_store",
    "build_token_source",
    "make_pivot_handler",
    "observability_enabled",
]

ClientHook = Callable[[Any], None]


def build_state_store(settings: Settings, *, on_client: ClientHook | None = None) -> StateStore:
    """``on_client`` sees the DynamoDB client when it is built (on the first state call)."""
    if settings.state_table is None:
        return InMemoryStateStore()
    from pivotkit.aws.dynamodb_state import DynamoDBStateStore

    return DynamoDBStateStore(_table_client(on_client), settings.state_table)


def build_shared_store(settings: Settings, *, on_client: ClientHook | None = None) -> SharedStore:
    """The customers' shared store (``call.shared``): on the call-state table when there is
    one (the same client, fail-fast timeouts and IAM confinement as call state), else in
    memory. ``on_client`` as for ``build_state_store`` (the hook is idempotent per client)."""
    if settings.state_table is None:
        return InMemorySharedStore()
    from pivotkit.aws.dynamodb_shared import DynamoDBSharedStore

    return DynamoDBSharedStore(_table_client(on_client), settings.state_table)


def build_job_store(settings: Settings, *, on_client: ClientHook | None = None) -> JobStore:
    """Background job records (``call.work``): on the call-state table when there is one,
    under the customer's key prefix; else in memory. ``on_client`` as for the state store."""
    if settings.state_table is None:
        from pivotkit.work import InMemoryJobStore

        return InMemoryJobStore()
    from pivotkit.aws.dynamodb_jobs import DynamoDBJobStore

    return DynamoDBJobStore(_table_client(on_client), settings.state_table)


def _table_client(on_client: ClientHook | None) -> Callable[[], DynamoDBClient]:
    """The process's shared DynamoDB client, built on the first store call (not at cold
    start), shown to ``on_client`` when it is built."""
    from pivotkit.aws.clients import dynamodb_client

    if on_client is None:
        return dynamodb_client
    hook = on_client

    def client() -> DynamoDBClient:
        built = dynamodb_client()
        hook(built)
        return built

    return client


def build_config_source(
    settings: Settings, customers: Mapping[str, Customer]
) -> ConfigSource | None:
    """The customers' configuration files for ``settings.stage``, loaded now (a bad file
    fails the function's start, not a call); None when no customer declares a model, so
    neither pydantic nor the loader is imported."""
    if not any(c.config_model is not None for c in customers.values()):
        return None
    from pivotkit.config import ConfigFiles

    source = ConfigFiles(settings.stage)
    source.preload(customers.values())
    return source


def build_secret_source(
    settings: Settings, customers: Mapping[str, Customer]
) -> SecretSource | None:
    """Secrets Manager when ``PIVOTKIT_SECRETS`` names the customers' secrets (deployed; its
    stack sets it for a customer that declares any); None otherwise, when every read of a
    declared secret is unavailable (the local tools pass their own source). Nothing is read
    until a step asks."""
    if not settings.customer_secrets or not any(c.secrets for c in customers.values()):
        return None
    from pivotkit.aws.secrets_values import SecretsManagerSecrets

    return SecretsManagerSecrets(settings.customer_secrets)


def make_pivot_handler(
    environ: Mapping[str, str] | None = None,
    *,
    customers: Mapping[str, Customer] | None = None,
    state: StateStore | None = None,
    engine: EngineSettings | None = None,
    parts: FunctionParts | None = None,
    clock: Callable[[], float] | None = None,
    shared_store: SharedStore | None = None,
    config: ConfigSource | None = None,
    secrets: SecretSource | None = None,
    jobs: JobStore | None = None,
    deferrer: Deferrer | None = None,
    observers: tuple[Observer, ...] = (),
) -> LambdaHandler:
    """The Lambda handler. ``customers``, ``state`` and ``engine`` replace discovery, the
    configured store and the engine defaults (tests); ``parts`` are the token source and
    telemetry shared with a media handler in the same function (``customer_entry``);
    ``clock`` replaces the system clock (only the local tools pass one: deployed, nothing
    in ``environ`` can move the time steps see); ``shared_store`` replaces the configured
    shared store (``call.shared``); ``config`` and ``secrets`` what ``call.config`` and
    ``call.secrets`` read; ``jobs`` and ``deferrer`` where background jobs are recorded and
    run (deployed: the call-state table and this function invoking itself); ``observers``
    see each outcome besides the telemetry (the local gateway's request log); everything
    else comes from ``environ``."""
    settings, served, shared = build_function(environ, customers, parts)
    tokens, telemetry = shared.tokens, shared.telemetry
    on_request: RequestHook | None = None
    on_client: ClientHook | None = None
    wrap: Callable[[LambdaHandler], LambdaHandler] = _unwrapped
    if telemetry is not None:
        observers, on_request, wrap = (
            (*observers, telemetry.observe),
            telemetry.on_request,
            telemetry.wrap,
        )
        on_client = telemetry.sdk_calls.attach
    if shared.journal is not None:
        # After telemetry's line and metrics: the journal never costs them.
        observers = (*observers, _journal_observer(shared.journal, served))
    store = state if state is not None else build_state_store(settings, on_client=on_client)
    app = PivotApp(
        served,
        store,
        tokens,
        settings=engine,
        observers=observers,
        on_request=on_request,
        clock=clock or time.time,
        shared=shared_store or build_shared_store(settings, on_client=on_client),
        config=config or build_config_source(settings, served),
        secrets=secrets or build_secret_source(settings, served),
        jobs=jobs or build_job_store(settings, on_client=on_client),
        deferrer=deferrer or shared.deferrer,
    )
    return wrap(lambda_handler(app, public_url=settings.public_url))


def _journal_observer(journal: CallJournal, customers: Mapping[str, Customer]) -> Observer:
    def journal_entry(outcome: Outcome) -> None:
        journal.observe(outcome, customers.get(outcome.customer))

    return journal_entry


def _unwrapped(handler: LambdaHandler) -> LambdaHandler:
    return handler
