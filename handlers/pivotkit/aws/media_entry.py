"""Composition root of the media function: build everything once per cold start.

From ``Settings`` (the environment): the customers this function serves, the media store
(S3 when ``PIVOTKIT_MEDIA_BUCKET`` is set, else in memory, encrypted with the KMS key in
``PIVOTKIT_MEDIA_KMS_KEY_ID`` when that is set, else SSE-S3), the token source (shared
with the Pivot function: Secrets Manager or ``PIVOTKIT_TOKENS``) and observability.

Observability is decided as for the Pivot function (``pivotkit.aws.composition``): on in
Lambda, off elsewhere unless ``PIVOTKIT_OBSERVABILITY=on``. On, every log line is
Powertools JSON passed through a redactor that knows every token the token source has
handed out, and each invocation writes the media metrics (``Telemetry.wrap_media``).

Bodies over the Lambda payload limit are refused here, before anything else, with the 413
that explains the limit and what to do about it. Nothing here imports the Pivot engine
(``pivotkit.app``) or the request decoder: the media function never decodes a Pivot request.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from pivotkit.aws.composition import FunctionParts, build_function_parts
from pivotkit.aws.settings import Settings
from pivotkit.customers import Customer, discover_customers
from pivotkit.errors import PayloadTooLarge, PivotkitError
from pivotkit.http import HttpResponse, LambdaHandler, error_response, from_lambda_event
from pivotkit.media.app import MAX_LOGGED_METHOD_CHARS, MediaApp
from pivotkit.media.limits import MAX_MEDIA_BYTES, too_large_message
from pivotkit.media.redaction import loggable_path, printable
from pivotkit.media.store import InMemoryMediaStore, MediaStore

if TYPE_CHECKING:
    from mypy_boto3_s3.client import S3Client

logger = logging.getLogger("pivotkit.media")


def build_media_store(settings: Settings, *, s3_client: S3Client | None = None) -> MediaStore:
    kms_key_id = settings.media_kms_key_id
    if settings.media_bucket is None:
        return InMemoryMediaStore()
    from pivotkit.aws.s3_media import S3MediaStore

    if s3_client is not None:
        return S3MediaStore(s3_client, settings.media_bucket, kms_key_id=kms_key_id)
    return S3MediaStore.from_bucket(settings.media_bucket, kms_key_id=kms_key_id)


def make_media_handler(
    environ: Mapping[str, str] | None = None,
    *,
    customers: Mapping[str, Customer] | None = None,
    s3_client: S3Client | None = None,
    parts: FunctionParts | None = None,
) -> LambdaHandler:
    """The Lambda handler. ``customers`` and ``s3_client`` replace discovery and the SDK
    client (tests, the local server); ``parts`` are the token source and telemetry shared
    with the Pivot handler of the same function (``customer_entry``); everything else comes
    from ``environ``."""
    env = os.environ if environ is None else environ
    settings = Settings.from_env(env)
    served = customers if customers is not None else discover_customers(only=settings.customer)
    shared = parts if parts is not None else build_function_parts(settings, served)
    tokens, telemetry = shared.tokens, shared.telemetry
    store = build_media_store(settings, s3_client=s3_client)
    journal = shared.journal.media if shared.journal is not None else None
    app = MediaApp(served, store, tokens, journal=journal)

    def handler(event: Mapping[str, Any], context: Any) -> dict[str, Any]:
        try:
            http = from_lambda_event(
                event, max_body_bytes=MAX_MEDIA_BYTES, public_url=settings.public_url
            )
        except PayloadTooLarge:
            refused = error_response(PayloadTooLarge(too_large_message()))
        except PivotkitError as error:
            refused = error_response(error)
        else:
            return app.handle(http).to_lambda_result()
        _log_refused(event, refused, served)
        return refused.to_lambda_result()

    return handler if telemetry is None else telemetry.wrap_media(handler)


def _log_refused(event: object, response: HttpResponse, served: Mapping[str, Customer]) -> None:
    """An event refused before ``MediaApp`` saw it (not HTTP, too large) gets the same line
    as any media request, its path masked as ``MediaApp`` masks one that did not resolve."""
    method, path = _route_of(event)
    logger.info(
        "media %s %s -> %d",
        printable(method, MAX_LOGGED_METHOD_CHARS),
        loggable_path(path, served),
        response.status,
    )


def _route_of(event: object) -> tuple[str, str]:
    """(method, path) of an HTTP API v2 or REST API v1 event, as far as it has them."""
    if not isinstance(event, Mapping):
        return "-", ""
    context = event.get("requestContext")
    http = context.get("http") if isinstance(context, Mapping) else None
    method = http.get("method") if isinstance(http, Mapping) else event.get("httpMethod")
    path = event.get("rawPath") or event.get("path")
    return (
        method if isinstance(method, str) else "-",
        path if isinstance(path, str) else "",
    )
