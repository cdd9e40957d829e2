"""Media storage: call recordings, voicemail and faxes that Kazoo uploads, under
``<customer>/...`` keys, plus the bucket that receives its S3 server access logs.
"""

from __future__ import annotations

from aws_cdk import Acknowledgment, Duration, Validations, aws_s3
from constructs import Construct

from infra.settings import DeploymentSettings


class MediaBucket(Construct):
    def __init__(self, scope: Construct, construct_id: str, *, settings: DeploymentSettings):
        super().__init__(scope, construct_id)
        policy = settings.policy
        self.access_logs = aws_s3.Bucket(
            self,
            "AccessLogs",
            # S3 log delivery writes with SSE-S3 only; KMS would silently drop the logs.
            encryption=aws_s3.BucketEncryption.S3_MANAGED,
            block_public_access=aws_s3.BlockPublicAccess.BLOCK_ALL,
            object_ownership=aws_s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
            enforce_ssl=True,
            versioned=False,
            lifecycle_rules=[
                aws_s3.LifecycleRule(
                    id="expire-access-logs",
                    expiration=Duration.days(policy.access_log_expiry_days),
                    abort_incomplete_multipart_upload_after=Duration.days(1),
                )
            ],
            removal_policy=policy.removal_policy,
            auto_delete_objects=policy.auto_delete_objects,
        )
        Validations.of(self.access_logs).acknowledge(
            Acknowledgment(
                id="AwsSolutions-S1",
                reason="This is the access-log target itself; logging it into itself would"
                " loop and logging it elsewhere needs yet another bucket.",
            )
        )
        self.bucket = aws_s3.Bucket(
            self,
            "Media",
            encryption=aws_s3.BucketEncryption.S3_MANAGED,
            block_public_access=aws_s3.BlockPublicAccess.BLOCK_ALL,
            object_ownership=aws_s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
            enforce_ssl=True,
            # Kazoo PUTs the same storage-plan path again when a document changes; versions
            # keep the overwritten media recoverable until noncurrent expiry removes them.
            versioned=True,
            server_access_logs_bucket=self.access_logs,
            server_access_logs_prefix="media/",
            lifecycle_rules=[self._lifecycle(settings)],
            removal_policy=policy.removal_policy,
            auto_delete_objects=policy.auto_delete_objects,
        )

    @staticmethod
    def _lifecycle(settings: DeploymentSettings) -> aws_s3.LifecycleRule:
        policy = settings.policy
        transitions = []
        if policy.media_infrequent_access_after_days is not None:
            transitions.append(
                aws_s3.Transition(
                    storage_class=aws_s3.StorageClass.INFREQUENT_ACCESS,
                    transition_after=Duration.days(policy.media_infrequent_access_after_days),
                )
            )
        if policy.media_glacier_ir_after_days is not None:
            transitions.append(
                aws_s3.Transition(
                    storage_class=aws_s3.StorageClass.GLACIER_INSTANT_RETRIEVAL,
                    transition_after=Duration.days(policy.media_glacier_ir_after_days),
                )
            )
        return aws_s3.LifecycleRule(
            id="media-retention",
            transitions=transitions or None,
            expiration=Duration.days(settings.effective_media_expiry_days),
            noncurrent_version_expiration=Duration.days(policy.noncurrent_version_expiry_days),
            abort_incomplete_multipart_upload_after=Duration.days(1),
        )
