"""Alarms to one SNS topic and one dashboard per stage, at a cost that does not grow with
customers beyond one alarm each (``infra.idle_cost``).

What pages someone is what a caller notices. Per customer (its own stack), one alarm on one
metric: the kit's ``Fallbacks`` count, every Pivot answer other than 200 (whatever the
cause, 4xx included: a wrong token after a botched rotation sounds the same to a caller).
It names the customer that is hurting and costs one alarm metric ($0.10 a month); a rate
over requests would be a metric math alarm over two metrics, billed as two.

Fleet-wide (the platform stack, a constant number of alarms whatever the customers):

* Lambda errors, account-wide: a function crashed or timed out (no kit metric then);
* Lambda throttles, account-wide: a customer reached its reserved concurrency, a flood
  (or a real peak) is being refused with 429 at that customer's URL only;
* DynamoDB throttling of the state table (state writes failing).

The dashboard graphs every customer with ``SEARCH`` expressions (``infra.kit_metrics``), so
it is one widget list whatever the number of customers: which customer, which function is
in the lines. CloudWatch alarms cannot use SEARCH, hence the per-customer alarm.
"""

from __future__ import annotations

from aws_cdk import (
    Acknowledgment,
    Duration,
    Validations,
    aws_cloudwatch,
    aws_sns,
)
from aws_cdk import aws_cloudwatch_actions as actions
from aws_cdk import aws_dynamodb as dynamodb
from aws_cdk import aws_sns_subscriptions as subscriptions
from constructs import Construct

from infra.kit_metrics import (
    FALLBACKS,
    LATENCY,
    MEDIA_ANSWERS_4XX,
    MEDIA_ANSWERS_5XX,
    MEDIA_BYTES_STORED,
    MEDIA_LATENCY,
    MEDIA_REQUESTS,
    REQUESTS,
    STATE_CONFLICTS,
    STATE_RETRIES,
    CustomerMetrics,
    fleet_search,
)
from infra.names import alarm_name
from infra.settings import DeploymentSettings

PERIOD = Duration.minutes(5)
# At least this many of a customer's Pivot requests answered non-200 in one period: that
# many callers heard the pivot node's fallback. One is a blip (a caller hanging up on a
# slow answer, a replayed URL); three in five minutes is a pattern worth a look.
FALLBACK_COUNT = 3
LAMBDA_NAMESPACE = "AWS/Lambda"


def _alarm(
    scope: Construct,
    construct_id: str,
    metric: aws_cloudwatch.IMetric,
    threshold: float,
    what: str,
    topic: aws_sns.ITopic,
    name: str | None = None,
) -> aws_cloudwatch.Alarm:
    """An alarm at ``threshold`` or more in one period; missing data (no traffic) is not
    breaching. Both ALARM and OK go to the topic."""
    alarm = aws_cloudwatch.Alarm(
        scope,
        construct_id,
        metric=metric,
        threshold=threshold,
        evaluation_periods=1,
        comparison_operator=aws_cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
        treat_missing_data=aws_cloudwatch.TreatMissingData.NOT_BREACHING,
        alarm_description=what,
        alarm_name=name,
    )
    action = actions.SnsAction(topic)
    alarm.add_alarm_action(action)
    alarm.add_ok_action(action)
    return alarm


def customer_alarm(
    scope: Construct, settings: DeploymentSettings, slug: str, topic: aws_sns.ITopic
) -> aws_cloudwatch.Alarm:
    """The one alarm of a customer's stack."""
    kit = CustomerMetrics.pivot(slug, PERIOD)
    minutes = PERIOD.to_minutes()
    return _alarm(
        scope,
        "Fallbacks",
        kit.metric(FALLBACKS, "Sum"),
        FALLBACK_COUNT,
        f"{slug}: {FALLBACK_COUNT} or more Pivot requests in {minutes:.0f} minutes answered"
        " non-200; those callers heard the pivot node's fallback. The request lines' error"
        " field and the stage dashboard (Fallbacks, Answers by customer) say why.",
        topic,
        alarm_name(settings, slug),
    )


class PlatformMonitoring(Construct):
    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        settings: DeploymentSettings,
        table: dynamodb.ITable,
    ) -> None:
        super().__init__(scope, construct_id)
        self.topic = aws_sns.Topic(
            self, "Alarms", display_name=f"{settings.name_prefix} alarms", enforce_ssl=True
        )
        Validations.of(self.topic).acknowledge(
            Acknowledgment(
                id="AwsSolutions-SNS2",
                reason="Alarm notifications carry metric names and thresholds, no call data."
                " CloudWatch cannot publish to a topic under the AWS-managed SNS key, and a"
                " customer-managed key for this alone is not worth its cost.",
            )
        )
        if settings.alarm_email is not None:
            self.topic.add_subscription(subscriptions.EmailSubscription(settings.alarm_email))
        self.alarms = [
            _alarm(
                self,
                "LambdaErrors",
                _account_lambda("Errors"),
                1,
                "A Lambda function in this account and region failed or timed out (no kit"
                " metric is written then): callers got the pivot fallback or an upload"
                " failed. The dashboard's Errors graph names the function, hence the customer.",
                self.topic,
            ),
            _alarm(
                self,
                "LambdaThrottles",
                _account_lambda("Throttles"),
                1,
                "A function reached its reserved concurrency: that customer's URL answers 429"
                " (a flood, or a real peak above -c reserved). Other customers are not"
                " affected. The dashboard's Throttles graph names the function.",
                self.topic,
            ),
            _alarm(
                self,
                "StateThrottles",
                _table_throttles(table),
                1,
                "DynamoDB throttled call-state requests; Pivot steps may fail.",
                self.topic,
            ),
        ]
        self.dashboard = _dashboard(self, settings, table, self.alarms)


