"""The call-state table: one item per call, keyed ``<customer>#<account_id>#<call_id>``.

The customer slug leads the key so IAM can confine each customer's function to its own
items with ``dynamodb:LeadingKeys`` (see ``infra.customer_stack``).
"""

from __future__ import annotations

from aws_cdk import aws_dynamodb
from constructs import Construct

from infra.settings import DeploymentSettings

PARTITION_KEY = "pk"
TTL_ATTRIBUTE = "expires_at"


class CallStateTable(Construct):
    def __init__(self, scope: Construct, construct_id: str, *, settings: DeploymentSettings):
        super().__init__(scope, construct_id)
        policy = settings.policy
        self.table = aws_dynamodb.Table(
            self,
            "Table",
            partition_key=aws_dynamodb.Attribute(
                name=PARTITION_KEY, type=aws_dynamodb.AttributeType.STRING
            ),
            # Call volume is spiky and unpredictable; on-demand never throttles a ramp-up
            # that provisioned capacity would, and costs nothing while idle.
            billing_mode=aws_dynamodb.BillingMode.PAY_PER_REQUEST,
            time_to_live_attribute=TTL_ATTRIBUTE,
            point_in_time_recovery_specification=aws_dynamodb.PointInTimeRecoverySpecification(
                point_in_time_recovery_enabled=True
            ),
            encryption=aws_dynamodb.TableEncryption.AWS_MANAGED,
            deletion_protection=policy.deletion_protection,
            removal_policy=policy.removal_policy,
        )
