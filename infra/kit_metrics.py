"""The kit's own metrics (EMF documents written by ``pivotkit.aws.observability``) as CDK metrics.

A CloudWatch metric is its namespace, its name and the complete set of its dimensions.
Powertools publishes each Pivot request's metrics under exactly two dimension sets,
``{service, customer}`` and ``{service, customer, step}``, and each media request's under
one, ``{service, customer}``; a query naming any other set (``customer`` alone, say) finds
a metric nobody writes, and an alarm on it sits in INSUFFICIENT_DATA, which is read as "not
breaching": it never fires. So every metric here names exactly ``service`` and
``customer``, with the values the function writes (its ``POWERTOOLS_SERVICE_NAME`` and the
customer's slug). tests/infra/test_monitoring.py runs the real emitters with each deployed
function's environment and checks every kit metric in the template against what they
write, so the two cannot drift apart unnoticed.
"""

from __future__ import annotations

from dataclasses import dataclass

from aws_cdk import Duration, aws_cloudwatch

from infra.functions import MEDIA_SERVICE_NAME, METRICS_NAMESPACE, pivot_service_name

# Metric names of a Pivot request, as observability.Telemetry._emit writes them.
REQUESTS = "Requests"
FALLBACKS = "Fallbacks"
STATE_RETRIES = "StateRetries"
STATE_CONFLICTS = "StateConflicts"
LATENCY = "Latency"
# Metric names of a media request, as observability.Telemetry._emit_media writes them.
MEDIA_REQUESTS = "MediaRequests"
MEDIA_ANSWERS_4XX = "MediaAnswers4xx"
MEDIA_ANSWERS_5XX = "MediaAnswers5xx"
MEDIA_LATENCY = "MediaLatency"
MEDIA_BYTES_STORED = "MediaBytesStored"
# The POWERTOOLS_SERVICE_NAME infra/functions.py gives the media function (one function for
# every customer); the drift test fails if the two ever differ.
MEDIA_SERVICE = MEDIA_SERVICE_NAME
# The dimension set the alarms read: the coarser of a Pivot request's two, a media
# request's only one.
SERVICE_DIMENSION = "service"
CUSTOMER_DIMENSION = "customer"


@dataclass(frozen=True)
class CustomerMetrics:
    """One customer's kit metrics as one function writes them: the customer's Pivot
    function (``pivot``) or the media function (``media``)."""

    slug: str
    service: str
    # The count every request of that function adds 1 to: the whole that rates divide by.
    requests: str
    period: Duration

    @classmethod
    def pivot(cls, slug: str, period: Duration) -> CustomerMetrics:
        return cls(slug, pivot_service_name(slug), REQUESTS, period)

    @classmethod
    def media(cls, slug: str, period: Duration) -> CustomerMetrics:
        return cls(slug, MEDIA_SERVICE, MEDIA_REQUESTS, period)

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
        """``100 * name / requests`` per period (both summed); 0 while fewer than
        ``min_requests`` requests came in, so a handful of calls cannot make a rate.

        ``name`` must be a count every request writes (0 when nothing happened; not
        ``MediaBytesStored``), so both series have data in the same periods; a period
        without requests has none, and stays empty. The ids carry the metric and the slug:
        one graph may hold several customers' expressions, and CloudWatch wants each id to
        stand for one metric there.
        """
        part, whole = f"{name.lower()}_{self.slug}", f"{self.requests.lower()}_{self.slug}"
        rate = f"100 * {part} / {whole}"
        expression = f"IF({whole} >= {min_requests}, {rate}, 0)" if min_requests > 0 else rate
        return aws_cloudwatch.MathExpression(
            expression=expression,
            using_metrics={
                part: self.metric(name, "Sum"),
                whole: self.metric(self.requests, "Sum"),
            },
            label=label or f"{self.slug} {name} %",
            period=self.period,
        )
