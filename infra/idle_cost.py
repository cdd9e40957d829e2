"""What a stack costs a month before any call: computed from its synthesized template.

Prices are us-east-1 list prices (USD) of everything billed per resource rather than per
use. Every resource type in a pivotkit template must be listed here, priced or explicitly
free while idle, so a new kind of resource cannot slip in unpriced.

    idle = 0.10 x alarm metrics          (a metric math alarm is billed per metric it reads)
         + 0.40 x secrets
         + 3.00 x dashboards             (the free tier's 3 hold up to 50 metrics each; the
                                          stage's one dashboard is in the platform stack and
                                          is counted there, not per customer)
         + provisioned GB x 2,628,000 s x 0.0000033334 $/GB-s (arm64), when configured

Per customer, by default: one single-metric alarm and one secret, $0.50. The platform stack
is a fixed amount whatever the number of customers (its alarms and dashboard), plus storage
that depends on use (DynamoDB, S3, logs), which no template can tell.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

ALARM_METRIC_MONTH = 0.10  # standard resolution, per metric an alarm reads
SECRET_MONTH = 0.40
DASHBOARD_MONTH = 3.00
# Provisioned concurrency, arm64: billed for every second it is configured, used or not.
PROVISIONED_GB_SECOND_ARM64 = 0.0000033334
SECONDS_PER_MONTH = 730 * 3600

# Free while idle: paid per request, per GB stored or ingested, or not at all.
FREE_WHILE_IDLE = frozenset(
    {
        "AWS::CDK::Metadata",
        "AWS::IAM::Role",
        "AWS::IAM::Policy",
        "AWS::Lambda::Function",
        "AWS::Lambda::Version",
        "AWS::Lambda::Alias",
        "AWS::Lambda::EventInvokeConfig",  # configuration only
        "AWS::Lambda::Url",
        "AWS::Lambda::Permission",
        "AWS::Lambda::LayerVersion",  # storage counts against the free 75 GB code storage
        "AWS::Logs::LogGroup",  # $0.50/GB ingested, $0.03/GB-month stored: empty is free
        "AWS::SSM::Parameter",  # standard tier
        "AWS::SNS::Topic",
        "AWS::SNS::TopicPolicy",
        "AWS::SNS::Subscription",
        "AWS::DynamoDB::Table",  # on demand: requests and GB-month only
        "AWS::S3::Bucket",  # requests and GB-month only
        "AWS::S3::BucketPolicy",
        "AWS::SQS::Queue",  # per request only (SQS-managed SSE is free): empty is free
        "AWS::SQS::QueuePolicy",
        "Custom::S3AutoDeleteObjects",
    }
)


class UnpricedResource(ValueError):
    """A template holds a resource type this table does not price."""


@dataclass(frozen=True)
class IdleCost:
    alarm_metrics: int
    secrets: int
    dashboards: int
    provisioned_gb: float

    @property
    def monthly(self) -> float:
        return (
            self.alarm_metrics * ALARM_METRIC_MONTH
            + self.secrets * SECRET_MONTH
            + self.dashboards * DASHBOARD_MONTH
            + self.provisioned_gb * SECONDS_PER_MONTH * PROVISIONED_GB_SECOND_ARM64
        )


def alarm_metrics(properties: Mapping[str, Any]) -> int:
    """How many metrics an alarm is billed for: one, or each metric its math reads."""
    queries = properties.get("Metrics")
    if not queries:
        return 1
    return sum(1 for query in queries if "MetricStat" in query)


def idle_cost(template: Mapping[str, Any]) -> IdleCost:
    metrics = secrets = dashboards = 0
    memory_mb: dict[str, float] = {}
    provisioned: list[tuple[Any, int]] = []
    for logical_id, resource in template.get("Resources", {}).items():
        kind, properties = resource["Type"], resource.get("Properties", {})
        if kind == "AWS::CloudWatch::Alarm":
            metrics += alarm_metrics(properties)
        elif kind == "AWS::SecretsManager::Secret":
            secrets += 1
        elif kind == "AWS::CloudWatch::Dashboard":
            dashboards += 1
        elif kind not in FREE_WHILE_IDLE:
            raise UnpricedResource(f"{logical_id}: {kind} has no idle price in infra.idle_cost")
        if kind == "AWS::Lambda::Function":
            memory_mb[logical_id] = float(properties.get("MemorySize", 128))
        if kind == "AWS::Lambda::Alias" and "ProvisionedConcurrencyConfig" in properties:
            count = int(
                properties["ProvisionedConcurrencyConfig"]["ProvisionedConcurrentExecutions"]
            )
            provisioned.append((properties["FunctionName"], count))
    gb = 0.0
    for function, count in provisioned:
        logical_id = function["Ref"] if isinstance(function, Mapping) else function
        gb += count * memory_mb[logical_id] / 1024
    return IdleCost(metrics, secrets, dashboards, gb)
