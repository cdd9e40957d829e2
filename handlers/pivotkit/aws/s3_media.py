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

# What bounds one PutObject attempt (botocore 1.4x on urllib3 2, measured in
# tests/integration/test_media_s3_timeouts.py):
#
# - opening the connection (TCP and TLS): CONNECT_TIMEOUT_SECONDS;
# - S3 answers "100 Continue" to the headers at once; an endpoint that says nothing gets
#   EXPECT_CONTINUE_WAIT_SECONDS (botocore's own, fixed), then the body is sent anyway;
# - the body: each send that makes no progress is bounded by CONNECT_TIMEOUT_SECONDS (urllib3
#   keeps the connect timeout on the socket while it writes the request), but the transfer as
#   a whole is not, so a slow link that keeps moving finishes however long it takes;
# - the answer: READ_TIMEOUT_SECONDS per read, counted from the last byte handed to the
#   socket, so it covers the tail still in the kernel's send buffer (at most 4 MiB on Linux)
#   and S3's own work.
#
# In-region, S3 opens a connection in a few milliseconds and answers a 4.45 MB PUT tens to
# hundreds of milliseconds after its last byte; the buffered tail drains in well under 0.2 s
# at Lambda's throughput to S3. So:
#
# - connect 1 s: over a hundred times the normal handshake; a lost SYN (Linux retransmits
#   after 1 s) ends the attempt and the retry opens a fresh connection, as AWS advises for
#   slow S3 requests. It also means a send that moves nothing for 1 s is a dead connection.
# - read 2 s: AWS's own advice for S3 is to retry a request still unanswered after 2 s, and
#   that is ten times a normal answer here, buffered tail included.
# - 3 attempts (the SDK's default count): two retries for resets and slow answers. Retries
#   after a timeout or reset back off at most 50 ms and 100 ms (botocore's non-throttling
#   backoff). After SlowDown they back off at most 1 s and 2 s (5 s more each should S3 ask
#   for it with x-amz-retry-after), but those answers come at once: 13 s at the very worst.
#
# Against an S3 that stops answering, one upload of the largest body (4,450,848 bytes)
# therefore gives up after at most 3 x (1 + 1 + 2) s + 0.15 s = 12.15 s (measured: about
# 6 s, each attempt ending when the send stalls), leaving almost 8 s of the media function's
# 20 s for the rest of the request; the 503 makes Kazoo retry the upload later.
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
