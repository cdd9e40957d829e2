"""Composition root of the media function: build everything once per cold start.

From ``Settings`` (the environment): the customers this function serves, the media store
(S3 when ``PIVOTKIT_MEDIA_BUCKET`` is set, else in memory, encrypted with the KMS key in
``PIVOTKIT_MEDIA_KMS_KEY_ID`` when that is set, else SSE-S3) and the token source (shared
with the Pivot function: Secrets Manager or ``PIVOTKIT_TOKENS``).

Bodies over the Lambda payload limit are refused here, before anything else, with the 413
that explains the limit and what to do about it.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from pivotkit.aws.composition import LambdaHandler, build_token_source
from pivotkit.aws.settings import Settings
from pivotkit.customers import Customer, discover_customers
from pivotkit.errors import PayloadTooLarge, PivotkitError
from pivotkit.http import error_response, from_lambda_event
from pivotkit.media import MAX_MEDIA_BYTES, InMemoryMediaStore, MediaApp, MediaStore
from pivotkit.media.limits import too_large_message

if TYPE_CHECKING:
    from mypy_boto3_s3.client import S3Client

KMS_KEY_VARIABLE = "PIVOTKIT_MEDIA_KMS_KEY_ID"


def build_media_store(
    settings: Settings, *, kms_key_id: str | None = None, s3_client: S3Client | None = None
) -> MediaStore:
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
) -> LambdaHandler:
    """The Lambda handler. ``customers`` and ``s3_client`` replace discovery and the SDK
    client (tests, the local server); everything else comes from ``environ``."""
    env = os.environ if environ is None else environ
    settings = Settings.from_env(env)
    store = build_media_store(
        settings, kms_key_id=env.get(KMS_KEY_VARIABLE) or None, s3_client=s3_client
    )
    served = customers if customers is not None else discover_customers(only=settings.customer)
    app = MediaApp(served, store, build_token_source(settings))

    def handler(event: Mapping[str, Any], context: Any) -> dict[str, Any]:
        try:
            http = from_lambda_event(
                event, max_body_bytes=MAX_MEDIA_BYTES, public_url=settings.public_url
            )
        except PayloadTooLarge:
            return error_response(PayloadTooLarge(too_large_message())).to_lambda_result()
        except PivotkitError as error:
            return error_response(error).to_lambda_result()
        return app.handle(http).to_lambda_result()

    return handler
