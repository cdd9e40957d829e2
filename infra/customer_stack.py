"""A customer's stack ``pivotkit-<stage>-<slug>``: everything that is that customer's.

One Lambda function for its Pivot requests and its media (``functions.customer.handler``)
behind the ``live`` alias and that alias's Function URL, the function's role and log group,
the customer's credentials secret (and, if it declares secrets, the secret holding them),
its one alarm and its failure queue. About fifteen resources, whatever the number of
customers: ``cdk deploy pivotkit-<stage>-<slug>`` deploys one customer and nothing else.

Front door: a Lambda Function URL per customer (docs/deploy.md has the quotas behind the
choice). HTTPS only (a Function URL has no plain-HTTP listener), ``NONE`` auth because Kazoo
cannot sign requests (the token in the URL is checked by the function in constant time),
and no access log: Lambda writes none for a URL, so the only request line is the kit's own,
which never carries the token. The customer's flood limit is the function's reserved
concurrency: past it, only this customer's URL answers 429.

Timing: Kazoo waits at most 5 s for a Pivot answer; a media upload may take up to 20 s
(``pivotkit.aws.s3_media``). One function has one timeout, so it is the media one; the
engine's own budgets end a Pivot request well before Kazoo gives up. Memory buys CPU in
Lambda: 1024 MB keeps a cold start well inside Kazoo's budget.

Isolation: the role may touch only the DynamoDB items whose key starts with ``<slug>#``,
only ``<slug>/`` in the media bucket and only this customer's secrets; the code asset holds
the kit and this customer's package only (tests/infra/test_isolation.py proves both).

Work after the answer (a step's background job, an ``on_media_stored`` hook) runs in an
asynchronous invocation of the function by itself (``pivotkit.aws.self_invoke``):
``PIVOTKIT_SELF_FUNCTION`` names the ``live`` alias, the role may invoke that alias only, and
the alias's async invoke configuration retries a failed run twice within
``MAX_EVENT_AGE`` and then sends the event to the customer's own failure queue
``pivotkit-<stage>-<slug>-failures`` (SQS-managed encryption, 14 days' retention; the role
may send to that queue only). An empty queue costs nothing.

Configuration: the asset carries the customer's ``config/<stage>.toml`` for this stage only
(validated by its model during the synth, ``infra.declarations``), and ``PIVOTKIT_STAGE``
tells the function which file to read; a declared secret's value is in neither.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from aws_cdk import (
    Acknowledgment,
    ArnFormat,
    CfnOutput,
    Duration,
    Stack,
    Validations,
    aws_iam,
    aws_lambda,
    aws_lambda_destinations,
    aws_logs,
    aws_sns,
    aws_sqs,
)
from constructs import Construct

from infra.declarations import Declaration
from infra.function_code import function_code
from infra.kit_metrics import METRICS_NAMESPACE
from infra.monitoring import customer_alarm
from infra.names import failures_queue_name, function_name, service_name
from infra.platform import LAMBDA_PLATFORM
from infra.platform_parameters import PlatformValues
from infra.settings import DeploymentSettings
from infra.tokens import CustomerSecret, CustomerSecrets

HANDLER = "functions.customer.handler"
TIMEOUT = Duration.seconds(20)
MEMORY_MB = 1024
ALIAS_NAME = "live"

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
SECRET_ACTIONS: tuple[str, ...] = (
    "secretsmanager:GetSecretValue",
    "secretsmanager:DescribeSecret",
)
LOG_ACTIONS: tuple[str, ...] = ("logs:CreateLogStream", "logs:PutLogEvents")
# The function invoking its own alias (InvocationType=Event) for work after the answer.
SELF_INVOKE_ACTIONS: tuple[str, ...] = ("lambda:InvokeFunction",)
# What Lambda's on-failure destination needs of the role (CDK's grant_send_messages).
FAILURE_QUEUE_ACTIONS: tuple[str, ...] = (
    "sqs:SendMessage",
    "sqs:GetQueueAttributes",
    "sqs:GetQueueUrl",
)
# Lambda retries a failed asynchronous run twice (its maximum), about a minute and then two
# after the failure; an event still queued after this long (throttled behind a flood of the
# customer's own calls) goes to the failure queue instead: a background job's caller has
# long stopped waiting by then, and a media hook can be replayed from the queue.
ASYNC_RETRY_ATTEMPTS = 2
MAX_EVENT_AGE = Duration.hours(1)
FAILURE_RETENTION = Duration.days(14)


def state_key_prefix(slug: str) -> str:
    """The leading-key pattern of a customer's items (``<customer>#<account>#<call>``)."""
    return f"{slug}#*"