def _account_lambda(name: str) -> aws_cloudwatch.Metric:
    """A Lambda metric summed over every function of the account and region (no dimension:
    CloudWatch publishes these aggregates for free)."""
    return aws_cloudwatch.Metric(
        namespace=LAMBDA_NAMESPACE, metric_name=name, statistic="Sum", period=PERIOD
    )


def _table_throttles(table: dynamodb.ITable) -> aws_cloudwatch.IMetric:
    return table.metric_throttled_requests_for_operations(
        operations=[
            dynamodb.Operation.GET_ITEM,
            dynamodb.Operation.PUT_ITEM,
            dynamodb.Operation.UPDATE_ITEM,
            dynamodb.Operation.DELETE_ITEM,
            dynamodb.Operation.TRANSACT_WRITE_ITEMS,
        ],
        period=PERIOD,
    )


def _function_search(
    settings: DeploymentSettings, name: str, statistic: str
) -> aws_cloudwatch.MathExpression:
    """``name`` of every function of the stage (``pivotkit-<stage>-<slug>``), one line each."""
    seconds = int(PERIOD.to_seconds())
    prefix = f"{settings.name_prefix}-"
    return aws_cloudwatch.MathExpression(
        expression=f'SEARCH(\'{{{LAMBDA_NAMESPACE},FunctionName}} MetricName="{name}"'
        f" {prefix}', '{statistic}', {seconds})",
        using_metrics={},
        label=" ",
        period=PERIOD,
    )


def _graph(title: str, metrics: list[aws_cloudwatch.IMetric]) -> aws_cloudwatch.GraphWidget:
    return aws_cloudwatch.GraphWidget(title=title, left=metrics, width=6, height=6)


def _dashboard(
    scope: Construct,
    settings: DeploymentSettings,
    table: dynamodb.ITable,
    alarms: list[aws_cloudwatch.Alarm],
) -> aws_cloudwatch.Dashboard:
    dashboard = aws_cloudwatch.Dashboard(
        scope,
        "Dashboard",
        dashboard_name=settings.name_prefix,
        default_interval=Duration.hours(3),
    )

    def kit(title: str, name: str, statistic: str) -> aws_cloudwatch.GraphWidget:
        return _graph(title, [fleet_search(name, statistic, PERIOD)])

    def functions(title: str, name: str, statistic: str) -> aws_cloudwatch.GraphWidget:
        return _graph(title, [_function_search(settings, name, statistic)])

    dashboard.add_widgets(
        kit("Pivot requests by customer", REQUESTS, "Sum"),
        kit("Fallbacks by customer (count)", FALLBACKS, "Sum"),
        kit("Pivot latency p99 by customer (ms, in the handler)", LATENCY, "p99"),
        _graph(
            "State retries and conflicts by customer",
            [
                fleet_search(STATE_RETRIES, "Sum", PERIOD),
                fleet_search(STATE_CONFLICTS, "Sum", PERIOD),
            ],
        ),
    )
    dashboard.add_widgets(
        kit("Media requests by customer", MEDIA_REQUESTS, "Sum"),
        _graph(
            "Media 4xx and 5xx by customer (count)",
            [
                fleet_search(MEDIA_ANSWERS_4XX, "Sum", PERIOD),
                fleet_search(MEDIA_ANSWERS_5XX, "Sum", PERIOD),
            ],
        ),
        kit("Media latency p99 by customer (ms, in the handler)", MEDIA_LATENCY, "p99"),
        kit("Media bytes stored by customer", MEDIA_BYTES_STORED, "Sum"),
    )
    dashboard.add_widgets(
        functions("Invocations by function", "Invocations", "Sum"),
        functions("Errors by function", "Errors", "Sum"),
        functions("Throttles by function (429 at that customer's URL)", "Throttles", "Sum"),
        functions("Duration p99 by function (ms)", "Duration", "p99"),
    )
    dashboard.add_widgets(
        functions("Concurrent executions by function", "ConcurrentExecutions", "Maximum"),
        _graph(
            "Call state (DynamoDB)",
            [
                table.metric_consumed_read_capacity_units(period=PERIOD, label="read units"),
                table.metric_consumed_write_capacity_units(period=PERIOD, label="write units"),
                table.metric_conditional_check_failed_requests(
                    period=PERIOD, label="conflicts (conditional check failed)"
                ),
            ],
        ),
        aws_cloudwatch.AlarmStatusWidget(
            title="Fleet alarms (each customer's own alarm is in its stack)",
            alarms=list(alarms),
            width=12,
            height=6,
        ),
    )
    return dashboard
