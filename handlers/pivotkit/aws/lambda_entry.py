"""Composition roots of the Lambda functions: build everything once per cold start.

The entry points in ``functions/`` are one line each; what they need is assembled here
from ``Settings`` (the environment): the customers this function serves, the state store
(DynamoDB when ``PIVOTKIT_STATE_TABLE`` is set, else in memory), the token source
(Secrets Manager when ``PIVOTKIT_TOKENS_SECRETS`` is set, else ``PIVOTKIT_TOKENS``).
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from typing import Any

from pivotkit.app import PivotApp
from pivotkit.aws.settings import Settings
from pivotkit.customers import StaticTokens, TokenSource, discover_customers
from pivotkit.errors import PivotkitError
from pivotkit.http import error_response, from_lambda_event
from pivotkit.state import InMemoryStateStore, StateStore

LambdaHandler = Callable[[Mapping[str, Any], Any], dict[str, Any]]


def build_state_store(settings: Settings) -> StateStore:
    if settings.state_table is None:
        return InMemoryStateStore()
    from pivotkit.aws.dynamodb_state import DynamoDBStateStore

    return DynamoDBStateStore.from_table_name(settings.state_table)


def build_token_source(settings: Settings) -> TokenSource:
    if settings.token_secrets:
        from pivotkit.aws.secrets_tokens import SecretsManagerTokens

        return SecretsManagerTokens.from_secret_ids(settings.token_secrets)
    return StaticTokens.from_json(settings.tokens_json or "{}")


def build_pivot_app(settings: Settings) -> PivotApp:
    customers = discover_customers(only=settings.customer)
    return PivotApp(customers, build_state_store(settings), build_token_source(settings))


def make_pivot_handler(environ: Mapping[str, str] | None = None) -> LambdaHandler:
    settings = Settings.from_env(os.environ if environ is None else environ)
    app = build_pivot_app(settings)

    def handler(event: Mapping[str, Any], context: Any) -> dict[str, Any]:
        try:
            http = from_lambda_event(event, public_url=settings.public_url)
        except PivotkitError as error:
            return error_response(error).to_lambda_result()
        return app.handle(http).to_lambda_result()

    return handler
