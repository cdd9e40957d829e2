"""What the Lambda composition roots share: the settings, the customers served, the token
source and telemetry.

``lambda_entry`` (Pivot) and ``media_entry`` (media) build their functions from the same
settings, but the media function never decodes a Pivot request, so it must not pay for
``pivotkit.app`` and the decoder behind it at cold start. Everything they share therefore lives
here, and this module imports nothing but the settings and the core's token types; Secrets
Manager (boto3) and Powertools are imported only when the environment asks for them.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING

from pivotkit.aws.settings import Settings
from pivotkit.customers import StaticTokens, TokenSource, discover_customers

if TYPE_CHECKING:
    from pivotkit.aws.observability import Telemetry
    from pivotkit.customers import Customer
    from pivotkit.deferred import Deferrer
    from pivotkit.journal import CallJournal


def build_token_source(settings: Settings) -> TokenSource:
    """Secrets Manager when ``PIVOTKIT_TOKENS_SECRETS`` names secrets, else ``PIVOTKIT_TOKENS``."""
    if settings.token_secrets:
        from pivotkit.aws.secrets_tokens import SecretsManagerTokens

        return SecretsManagerTokens.from_secret_ids(settings.token_secrets)
    return StaticTokens.from_json(settings.tokens_json or "{}")


def build_telemetry(settings: Settings, customers: Mapping[str, Customer]) -> Telemetry | None:
    """Powertools logs and metrics for ``customers``, or None when observability is off
    (then Powertools is never imported)."""
    if settings.observability is None:
        return None
    from pivotkit.aws.observability import Telemetry

    return Telemetry(settings.observability, customers)


def build_deferrer(settings: Settings) -> Deferrer | None:
    """Where background jobs and media hooks run: deployed, an asynchronous invocation of
    this very function (``PIVOTKIT_SELF_FUNCTION``, ``pivotkit.aws.self_invoke``); None
    when unset, and the apps use a thread of this process (local serving only)."""
    if settings.self_function is None:
        return None
    from pivotkit.aws.self_invoke import SelfInvoker

    return SelfInvoker(settings.self_function)


@dataclass(frozen=True)
class FunctionParts:
    """What one deployed function builds once and its Pivot and media handlers share: one
    token source (one secret read per cold start, one redactor that knows every token it
    handed out) and one telemetry (one logger set-up, one EMF provider), and the one call
    journal all three handlers write (``pivotkit.journal``): deployed, telemetry's, on
    stdout; under ``pivotkit serve``, one on the embedded CloudWatch Logs
    (``pivotkit.local.journal_logs``); None when neither exists (nothing journaled)."""

    tokens: TokenSource
    telemetry: Telemetry | None
    # Where jobs and media hooks run (None: a thread, local only); see build_deferrer.
    deferrer: Deferrer | None = None
    journal: CallJournal | None = None


def build_function_parts(settings: Settings, customers: Mapping[str, Customer]) -> FunctionParts:
    telemetry = build_telemetry(settings, customers)
    tokens = build_token_source(settings)
    if telemetry is not None:
        tokens = telemetry.tokens(tokens)  # every token it hands out is blanked from logs
    journal = telemetry.journal if telemetry is not None else None
    return FunctionParts(tokens, telemetry, deferrer=build_deferrer(settings), journal=journal)


def build_function(
    environ: Mapping[str, str] | None,
    customers: Mapping[str, Customer] | None,
    parts: FunctionParts | None = None,
) -> tuple[Settings, Mapping[str, Customer], FunctionParts]:
    """What each handler of a function starts from: the settings in ``environ``
    (``os.environ`` when None), the customers it serves (``customers`` when given, else
    discovered, only ``PIVOTKIT_CUSTOMER`` when set) and the parts its handlers share
    (``parts`` when given, else built)."""
    settings = Settings.from_env(os.environ if environ is None else environ)
    served = customers if customers is not None else discover_customers(only=settings.customer)
    return settings, served, parts if parts is not None else build_function_parts(settings, served)
