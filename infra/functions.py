"""The Lambda functions: one per customer for Pivot requests, one for media.

Timing: Kazoo waits at most ``req_timeout_ms`` (5000 ms at most) for a Pivot answer, cold
start included, and runs the pivot node's ``_`` fallback after that. A function still
working past 5 s is answering nobody, so the Pivot functions stop at 5 s. Memory buys CPU
in Lambda; 1024 MB keeps a cold start (pydantic-core, Powertools, one customer's flows)
well inside the budget at a cost per call that is still a fraction of a cent.

Isolation: every function has its own role. A customer's role may touch only the
DynamoDB items whose key starts with ``<slug>#``, only ``<slug>/`` in the media bucket and
only its own tokens secret, so a bug or a hostile flow in one customer's package cannot
read or change another customer's calls.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from aws_cdk import (
    Acknowledgment,
    CfnElement,
    Duration,
    Stack,
    Validations,
    aws_iam,
    aws_lambda,
    aws_logs,
    aws_s3,
    aws_secretsmanager,
)
from aws_cdk import aws_dynamodb as dynamodb
from constructs import Construct

from infra.function_code import function_code
from infra.platform import LAMBDA_PLATFORM
from infra.settings import DeploymentSettings

PIVOT_HANDLER = "functions.pivot.handler"
MEDIA_HANDLER = "functions.media.handler"
PIVOT_TIMEOUT = Duration.seconds(5)
PIVOT_MEMORY_MB = 1024
# Recordings and storage-plan documents travel in the request body (up to Lambda's 6 MB
# payload) and go to S3 before we answer 2xx; Kazoo retries an upload that fails.
MEDIA_TIMEOUT = Duration.seconds(20)
MEDIA_MEMORY_MB = 1024
ALIAS_NAME = "live"
METRICS_NAMESPACE = "pivotkit"


# The media function's Powertools service name, hence the ``service`` dimension of its metrics.
MEDIA_SERVICE_NAME = "pivotkit-media"


def pivot_service_name(slug: str) -> str:
    """The ``POWERTOOLS_SERVICE_NAME`` of the function serving ``slug``: also the ``service``
    dimension of its metrics, which the kit's alarms (``infra.kit_metrics``) must name."""
    return f"pivotkit-{slug}"


# What a Pivot step does with its call's item: read it, write it conditionally (optimistic
# locking), delete it when the call ends, and check a condition inside a transaction.
STATE_ITEM_ACTIONS: tuple[str, ...] = (
    "dynamodb:GetItem",
    "dynamodb:PutItem",
    "dynamodb:UpdateItem",
    "dynamodb:DeleteItem",
    "dynamodb:ConditionCheckItem",
)
MEDIA_OBJECT_ACTIONS: tuple[str, ...] = ("s3:GetObject", "s3:PutObject")


def state_key_prefix(slug: str) -> str:
    """The leading-key pattern of a customer's items (``<customer>#<account>#<call>``)."""
    return f"{slug}#*"


@dataclass(frozen=True)
class SharedResources:
    """What every function is wired to."""

    handlers_dir: Path
    customers: Sequence[str]
    layer: aws_lambda.ILayerVersion
    table: dynamodb.ITable
    bucket: aws_s3.IBucket
    token_secrets: Mapping[str, aws_secretsmanager.ISecret]


class _PivotkitFunction(Construct):
    """A function with its own role and log group, published behind the ``live`` alias.

    Integrations target the alias so provisioned concurrency (which lives on a version)
    applies to real traffic.
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        function_name: str,
        description: str,
        handler: str,
        code: aws_lambda.Code,
        environment: Mapping[str, str],
        timeout: Duration,
        memory_mb: int,
        settings: DeploymentSettings,
        layer: aws_lambda.ILayerVersion,
        reserved_concurrency: int | None = None,
        provisioned_concurrency: int | None = None,
    ) -> None:
        super().__init__(scope, construct_id)
        self.log_group = aws_logs.LogGroup(
            self,
            "Logs",
            log_group_name=f"/aws/lambda/{function_name}",
            retention=settings.policy.log_retention,
            removal_policy=settings.policy.removal_policy,
        )
        self.role = aws_iam.Role(
            self,
            "Role",
            assumed_by=aws_iam.ServicePrincipal("lambda.amazonaws.com"),
            description=f"Runs {function_name}; nothing else may assume it.",
        )
        # Instead of AWSLambdaBasicExecutionRole (any log group): this function's group only.
        self.role.add_to_policy(
            aws_iam.PolicyStatement(
                actions=["logs:CreateLogStream", "logs:PutLogEvents"],
                resources=[self.log_group.log_group_arn],
            )
        )
        self.function = aws_lambda.Function(
            self,
            "Function",
            function_name=function_name,
            description=description,
            runtime=LAMBDA_PLATFORM.runtime,
            architecture=LAMBDA_PLATFORM.architecture,
            handler=handler,
            code=code,
            layers=[layer],
            environment=dict(environment),
            timeout=timeout,
            memory_size=memory_mb,
            role=self.role,
            log_group=self.log_group,
            logging_format=aws_lambda.LoggingFormat.JSON,
            application_log_level_v2=aws_lambda.ApplicationLogLevel.INFO,
            system_log_level_v2=aws_lambda.SystemLogLevel.WARN,
            reserved_concurrent_executions=reserved_concurrency,
        )
        Validations.of(self.function).acknowledge(
            Acknowledgment(
                id="AwsSolutions-L1",
                reason=f"{LAMBDA_PLATFORM.runtime.name} is chosen on purpose and is supported:"
                " the dependency layer's wheels are built for exactly this runtime, so both"
                " move together by changing LAMBDA_PLATFORM (infra/platform.py).",
            )
        )
        self.alias = aws_lambda.Alias(
            self,
            "Live",
            alias_name=ALIAS_NAME,
            version=self.function.current_version,
            provisioned_concurrent_executions=provisioned_concurrency,
        )


class PivotFunction(_PivotkitFunction):
    """The function answering ``/pivot/<slug>`` for one customer."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        slug: str,
        shared: SharedResources,
        settings: DeploymentSettings,
        public_url: str | None,
    ) -> None:
        secret = shared.token_secrets[slug]
        environment = {
            "PIVOTKIT_CUSTOMER": slug,
            "PIVOTKIT_STATE_TABLE": shared.table.table_name,
            "PIVOTKIT_MEDIA_BUCKET": shared.bucket.bucket_name,
            "PIVOTKIT_TOKENS_SECRETS": Stack.of(scope).to_json_string({slug: secret.secret_arn}),
            "POWERTOOLS_SERVICE_NAME": pivot_service_name(slug),
            "POWERTOOLS_METRICS_NAMESPACE": METRICS_NAMESPACE,
        }
        if public_url is not None:
            environment["PIVOTKIT_PUBLIC_URL"] = public_url
        super().__init__(
            scope,
            construct_id,
            function_name=f"{settings.name_prefix}-{slug}",
            description=f"Kazoo Pivot endpoint of customer {slug}",
            handler=PIVOT_HANDLER,
            code=function_code(shared.handlers_dir, shared.customers, included=[slug]),
            environment=environment,
            timeout=PIVOT_TIMEOUT,
            memory_mb=PIVOT_MEMORY_MB,
            settings=settings,
            layer=shared.layer,
            reserved_concurrency=settings.reserved_concurrency.get(slug),
            provisioned_concurrency=settings.provisioned_concurrency.get(slug),
        )
        self.slug = slug
        self.role.add_to_policy(customer_state_statement(slug, shared.table))
        self.role.add_to_policy(
            aws_iam.PolicyStatement(
                actions=list(MEDIA_OBJECT_ACTIONS),
                resources=[shared.bucket.arn_for_objects(f"{slug}/*")],
            )
        )
        acknowledge_object_wildcard(
            self.role,
            shared.bucket,
            f"{slug}/*",
            "Objects are created per call under the customer's prefix, so their keys are not"
            " known in advance; the wildcard is confined to that prefix.",
        )
        secret.grant_read(self.role)