def media_key_prefix(slug: str) -> str:
    return f"{slug}/*"


class CustomerStack(Stack):
    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        slug: str,
        settings: DeploymentSettings,
        handlers_dir: Path,
        all_customers: Sequence[str],
        declaration: Declaration | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(
            scope,
            construct_id,
            description=f"pivotkit ({settings.stage.value}): Kazoo Pivot and media endpoint"
            f" of customer {slug}",
            **kwargs,
        )
        self.slug = slug
        platform = PlatformValues.read(self, settings)
        secret = CustomerSecret(self, "Credentials", slug=slug, settings=settings).secret
        declared = declaration or Declaration()
        # Only a customer that names secrets gets (and pays $0.40 a month for) a second one.
        own_secrets = (
            CustomerSecrets(
                self, "Secrets", slug=slug, names=declared.secrets, settings=settings
            ).secret
            if declared.secrets
            else None
        )
        name = function_name(settings, slug)
        # The alias's qualified name: known before the function exists, so the role's
        # statement names it without a reference cycle (the function depends on the role).
        self_function = f"{name}:{ALIAS_NAME}"

        self.log_group = aws_logs.LogGroup(
            self,
            "Logs",
            log_group_name=f"/aws/lambda/{name}",
            retention=settings.policy.log_retention,
            removal_policy=settings.policy.removal_policy,
        )
        self.role = aws_iam.Role(
            self,
            "Role",
            assumed_by=aws_iam.ServicePrincipal("lambda.amazonaws.com"),
            description=f"Runs {name} (customer {slug}); nothing else may assume it.",
        )
        secret_arns = [secret.secret_arn]
        if own_secrets is not None:
            secret_arns.append(own_secrets.secret_arn)
        self.failures = aws_sqs.Queue(
            self,
            "Failures",
            queue_name=failures_queue_name(settings, slug),
            encryption=aws_sqs.QueueEncryption.SQS_MANAGED,
            retention_period=FAILURE_RETENTION,
            enforce_ssl=True,
            removal_policy=settings.policy.removal_policy,
        )
        Validations.of(self.failures).acknowledge(
            Acknowledgment(
                id="AwsSolutions-SQS3",
                reason="This queue is itself the dead-letter destination of the customer's"
                " failed asynchronous invocations; nothing consumes it automatically.",
            )
        )
        self._grant(slug, platform, secret_arns)
        self.role.add_to_policy(
            aws_iam.PolicyStatement(
                actions=list(SELF_INVOKE_ACTIONS),
                resources=[
                    self.format_arn(
                        service="lambda",
                        resource="function",
                        resource_name=self_function,
                        arn_format=ArnFormat.COLON_RESOURCE_NAME,
                    )
                ],
            )
        )
        environment = {
            "PIVOTKIT_CUSTOMER": slug,
            "PIVOTKIT_STAGE": settings.stage.value,
            "PIVOTKIT_STATE_TABLE": platform.state_table_name,
            "PIVOTKIT_MEDIA_BUCKET": platform.media_bucket_name,
            # One entry: pivotkit.aws.secrets_tokens reads {slug: secret id}.
            "PIVOTKIT_TOKENS_SECRETS": self.to_json_string({slug: secret.secret_arn}),
            "PIVOTKIT_SELF_FUNCTION": self_function,
            "POWERTOOLS_SERVICE_NAME": service_name(slug),
            "POWERTOOLS_METRICS_NAMESPACE": METRICS_NAMESPACE,
        }
        if own_secrets is not None:
            # pivotkit.aws.secrets_values reads {slug: secret id} on the first call.secrets.
            environment["PIVOTKIT_SECRETS"] = self.to_json_string({slug: own_secrets.secret_arn})

        self.function = aws_lambda.Function(
            self,
            "Function",
            function_name=name,
            description=f"Kazoo Pivot and media endpoint of customer {slug}",
            runtime=LAMBDA_PLATFORM.runtime,
            architecture=LAMBDA_PLATFORM.architecture,
            handler=HANDLER,
            code=function_code(
                handlers_dir, all_customers, included=[slug], stage=settings.stage.value
            ),
            layers=[
                aws_lambda.LayerVersion.from_layer_version_arn(
                    self, "Dependencies", platform.layer_arn
                )
            ],
            environment=environment,
            timeout=TIMEOUT,
            memory_size=MEMORY_MB,
            role=self.role,
            log_group=self.log_group,
            logging_format=aws_lambda.LoggingFormat.JSON,
            application_log_level_v2=aws_lambda.ApplicationLogLevel.INFO,
            system_log_level_v2=aws_lambda.SystemLogLevel.WARN,
            reserved_concurrent_executions=settings.reserved_for(slug),
        )
        Validations.of(self.function).acknowledge(
            Acknowledgment(
                id="AwsSolutions-L1",
                reason=f"{LAMBDA_PLATFORM.runtime.name} is chosen on purpose and is supported:"
                " the dependency layer's wheels are built for exactly this runtime, so both"
                " move together by changing LAMBDA_PLATFORM (infra/platform.py).",
            )
        )
        # The URL targets the alias so provisioned concurrency (on a version) serves it.
        self.alias = aws_lambda.Alias(
            self,
            "Live",
            alias_name=ALIAS_NAME,
            version=self.function.current_version,
            provisioned_concurrent_executions=settings.provisioned_concurrency.get(slug),
            retry_attempts=ASYNC_RETRY_ATTEMPTS,
            max_event_age=MAX_EVENT_AGE,
            # Grants the role sqs:SendMessage (and the two reads it needs) on this queue only.
            on_failure=aws_lambda_destinations.SqsDestination(self.failures),
        )
        self.url = self.alias.add_function_url(auth_type=aws_lambda.FunctionUrlAuthType.NONE)

        customer_alarm(
            self,
            settings,
            slug,
            aws_sns.Topic.from_topic_arn(self, "AlarmTopic", platform.alarm_topic_arn),
        )

        # The URL ends with "/"; Kazoo's URLs name the customer after the route.
        base = self.url.url
        CfnOutput(
            self,
            "VoiceUrl",
            value=f"{base}pivot/{slug}",
            description=f"{slug}: Kazoo pivot voice_url without its token; append"
            " ?token=<token> (docs/deploy.md: getting a customer's token).",
        )
        CfnOutput(
            self,
            "MediaUrl",
            value=f"{base}media/{slug}",
            description=f"{slug}: base URL for record_call and storage-plan uploads.",
        )
        CfnOutput(self, "CredentialsSecretArn", value=secret.secret_arn)
        if own_secrets is not None:
            CfnOutput(
                self,
                "SecretsArn",
                value=own_secrets.secret_arn,
                description=f"{slug}: the secret of {', '.join(declared.secrets)}; set it with"
                " aws secretsmanager put-secret-value --secret-id <this> (docs/deploy.md).",
            )
        CfnOutput(self, "FunctionName", value=name)
        CfnOutput(
            self,
            "FailuresQueueUrl",
            value=self.failures.queue_url,
            description=f"{slug}: background jobs and media hooks that failed after Lambda's"
            " retries (docs/long-work.md: reading and replaying them).",
        )
        CfnOutput(
            self,
            "LogGroupName",
            value=self.log_group.log_group_name,
            description=f"{slug}: the function's logs and call journal (pivotkit calls --stage).",
        )

    def _grant(self, slug: str, platform: PlatformValues, secret_arns: list[str]) -> None:
        bucket_arn = platform.media_bucket_arn(self)
        statements = [
            # Instead of AWSLambdaBasicExecutionRole (any log group): this function's only.
            aws_iam.PolicyStatement(
                actions=list(LOG_ACTIONS), resources=[self.log_group.log_group_arn]
            ),
            aws_iam.PolicyStatement(
                actions=list(STATE_ITEM_ACTIONS),
                resources=[platform.state_table_arn(self)],
                conditions={
                    "ForAllValues:StringLike": {"dynamodb:LeadingKeys": [state_key_prefix(slug)]},
                    # ForAllValues is true for a request with no leading keys at all (a Scan,
                    # were one ever added above); require that keys are present.
                    "Null": {"dynamodb:LeadingKeys": "false"},
                },
            ),
            # No s3:ListBucket: it would list every customer's keys (docs/deploy.md).
            aws_iam.PolicyStatement(
                actions=list(MEDIA_OBJECT_ACTIONS),
                resources=[f"{bucket_arn}/{media_key_prefix(slug)}"],
            ),
            aws_iam.PolicyStatement(actions=list(SECRET_ACTIONS), resources=secret_arns),
        ]
        for statement in statements:
            self.role.add_to_policy(statement)
        bucket_ref = self.resolve(platform.media_bucket_name)["Ref"]
        Validations.of(self.role).acknowledge(
            Acknowledgment(
                id="AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:s3:::"
                f"<{bucket_ref}>/{media_key_prefix(slug)}]",
                reason="Media objects are created per call under the customer's prefix, so"
                " their keys are not known in advance; the wildcard is confined to it.",
            )
        )
