"""The kit's own metrics (EMF documents written by ``pivotkit.aws.observability``) as CDK metrics.

A CloudWatch metric is its namespace, its name and the complete set of its dimensions.
Powertools publishes each Pivot request's metrics under exactly two dimension sets,
``{service, customer}`` and ``{service, customer, step}``, and each media request's under
one, ``{service, customer}``; a query naming any other set (``customer`` alone, say) finds
a metric nobody writes, and an alarm on it sits in INSUFFICIENT_DATA, which is read as "not
breaching": it never fires. So every metric here names exactly ``service`` and
``customer``, with the values the function writes (its ``POWERTOOLS_SERVICE_NAME`` and the
customer's slug). A customer's one function writes both its Pivot and its media metrics,
so both carry that function's service. The stage dashboard graphs every customer with
``SEARCH`` expressions over exactly that dimension schema (``fleet_search``), so it does
not grow with customers. tests/infra/test_monitoring.py runs the real emitters with each
deployed function's environment and checks every kit metric in the templates (alarm
metrics and the dashboard's search schemas) against what they write, so the two cannot
drift apart unnoticed.
"""

from __future__ import annotations

from dataclasses import dataclass

from aws_cdk import Duration, aws_cloudwatch

from infra.names import service_name

METRICS_NAMESPACE = "pivotkit"

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
# The dimension set the alarms read: the coarser of a Pivot request's two, a media
# request's only one.
SERVICE_DIMENSION = "service"
CUSTOMER_DIMENSION = "customer"


@dataclass(frozen=True)
class CustomerMetrics:
    """One customer's kit metrics as its function writes them: Pivot requests (``pivot``)
    or media requests (``media``)."""

    slug: str
    service: str
    # The count every request of that function adds 1 to: the whole that rates divide by.
    requests: str
    period: Duration

    @classmethod
    def pivot(cls, slug: str, period: Duration) -> CustomerMetrics:
        return cls(slug, service_name(slug), REQUESTS, period)

    @classmethod
    def media(cls, slug: str, period: Duration) -> CustomerMetrics:
        return cls(slug, service_name(slug), MEDIA_REQUESTS, period)

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


def fleet_search(name: str, statistic: str, period: Duration) -> aws_cloudwatch.MathExpression:
    """Every customer's ``name``, one line each, whatever the number of customers: a
    ``SEARCH`` over the exact dimension schema the functions write (``{service, customer}``
    in the kit's namespace). Graphs only: CloudWatch alarms cannot use SEARCH."""
    schema = f"{{{METRICS_NAMESPACE},{CUSTOMER_DIMENSION},{SERVICE_DIMENSION}}}"
    seconds = int(period.to_seconds())
    return aws_cloudwatch.MathExpression(
        expression=f"SEARCH('{schema} MetricName=\"{name}\"', '{statistic}', {seconds})",
        using_metrics={},
        label=" ",
        period=period,
    )
