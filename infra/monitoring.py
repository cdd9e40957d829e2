"""Alarms to an SNS topic and one CloudWatch dashboard per stage.

What pages someone is what a caller notices: a function error (the caller hears the
fallback), Pivot answers getting close to Kazoo's 5 s limit (soon they will be dropped),
a rising share of 5xx at the API, DynamoDB throttling (state writes failing), and from the
kit's own metrics, per customer: a rising share of fallbacks (whatever the cause, 4xx
included: a wrong token after a botched rotation sounds the same to a caller) and state
calls being retried for a sustained while (DynamoDB slow or failing: answers get later,
then become fallbacks). For the media function, per customer: a rising share of its own
5xx answers (S3 failing: recordings wait for Kazoo's retry, stored voicemail and faxes
cannot be played back).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from aws_cdk import (
    Acknowledgment,
    Duration,
    Validations,
    aws_apigatewayv2,
    aws_cloudwatch,
    aws_lambda,
    aws_sns,
)
from aws_cdk import aws_cloudwatch_actions as actions
from aws_cdk import aws_dynamodb as dynamodb
from aws_cdk import aws_sns_subscriptions as subscriptions
from constructs import Construct

from infra.functions import MediaFunction
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
)
from infra.settings import DeploymentSettings

PERIOD = Duration.minutes(5)
# Alarm when p99 reaches this share of the function's timeout (4 s of Kazoo's 5 s).
DURATION_ALARM_SHARE = 0.8
API_5XX_PERCENT = 5
# More than this share of a customer's Pivot requests answered non-200 in a period: those
# callers heard the pivot node's fallback. Below MIN_REQUESTS a period is not judged: two
# failures out of three requests say little, and the Errors alarm still sees crashes.
FALLBACK_PERCENT = 5
MIN_REQUESTS = 20
# DynamoDB calls the state store retried, per request, sustained over STATE_RETRY_PERIODS
# periods. A retry after a throttle, a 5xx or one of the store's fail-fast timeouts is
# invisible to callers until the state budget runs out (then: fallbacks), and client-side
# timeouts appear in no DynamoDB metric, so this is the early warning. A single blip
# retried once is normal and must not page anyone.
STATE_RETRY_PERCENT = 5
STATE_RETRY_PERIODS = 3
# More than this share of a customer's media requests answered 5xx in a period. The S3
# client has already tried each call three times by then (pivotkit/aws/s3_media.py), so a
# 5xx is S3 failing, timing out or not confirming a checksum, not a blip (or Secrets
# Manager failing on a cold start's token read, or a bug: every one of them fails uploads).
# A recording upload waits for Kazoo's retry (4.3: 1-10 minutes later, storage_retry_times
# times), a storage-plan read plays nothing. Media requests are fewer than Pivot requests
# (one upload per recording or message, one read per playback), hence the lower minimum;
# below it, the 5xx still count towards Api5xxRate (every route, no minimum).
MEDIA_5XX_PERCENT = 5
MIN_MEDIA_REQUESTS = 10


@dataclass(frozen=True)
class MonitoredFunction:
    label: str
    function: aws_lambda.IFunction
    timeout: Duration
    # The customer a Pivot function serves: its kit metrics get alarms and graphs too.
    customer: str | None = None

    @property
    def is_media(self) -> bool:
        """Whether this is the media function (it serves every customer of the stack)."""
        return isinstance(self.function.node.scope, MediaFunction)


class Monitoring(Construct):
    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        settings: DeploymentSettings,
        api: aws_apigatewayv2.HttpApi,
        functions: Sequence[MonitoredFunction],
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
        self._action = actions.SnsAction(self.topic)
        self.alarms: list[aws_cloudwatch.Alarm] = []

        kits = {
            m.label: CustomerMetrics.pivot(m.customer, PERIOD)
            for m in functions
            if m.customer is not None
        }
        # The media function's metrics, per customer it serves: all the stack's customers.
        media = {
            f"{m.label}{_camel(kit.slug)}": CustomerMetrics.media(kit.slug, PERIOD)
            for m in functions
            if m.is_media
            for kit in kits.values()
        }
        for monitored in functions:
            self._function_alarms(monitored)
        for label, kit in kits.items():
            self._kit_alarms(label, kit)
        for label, kit in media.items():
            self._media_alarm(label, kit)
        self._api_alarm(api)
        self._table_alarm(table)
        self.dashboard = self._dashboard(
            settings, api, functions, table, list(kits.values()), list(media.values())
        )

    def _alarm(
        self,
        construct_id: str,
        metric: aws_cloudwatch.IMetric,
        threshold: float,
        what: str,
        *,
        above: bool = False,
        periods: int = 1,
    ) -> None:
        """An alarm at ``threshold`` or more (strictly ``above`` it if asked) in each of
        ``periods`` consecutive periods (all of them: CloudWatch's default when no
        DatapointsToAlarm is given). Missing data (no traffic) is not breaching."""
        comparison = aws_cloudwatch.ComparisonOperator
        alarm = aws_cloudwatch.Alarm(
            self,
            construct_id,
            metric=metric,
            threshold=threshold,
            evaluation_periods=periods,
            comparison_operator=(
                comparison.GREATER_THAN_THRESHOLD
                if above
                else comparison.GREATER_THAN_OR_EQUAL_TO_THRESHOLD
            ),
            treat_missing_data=aws_cloudwatch.TreatMissingData.NOT_BREACHING,
            alarm_description=what,
        )
        alarm.add_alarm_action(self._action)
        alarm.add_ok_action(self._action)
        self.alarms.append(alarm)

    def _function_alarms(self, monitored: MonitoredFunction) -> None:
        fn, label = monitored.function, monitored.label
        self._alarm(
            f"{label}Errors",
            fn.metric_errors(period=PERIOD, statistic="Sum"),
            1,
            f"{label}: the function failed; callers got the pivot fallback.",
        )
        limit_ms = monitored.timeout.to_milliseconds() * DURATION_ALARM_SHARE
        self._alarm(
            f"{label}DurationP99",
            fn.metric_duration(period=PERIOD, statistic="p99"),
            limit_ms,
            f"{label}: p99 duration at {limit_ms:.0f} ms, close to the"
            f" {monitored.timeout.to_milliseconds():.0f} ms limit Kazoo and Lambda allow.",
        )

    def _kit_alarms(self, label: str, kit: CustomerMetrics) -> None:
        self._alarm(
            f"{label}FallbackRate",
            kit.percent_of_requests(
                FALLBACKS, min_requests=MIN_REQUESTS, label=f"{kit.slug} fallbacks %"
            ),
            FALLBACK_PERCENT,
            f"{kit.slug}: more than {FALLBACK_PERCENT}% of Pivot requests (at least"
            f" {MIN_REQUESTS} in {PERIOD.to_minutes():.0f} minutes) answered non-200; those"
            " callers heard the pivot node's fallback. Answers4xx/Answers5xx and the request"
            " lines' error field say why.",
            above=True,
        )
        minutes = STATE_RETRY_PERIODS * PERIOD.to_minutes()
        self._alarm(
            f"{label}StateRetryRate",
            kit.percent_of_requests(
                STATE_RETRIES, min_requests=MIN_REQUESTS, label=f"{kit.slug} state retries %"
            ),
            STATE_RETRY_PERCENT,
            f"{kit.slug}: DynamoDB state calls retried (throttles, 5xx, timeouts) for more than"
            f" {STATE_RETRY_PERCENT}% of Pivot requests for {minutes:.0f} minutes; answers are"
            " getting slower and will become fallbacks when the state budget runs out.",
            above=True,
            periods=STATE_RETRY_PERIODS,
        )

    def _media_alarm(self, label: str, kit: CustomerMetrics) -> None:
        self._alarm(
            f"{label}5xxRate",
            kit.percent_of_requests(
                MEDIA_ANSWERS_5XX, min_requests=MIN_MEDIA_REQUESTS, label=f"{kit.slug} media 5xx %"
            ),
            MEDIA_5XX_PERCENT,
            f"{kit.slug}: more than {MEDIA_5XX_PERCENT}% of media requests (at least"
            f" {MIN_MEDIA_REQUESTS} in {PERIOD.to_minutes():.0f} minutes) answered 5xx: S3"
            " failed, timed out or did not confirm a checksum (media_unavailable), the tokens"
            " could not be read (tokens_unavailable) or a bug (internal_error). Kazoo retries a"
            " failed recording upload 1-10 minutes later; a failed storage-plan read plays"
            " nothing. The media lines' error field says which.",
            above=True,
        )

    def _api_alarm(self, api: aws_apigatewayv2.HttpApi) -> None:
        rate = aws_cloudwatch.MathExpression(
            expression="IF(requests > 0, 100 * errors / requests, 0)",
            using_metrics={
                "errors": api.metric_server_error(period=PERIOD, statistic="Sum"),
                "requests": api.metric_count(period=PERIOD, statistic="Sum"),
            },
            label="5xx %",
            period=PERIOD,
        )
        self._alarm(
            "Api5xxRate",
            rate,
            API_5XX_PERCENT,
            f"At least {API_5XX_PERCENT}% of API requests answered 5xx (Kazoo ran fallbacks).",
        )

    def _table_alarm(self, table: dynamodb.ITable) -> None:
        throttles = table.metric_throttled_requests_for_operations(
            operations=[
                dynamodb.Operation.GET_ITEM,
                dynamodb.Operation.PUT_ITEM,
                dynamodb.Operation.UPDATE_ITEM,
                dynamodb.Operation.DELETE_ITEM,
                dynamodb.Operation.TRANSACT_WRITE_ITEMS,
            ],
            period=PERIOD,
        )
        self._alarm(
            "StateThrottles",
            throttles,
            1,
            "DynamoDB throttled call-state requests; Pivot steps may fail.",
        )

    def _dashboard(
        self,
        settings: DeploymentSettings,
        api: aws_apigatewayv2.HttpApi,
        functions: Sequence[MonitoredFunction],
        table: dynamodb.ITable,
        kits: Sequence[CustomerMetrics],
        media: Sequence[CustomerMetrics],
    ) -> aws_cloudwatch.Dashboard:
        dashboard = aws_cloudwatch.Dashboard(
            self,
            "Dashboard",
            dashboard_name=settings.name_prefix,
            default_interval=Duration.hours(3),
        )

        def per_function(
            title: str, statistic: str, metric_name: str
        ) -> aws_cloudwatch.GraphWidget:
            return _graph(
                title,
                [
                    m.function.metric(
                        metric_name, statistic=statistic, period=PERIOD, label=m.label
                    )
                    for m in functions
                ],
            )

        dashboard.add_widgets(
            _graph(
                "API requests and errors",
                [
                    api.metric_count(period=PERIOD, statistic="Sum", label="requests"),
                    api.metric_client_error(period=PERIOD, statistic="Sum", label="4xx"),
                    api.metric_server_error(period=PERIOD, statistic="Sum", label="5xx"),
                ],
            ),
            _graph(
                "API latency (ms)",
                [
                    api.metric_latency(period=PERIOD, statistic="p50", label="p50"),
                    api.metric_latency(period=PERIOD, statistic="p99", label="p99"),
                    api.metric_integration_latency(
                        period=PERIOD, statistic="p99", label="integration p99"
                    ),
                ],
            ),
            aws_cloudwatch.AlarmStatusWidget(
                title="Alarms", alarms=list(self.alarms), width=8, height=6
            ),
        )
        dashboard.add_widgets(
            per_function("Invocations", "Sum", "Invocations"),
            per_function("Errors", "Sum", "Errors"),
            per_function("Duration p99 (ms)", "p99", "Duration"),
        )
        dashboard.add_widgets(
            per_function("Concurrent executions", "Maximum", "ConcurrentExecutions"),
            per_function("Throttles", "Sum", "Throttles"),
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
        )
        if kits:
            dashboard.add_widgets(*_kit_widgets(kits))
        if media:
            dashboard.add_widgets(*_media_widgets(media))
        return dashboard


def _graph(
    title: str, metrics: Sequence[aws_cloudwatch.IMetric], width: int = 8
) -> aws_cloudwatch.GraphWidget:
    return aws_cloudwatch.GraphWidget(title=title, left=list(metrics), width=width, height=6)


def _kit_widgets(kits: Sequence[CustomerMetrics]) -> list[aws_cloudwatch.GraphWidget]:
    """One row of the kit's own metrics, a line per customer."""
    state = ((STATE_RETRIES, "retries"), (STATE_CONFLICTS, "conflicts"))
    return [
        _graph(
            "Pivot requests by customer",
            [kit.metric(REQUESTS, "Sum", kit.slug) for kit in kits],
            width=6,
        ),
        # Not gated by a minimum request count like the alarm: the graph shows every share.
        _graph(
            "Fallbacks by customer (% of requests)",
            [kit.percent_of_requests(FALLBACKS, label=kit.slug) for kit in kits],
            width=6,
        ),
        _graph(
            "Pivot latency p99 by customer (ms, in the handler)",
            [kit.metric(LATENCY, "p99", kit.slug) for kit in kits],
            width=6,
        ),
        _graph(
            "State retries and conflicts by customer",
            [kit.metric(name, "Sum", f"{kit.slug} {what}") for kit in kits for name, what in state],
            width=6,
        ),
    ]


