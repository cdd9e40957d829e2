"""Composition root of the media function: build everything once per cold start.

From ``Settings`` (the environment): the customers this function serves, the media store
(S3 when ``PIVOTKIT_MEDIA_BUCKET`` is set, else in memory, encrypted with the KMS key in
``PIVOTKIT_MEDIA_KMS_KEY_ID`` when that is set, else SSE-S3), the token source (shared
with the Pivot function: Secrets Manager or ``PIVOTKIT_TOKENS``) and observability.

Observability is decided as for the Pivot function (``pivotkit.aws.composition``): on in
Lambda, off elsewhere unless ``PIVOTKIT_OBSERVABILITY=on``. On, every log line is
Powertools JSON passed through a redactor that knows every token the token source has
handed out, and each request's ``MediaOutcome`` writes the media metrics
(``Telemetry.observe_media``) beside its log line (``log_media``).

Bodies over the Lambda payload limit are refused before anything else, with the 413 that
explains the limit and what to do about it (``MediaApp.refuse``). Nothing here imports the
Pivot engine (``pivotkit.app``) or the request decoder: the media function never decodes a
Pivot request.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING

from pivotkit.aws.composition import FunctionParts, build_function
from pivotkit.aws.settings import Settings
from pivotkit.customers import Customer
from pivotkit.http import LambdaHandler, lambda_handler
from pivotkit.media.app import MediaApp, MediaObserver, log_media
from pivotkit.media.limits import MAX_MEDIA_BYTES
from pivotkit.media.store import InMemoryMediaStore, MediaStore

if TYPE_CHECKING:
    from mypy_boto3_s3.client import S3Client


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
    observers: tuple[MediaObserver, ...] = (),
) -> LambdaHandler:
    """The Lambda handler. ``customers`` and ``s3_client`` replace discovery and the SDK
    client (tests, the local server); ``parts`` are the token source and telemetry shared
    with the Pivot handler of the same function (``customer_entry``); ``observers`` see each
    outcome besides the log line and telemetry (the local gateway's request log); everything
    else comes from ``environ``."""
    settings, served, shared = build_function(environ, customers, parts)
    tokens, telemetry = shared.tokens, shared.telemetry
    store = build_media_store(settings, s3_client=s3_client)
    journal = shared.journal.media if shared.journal is not None else None
    reporters = (log_media, *observers)
    if telemetry is not None:
        reporters = (*reporters, telemetry.observe_media)
    # Hooks run in this function's own asynchronous invocation, after Kazoo's 2xx.
    app = MediaApp(
        served,
        store,
        tokens,
        observers=reporters,
        on_request=None if telemetry is None else telemetry.on_media,
        deferrer=shared.deferrer,
        journal=journal,
    )
    handler = lambda_handler(app, public_url=settings.public_url, max_body_bytes=MAX_MEDIA_BYTES)
    return handler if telemetry is None else telemetry.wrap(handler)