def acknowledge_object_wildcard(
    role: aws_iam.IRole, bucket: aws_s3.IBucket, pattern: str, reason: str
) -> None:
    """Acknowledge cdk-nag's IAM5 finding for exactly ``<bucket ARN>/<pattern>``."""
    stack = Stack.of(bucket)
    bucket_resource = bucket.node.default_child
    assert isinstance(bucket_resource, CfnElement)
    logical_id = stack.resolve(stack.get_logical_id(bucket_resource))
    Validations.of(role).acknowledge(
        Acknowledgment(
            id=f"AwsSolutions-IAM5[Resource::<{logical_id}.Arn>/{pattern}]", reason=reason
        )
    )


def customer_state_statement(slug: str, table: dynamodb.ITable) -> aws_iam.PolicyStatement:
    """Item access confined to keys that start with ``<slug>#``."""
    return aws_iam.PolicyStatement(
        actions=list(STATE_ITEM_ACTIONS),
        resources=[table.table_arn],
        conditions={
            "ForAllValues:StringLike": {"dynamodb:LeadingKeys": [state_key_prefix(slug)]},
            # ForAllValues is true for a request with no leading keys at all (a Scan, were
            # one ever added to the list above); require that keys are present.
            "Null": {"dynamodb:LeadingKeys": "false"},
        },
    )


class MediaFunction(_PivotkitFunction):
    """The function behind ``/media/<slug>/...`` for every customer; S3 only, no state."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        shared: SharedResources,
        settings: DeploymentSettings,
        public_url: str | None,
    ) -> None:
        environment = {
            "PIVOTKIT_MEDIA_BUCKET": shared.bucket.bucket_name,
            "PIVOTKIT_TOKENS_SECRETS": Stack.of(scope).to_json_string(
                {slug: secret.secret_arn for slug, secret in shared.token_secrets.items()}
            ),
            "POWERTOOLS_SERVICE_NAME": MEDIA_SERVICE_NAME,
            "POWERTOOLS_METRICS_NAMESPACE": METRICS_NAMESPACE,
        }
        if public_url is not None:
            environment["PIVOTKIT_PUBLIC_URL"] = public_url
        super().__init__(
            scope,
            construct_id,
            function_name=f"{settings.name_prefix}-media",
            description="Kazoo media uploads and storage-plan backend for every customer",
            handler=MEDIA_HANDLER,
            code=function_code(shared.handlers_dir, shared.customers),
            environment=environment,
            timeout=MEDIA_TIMEOUT,
            memory_mb=MEDIA_MEMORY_MB,
            settings=settings,
            layer=shared.layer,
        )
        self.role.add_to_policy(
            aws_iam.PolicyStatement(
                actions=list(MEDIA_OBJECT_ACTIONS),
                resources=[shared.bucket.arn_for_objects("*")],
            )
        )
        acknowledge_object_wildcard(
            self.role,
            shared.bucket,
            "*",
            "The media function serves every customer's prefix (it checks the token of the"
            " customer named in the path); it has no access to call state or anything else.",
        )
        # With ListBucket a missing object is a 404 (Kazoo: not found), not a 403.
        self.role.add_to_policy(
            aws_iam.PolicyStatement(actions=["s3:ListBucket"], resources=[shared.bucket.bucket_arn])
        )
        for secret in shared.token_secrets.values():
            secret.grant_read(self.role)