def _media_widgets(media: Sequence[CustomerMetrics]) -> list[aws_cloudwatch.GraphWidget]:
    """One row of the media function's metrics, a line per customer."""
    errors = ((MEDIA_ANSWERS_4XX, "4xx"), (MEDIA_ANSWERS_5XX, "5xx"))
    return [
        _graph(
            "Media requests by customer",
            [kit.metric(MEDIA_REQUESTS, "Sum", kit.slug) for kit in media],
            width=6,
        ),
        # 4xx beside 5xx: a wrong token after a botched rotation refuses every upload too.
        _graph(
            "Media 4xx and 5xx by customer (% of requests)",
            [
                kit.percent_of_requests(name, label=f"{kit.slug} {what}")
                for kit in media
                for name, what in errors
            ],
            width=6,
        ),
        _graph(
            "Media latency p99 by customer (ms, in the handler)",
            [kit.metric(MEDIA_LATENCY, "p99", kit.slug) for kit in media],
            width=6,
        ),
        _graph(
            "Media bytes stored by customer",
            [kit.metric(MEDIA_BYTES_STORED, "Sum", kit.slug) for kit in media],
            width=6,
        ),
    ]


def _camel(slug: str) -> str:
    """``acme_west`` -> ``AcmeWest``, as the stack names a customer's outputs."""
    return "".join(part[:1].upper() + part[1:] for part in slug.split("_"))
