"""What the platform stack publishes for the customer stacks: SSM parameters, not exports.

A customer stack reads the platform's table, bucket, layer and alarm topic from SSM
parameters (CloudFormation parameters of type ``AWS::SSM::Parameter::Value<String>``,
resolved at each deployment). CloudFormation exports would tie the stacks together: an
export cannot change while another stack imports it, so a new dependency layer (a new
layer version ARN) could never be deployed while any customer uses the old one. With
parameters the platform template never mentions a customer, and the only cost is that a
customer stack picks up a new value at its next deployment (docs/deploy.md: after a layer
change, ``cdk deploy --force`` the customer stacks).
"""

from __future__ import annotations

from dataclasses import dataclass

from aws_cdk import Stack, aws_ssm
from constructs import Construct

from infra.settings import DeploymentSettings

STATE_TABLE = "state-table-name"
MEDIA_BUCKET = "media-bucket-name"
LAYER = "dependency-layer-arn"
ALARM_TOPIC = "alarm-topic-arn"
ALL = (STATE_TABLE, MEDIA_BUCKET, LAYER, ALARM_TOPIC)


def parameter_name(settings: DeploymentSettings, key: str) -> str:
    return f"/{settings.name_prefix}/platform/{key}"


def publish(
    scope: Construct, settings: DeploymentSettings, values: dict[str, str]
) -> list[aws_ssm.StringParameter]:
    """The platform's side: one standard (free) parameter per value."""
    assert set(values) == set(ALL), sorted(values)
    return [
        aws_ssm.StringParameter(
            scope,
            f"Parameter-{key}",
            parameter_name=parameter_name(settings, key),
            string_value=value,
            description=f"pivotkit platform ({settings.stage.value}): {key}, read by every"
            " customer stack at deployment.",
        )
        for key, value in values.items()
    ]


@dataclass(frozen=True)
class PlatformValues:
    """The customer's side: tokens that resolve to the platform's values at deployment."""

    state_table_name: str
    media_bucket_name: str
    layer_arn: str
    alarm_topic_arn: str

    @classmethod
    def read(cls, scope: Construct, settings: DeploymentSettings) -> PlatformValues:
        def value(key: str) -> str:
            return aws_ssm.StringParameter.value_for_string_parameter(
                scope, parameter_name(settings, key)
            )

        return cls(value(STATE_TABLE), value(MEDIA_BUCKET), value(LAYER), value(ALARM_TOPIC))

    def state_table_arn(self, scope: Construct) -> str:
        return Stack.of(scope).format_arn(
            service="dynamodb", resource="table", resource_name=self.state_table_name
        )

    def media_bucket_arn(self, scope: Construct) -> str:
        return Stack.of(scope).format_arn(
            service="s3", region="", account="", resource=self.media_bucket_name
        )
