"""``MediaStore`` on S3: encrypted, checksummed writes and size-aware reads.

Each ``put`` is one ``PutObject`` carrying ``ChecksumSHA256``: S3 recomputes the digest and
refuses the write (``BadDigest``) if a single byte changed on the way, and answers with the
checksum it stored, which the media app compares with its own before acknowledging Kazoo.
Objects are encrypted at rest with SSE-S3 (``AES256``) or, when a key is configured,
SSE-KMS. Reads ask for checksum validation too (``ChecksumMode=ENABLED``), and an object
larger than the caller can return inline is not downloaded at all: the caller gets its size
and can hand out a presigned URL instead.

The client is injected (tests pass a moto-backed one); ``from_bucket`` builds the deployed
one with ``s3_client_config()``: timeouts and attempts chosen so that an upload to an S3 that
stopped answering ends in a 503 well inside the media function's 20 s timeout (Kazoo then
retries it), while an upload that is merely slow is never cut short (see the numbers below
and docs/media.md, "When S3 is slow or down").
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from botocore.exceptions import BotoCoreError, ClientError

from pivotkit.aws.clients import new_client
from pivotkit.errors import MediaUnavailable
from pivotkit.media.store import (
    DEFAULT_CONTENT_TYPE,
    FetchedMedia,
    MediaInfo,
    MediaObject,
    StoredObject,
    check_metadata,
)

if TYPE_CHECKING:
    from botocore.config import Config
    from mypy_boto3_s3.client import S3Client
    from mypy_boto3_s3.type_defs import PutObjectRequestTypeDef

# What bounds one PutObject attempt, why these values and the 12.15 s worst case they give
# the largest upload (measured in tests/integration/test_media_s3_timeouts.py): docs/media.md,
# "When S3 is slow or down".
CONNECT_TIMEOUT_SECONDS = 1.0
READ_TIMEOUT_SECONDS = 2.0
MAX_ATTEMPTS = 3
EXPECT_CONTINUE_WAIT_SECONDS = 1.0  # botocore.awsrequest.AWSConnection._send_output
RETRY_BACKOFF_BASE_SECONDS = 0.05  # botocore.retries.standard: non-throttling errors
_MISSING = frozenset({"NoSuchKey", "404", "NotFound"})


class S3MediaStore:
    def __init__(self, client: S3Client, bucket: str, *, kms_key_id: str | None = None) -> None:
        self.client = client
        self.bucket = bucket
        self.kms_key_id = kms_key_id

    @classmethod
    def from_bucket(cls, bucket: str, *, kms_key_id: str | None = None) -> S3MediaStore:
        """The deployed store: region and endpoint from the SDK's usual environment."""
        client: S3Client = new_client("s3", s3_client_config())
        return cls(client, bucket, kms_key_id=kms_key_id)

    def put(self, obj: MediaObject) -> StoredObject:
        check_metadata(obj.metadata)
        request: PutObjectRequestTypeDef = {
            "Bucket": self.bucket,
            "Key": obj.key,
            "Body": obj.body,
            "ContentType": obj.content_type,
            "Metadata": dict(obj.metadata),
            "ChecksumAlgorithm": "SHA256",
            "ChecksumSHA256": obj.sha256,
            "ServerSideEncryption": "aws:kms" if self.kms_key_id else "AES256",
        }
        if self.kms_key_id:
            request["SSEKMSKeyId"] = self.kms_key_id
        try:
            answer = self.client.put_object(**request)
        except (ClientError, BotoCoreError) as exc:
            raise MediaUnavailable(f"S3 did not store the media: {_reason(exc)}") from exc
        return StoredObject(
            key=obj.key,
            size=obj.size,
            sha256=answer.get("ChecksumSHA256"),
            version=answer.get("VersionId") or answer.get("ETag"),
            encryption=answer.get("ServerSideEncryption"),
        )

    def fetch(self, key: str, *, max_bytes: int) -> FetchedMedia | None:
        try:
            answer = self.client.get_object(Bucket=self.bucket, Key=key, ChecksumMode="ENABLED")
        except ClientError as exc:
            if _code(exc) in _MISSING:
                return None
            raise MediaUnavailable(f"S3 did not return the media: {_reason(exc)}") from exc
        except BotoCoreError as exc:
            raise MediaUnavailable(f"S3 did not return the media: {_reason(exc)}") from exc
        stream = answer["Body"]
        info = MediaInfo(
            key=key,
            size=answer.get("ContentLength", 0),
            content_type=answer.get("ContentType") or DEFAULT_CONTENT_TYPE,
            metadata=answer.get("Metadata", {}),
        )
        try:
            if info.size > max_bytes:
                return FetchedMedia(info, None)
            # botocore checks the body against the stored checksum while reading it.
            body = stream.read()
        except (ClientError, BotoCoreError) as exc:
            raise MediaUnavailable(f"S3 media could not be read: {_reason(exc)}") from exc
        finally:
            stream.close()
        return FetchedMedia(info, body)

    def presigned_url(self, key: str, *, expires_in: int) -> str | None:
        try:
            url: str = self.client.generate_presigned_url(
                "get_object", Params={"Bucket": self.bucket, "Key": key}, ExpiresIn=expires_in
            )
        except (ClientError, BotoCoreError) as exc:
            raise MediaUnavailable(f"could not sign an S3 URL: {_reason(exc)}") from exc
        return url


def s3_client_config() -> Config:
    """The deployed S3 client's timeouts and attempts (the numbers are explained above)."""
    from botocore.config import Config

    return Config(
        connect_timeout=CONNECT_TIMEOUT_SECONDS,
        read_timeout=READ_TIMEOUT_SECONDS,
        retries={"mode": "standard", "total_max_attempts": MAX_ATTEMPTS},
    )


def stalled_upload_seconds() -> float:
    """The longest one ``PutObject`` can take against an endpoint that accepts connections
    and then says nothing: every attempt runs out each of its clocks, plus the backoffs."""
    attempt = CONNECT_TIMEOUT_SECONDS + EXPECT_CONTINUE_WAIT_SECONDS + READ_TIMEOUT_SECONDS
    backoffs = sum(RETRY_BACKOFF_BASE_SECONDS * 2.0**retry for retry in range(MAX_ATTEMPTS - 1))
    return MAX_ATTEMPTS * attempt + backoffs


def _code(exc: ClientError) -> str:
    error: Any = exc.response.get("Error", {})
    return str(error.get("Code", ""))


def _reason(exc: Exception) -> str:
    """A short reason for logs and the 503 body; never the request's own data."""
    if isinstance(exc, ClientError):
        return _code(exc) or "ClientError"
    return type(exc).__name__
