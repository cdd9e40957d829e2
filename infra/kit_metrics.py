"""The kit's own metrics (EMF documents written by ``pivotkit.aws.observability``) as CDK metrics.

A CloudWatch metric is its namespace, its name and the complete set of its dimensions.
Powertools publishes each Pivot request's metrics under exactly two dimension sets,
``{service, customer}`` and ``{service, customer, step}``; a query naming any other set
(``customer`` alone, say) finds a metric nobody writes, and an alarm on it sits in
INSUFFICIENT_DATA, which is read as "not breaching": it never fires. So every metric here
names exactly ``service`` and ``customer``, with the values the function writes (its
``POWERTOOLS_SERVICE_NAME`` and its customer's slug). tests/infra/test_monitoring.py runs
the real emitter with each deployed function's environment and checks every kit metric in
the template against what it writes, so the two cannot drift apart unnoticed.
"""

from __future__ import annotations

from dataclasses import dataclass

from aws_cdk import Duration, aws_cloudwatch

from infra.functions import METRICS_NAMESPACE, pivot_service_name

# Metric names, as observability.Telemetry._emit writes them.
REQUESTS = "Requests"
FALLBACKS = "Fallbacks"
STATE_RETRIES = "StateRetries"
STATE_CONFLICTS = "StateConflicts"
LATENCY = "Latency"
# The coarser of the two dimension sets of a Pivot request's metrics.
SERVICE_DIMENSION = "service"
CUSTOMER_DIMENSION = "customer"


@dataclass(frozen=True)
class CustomerMetrics:
    """The kit metrics of the Pivot function serving one customer."""

    slug: str
    period: Duration

    @property
    def service(self) -> str:
        return pivot_service_name(self.slug)

    def metric(self, name: str, statistic: str, label: str | None = None) -> aws_cloudwatch.Metric:
        return aws_cloudwatch.Metric(
            namespace=METRICS_NAMESPACE,
            metric_name=name,
            dimensions_map={SERVICE_DIMENSION: self.service, CUSTOMER_DIMENSION: self.slug},
            statistic=statistic,
            period=self.period,
            label=label,
        )

    def percent_of_requests(
        self, name: str, *, min_requests: int = 0, label: str | None = None
    ) -> aws_cloudwatch.MathExpression:
        """``100 * name / Requests`` per period (both summed); 0 while fewer than
        ``min_requests`` requests came in, so a handful of calls cannot make a rate.

        Every request writes every count metric (0 when nothing happened), so both series
        have data in the same periods; a period without requests has none, and stays empty.
        The ids carry the slug: one graph may hold several customers' expressions, and
        CloudWatch wants each id to stand for one metric there.
        """
        part, whole = f"{name.lower()}_{self.slug}", f"requests_{self.slug}"
        rate = f"100 * {part} / {whole}"
        expression = f"IF({whole} >= {min_requests}, {rate}, 0)" if min_requests > 0 else rate
        return aws_cloudwatch.MathExpression(
            expression=expression,
            using_metrics={
                part: self.metric(name, "Sum"),
                whole: self.metric(REQUESTS, "Sum"),
            },
            label=label or f"{self.slug} {name} %",
            period=self.period,
        )
