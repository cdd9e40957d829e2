"""Alarms, the alarm topic and the stage dashboard, read from the synthesized templates.

The kit's own metrics are checked against the code that writes them: each customer
function's Pivot telemetry (``pivotkit.aws.observability``) and its whole media handler
(``pivotkit.aws.media_entry``) run with the environment the template gives that function.
Every kit metric an alarm names must be one the function wrote, namespace, name and the
complete dimension set alike; every ``SEARCH`` on the dashboard must find, for every
customer, a metric written under exactly the dimension schema it searches. A metric named
with other dimensions is a different metric, which nobody writes: an alarm on it never
fires, a search for it draws nothing.
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Iterator, Mapping
from typing import Any

import pytest

from infra.kit_metrics import (
    CUSTOMER_DIMENSION,
    FALLBACKS,
    LATENCY,
    MEDIA_ANSWERS_4XX,
    MEDIA_ANSWERS_5XX,
    MEDIA_BYTES_STORED,
    MEDIA_LATENCY,
    MEDIA_REQUESTS,
    METRICS_NAMESPACE,
    REQUESTS,
    SERVICE_DIMENSION,
    STATE_CONFLICTS,
    STATE_RETRIES,
)
from infra.monitoring import FALLBACK_COUNT
from pivotkit import Call, Customer, Flow, Node, hangup
from pivotkit.app import Outcome
from pivotkit.aws.media_entry import make_media_handler
from pivotkit.aws.observability import KIT_LOGGERS, Telemetry
from pivotkit.aws.settings import ObservabilitySettings
from tests.infra.conftest import CUSTOMERS, Synthesized, resources_of, the_function
from tests.infra.policy import render
from tests.unit.media.events import http_api_event
from tests.unit.media.kazoo import storage_url

pytestmark = pytest.mark.slow
STAGES = ("dev", "prod")

# (namespace, metric name, {dimension: value}) as one hashable value.
MetricId = tuple[str, str, frozenset[tuple[str, str]]]
Properties = dict[str, Any]
SEARCH = re.compile(
    r"SEARCH\('\{(?P<schema>[^}]*)\} MetricName=\"(?P<name>\w+)\"[^']*',"
    r" '(?P<stat>\w+)', 300\)"
)


# --- reading the templates -----------------------------------------------------------------


def alarms(template: Mapping[str, Any]) -> dict[str, Properties]:
    return {
        logical_id: resource["Properties"]
        for logical_id, resource in resources_of(template, "AWS::CloudWatch::Alarm").items()
    }


def alarm_metrics(alarm: Properties) -> list[MetricId]:
    """The metrics an alarm reads: its own, or those its math expression uses."""
    if "MetricName" in alarm:
        stats = [alarm]
    else:
        stats = [q["MetricStat"]["Metric"] for q in alarm["Metrics"] if "MetricStat" in q]
    return [
        (
            s["Namespace"],
            s["MetricName"],
            frozenset((d["Name"], str(d["Value"])) for d in s.get("Dimensions", [])),
        )
        for s in stats
    ]


def kit_metrics_in(metrics: list[MetricId]) -> list[MetricId]:
    """Everything outside the AWS/ namespaces is the kit's own."""
    return [m for m in metrics if not m[0].startswith("AWS/")]


def dashboard_widgets(synthesized: Synthesized, stage: str) -> list[dict[str, Any]]:
    """The dashboard's widgets, with every reference in the body shown as ``<ref>``."""
    platform = synthesized.platform(stage)
    (dashboard,) = resources_of(platform, "AWS::CloudWatch::Dashboard").values()
    body = dashboard["Properties"]["DashboardBody"]
    if not isinstance(body, str):
        separator, parts = body["Fn::Join"]
        body = separator.join(part if isinstance(part, str) else "<ref>" for part in parts)
    widgets: list[dict[str, Any]] = json.loads(body)["widgets"]
    return widgets


def searches(synthesized: Synthesized, stage: str) -> list[tuple[str, str, frozenset[str], str]]:
    """(namespace, metric name, dimension keys, statistic) of every SEARCH on the dashboard."""
    found = []
    for widget in dashboard_widgets(synthesized, stage):
        for row in widget.get("properties", {}).get("metrics", []):
            for part in row:
                if isinstance(part, dict) and "expression" in part:
                    match = SEARCH.fullmatch(part["expression"])
                    assert match, part["expression"]
                    namespace, *keys = match["schema"].split(",")
                    found.append((namespace, match["name"], frozenset(keys), match["stat"]))
    return found


# --- running the emitter -------------------------------------------------------------------


@pytest.fixture
def restored_kit_loggers() -> Iterator[None]:
    """Telemetry configures the kit's loggers for the process, as in Lambda; undo that."""
    saved = {}
    for name in KIT_LOGGERS:
        logger = logging.getLogger(name)
        saved[name] = (list(logger.handlers), logger.propagate, logger.level)
    yield
    for name, (handlers, propagate, level) in saved.items():
        logger = logging.getLogger(name)
        logger.handlers, logger.propagate = handlers, propagate
        logger.setLevel(level)


def one_step_flow() -> Flow:
    flow = Flow()

    @flow.step()
    def start(call: Call) -> Node:
        return hangup()

    return flow


def plain_values(environment: Mapping[str, Any]) -> dict[str, str]:
    """A function's environment without the values that are references (the table's and
    the bucket's names, the tokens secrets): observability reads none of them."""
    return {key: value for key, value in environment.items() if isinstance(value, str)}


def emf_metrics(stdout: str) -> set[MetricId]:
    """Every metric the EMF documents among these stdout lines publish, under each of the
    dimension sets each document declares."""
    written: set[MetricId] = set()
    for line in stdout.splitlines():
        document = json.loads(line)
        for directive in document.get("_aws", {}).get("CloudWatchMetrics", []):
            for dimension_set in directive["Dimensions"]:
                dimensions = frozenset((name, document[name]) for name in dimension_set)
                for metric in directive["Metrics"]:
                    written.add((directive["Namespace"], metric["Name"], dimensions))
    return written


def metrics_written(
    environment: Mapping[str, Any], capsys: pytest.CaptureFixture[str]
) -> set[MetricId]:
    """Every metric the Pivot function with this environment writes for one request (one
    that ended in a fallback after a state conflict)."""
    plain = plain_values(environment)
    slug = plain["PIVOTKIT_CUSTOMER"]
    customer = Customer(slug=slug, flow=one_step_flow())
    telemetry = Telemetry(ObservabilitySettings.from_env(plain), {slug: customer})
    capsys.readouterr()
    telemetry.begin(None)
    telemetry.observe(
        Outcome(customer=slug, step="start", status=503, duration_ms=12.5, conflicts=1)
    )
    return emf_metrics(capsys.readouterr().out)


MEDIA_TOKEN = "infra-drift-media-token"
VOICEMAIL_DOC = "5f0a1b2c3d4e5f60718293a4b5c6d7e8"


def media_metrics_written(
    environment: Mapping[str, Any], function_name: str, capsys: pytest.CaptureFixture[str]
) -> set[MetricId]:
    """Every metric the customer's function with this environment writes for media: its
    real media handler (``make_media_handler``, observability on because the Lambda
    variable says it runs in Lambda) stores one voicemail. The bucket is a reference, so the
    store is in memory; the secret is a reference too, so the token comes from
    ``PIVOTKIT_TOKENS``. A 201 writes every media metric, ``MediaBytesStored`` included."""
    plain = plain_values(environment)
    slug = plain["PIVOTKIT_CUSTOMER"]
    plain |= {
        "AWS_LAMBDA_FUNCTION_NAME": function_name,
        "PIVOTKIT_TOKENS": json.dumps({slug: [MEDIA_TOKEN]}),
    }
    served = {slug: Customer(slug=slug, flow=one_step_flow())}
    handler = make_media_handler(plain, customers=served)
    capsys.readouterr()
    url = storage_url(f"/media/{slug}/{MEDIA_TOKEN}", VOICEMAIL_DOC, "message.mp3")
    answer = handler(http_api_event("PUT", url, b"ID3" + bytes(64), "audio/mpeg"), None)
    assert answer["statusCode"] == 201, answer
    return emf_metrics(capsys.readouterr().out)


# --- tests ---------------------------------------------------------------------------------


@pytest.mark.parametrize("stage", STAGES)
def test_every_alarm_goes_to_the_stage_topic(synthesized: Synthesized, stage: str) -> None:
    platform = synthesized.platform(stage)
    (topic_id,) = resources_of(platform, "AWS::SNS::Topic")
    for alarm in alarms(platform).values():
        assert alarm["AlarmActions"] == alarm["OKActions"] == [{"Ref": topic_id}]
        assert alarm["TreatMissingData"] == "notBreaching"
    topic = f"arn:aws:sns:eu-west-1:123456789012:pivotkit-{stage}-alarms"
    for slug in CUSTOMERS:
        template = synthesized.customer(stage, slug)
        (alarm,) = alarms(template).values()  # one alarm per customer
        # The topic's ARN, published by the platform in SSM and resolved at deployment.
        (action,) = alarm["AlarmActions"]
        assert render(action, template) == topic
        assert alarm["OKActions"] == alarm["AlarmActions"]
        assert alarm["TreatMissingData"] == "notBreaching"


@pytest.mark.parametrize("stage", STAGES)
def test_fleet_alarms_watch_account_wide_lambda_errors_and_throttles_and_the_table(
    synthesized: Synthesized, stage: str
) -> None:
    platform_alarms = list(alarms(synthesized.platform(stage)).values())
    single = {(a["Namespace"], a["MetricName"]) for a in platform_alarms if "MetricName" in a}
    assert single == {("AWS/Lambda", "Errors"), ("AWS/Lambda", "Throttles")}
    for alarm in platform_alarms:
        if "MetricName" in alarm:
            assert "Dimensions" not in alarm  # every function of the account and region
    (math,) = [a for a in platform_alarms if "Metrics" in a]
    assert "ThrottledRequests" in json.dumps(math)


def test_one_dashboard_per_stage_and_alarm_email_in_prod(synthesized: Synthesized) -> None:
    for stage in STAGES:
        synthesized.template(f"pivotkit-{stage}").has_resource_properties(
            "AWS::CloudWatch::Dashboard", {"DashboardName": f"pivotkit-{stage}"}
        )
        for slug in CUSTOMERS:
            customer = synthesized.customer(stage, slug)
            assert not resources_of(customer, "AWS::CloudWatch::Dashboard")
    synthesized.template("pivotkit-prod").has_resource_properties(
        "AWS::SNS::Subscription", {"Protocol": "email", "Endpoint": "oncall@example.com"}
    )
    synthesized.template("pivotkit-dev").resource_count_is("AWS::SNS::Subscription", 0)


@pytest.mark.parametrize("stage", STAGES)
@pytest.mark.parametrize("slug", CUSTOMERS)
def test_the_customer_alarm_counts_its_fallbacks_on_one_metric(
    synthesized: Synthesized, stage: str, slug: str
) -> None:
    (alarm,) = alarms(synthesized.customer(stage, slug)).values()
    service = f"pivotkit-{slug}"
    assert alarm_metrics(alarm) == [
        (
            METRICS_NAMESPACE,
            FALLBACKS,
            frozenset({(SERVICE_DIMENSION, service), (CUSTOMER_DIMENSION, slug)}),
        )
    ]
    assert (alarm["Statistic"], alarm["Period"], alarm["EvaluationPeriods"]) == ("Sum", 300, 1)
    assert (alarm["Threshold"], alarm["ComparisonOperator"]) == (
        FALLBACK_COUNT,
        "GreaterThanOrEqualToThreshold",
    )
    label = "".join(part.capitalize() for part in slug.split("_"))
    assert alarm["AlarmName"] == f"pivotkit-{stage}-{label}-Fallbacks"
    assert slug in alarm["AlarmDescription"] and "fallback" in alarm["AlarmDescription"]


@pytest.mark.parametrize("stage", STAGES)
def test_the_dashboard_searches_every_kit_metric_by_customer(
    synthesized: Synthesized, stage: str
) -> None:
    found = searches(synthesized, stage)
    kit = {(name, stat) for namespace, name, _, stat in found if namespace == METRICS_NAMESPACE}
    assert kit == {
        (REQUESTS, "Sum"),
        (FALLBACKS, "Sum"),
        (LATENCY, "p99"),
        (STATE_RETRIES, "Sum"),
        (STATE_CONFLICTS, "Sum"),
        (MEDIA_REQUESTS, "Sum"),
        (MEDIA_ANSWERS_4XX, "Sum"),
        (MEDIA_ANSWERS_5XX, "Sum"),
        (MEDIA_LATENCY, "p99"),
        (MEDIA_BYTES_STORED, "Sum"),
    }
    functions = {name for namespace, name, _, _ in found if namespace == "AWS/Lambda"}
    assert functions == {"Invocations", "Errors", "Throttles", "Duration", "ConcurrentExecutions"}
    # The fleet alarms show in the alarm widget.
    (status,) = [w for w in dashboard_widgets(synthesized, stage) if w["type"] == "alarm"]
    assert len(status["properties"]["alarms"]) == len(alarms(synthesized.platform(stage)))


@pytest.mark.parametrize("stage", STAGES)
def test_every_kit_metric_in_the_templates_is_one_the_functions_write(
    synthesized: Synthesized,
    stage: str,
    capsys: pytest.CaptureFixture[str],
    restored_kit_loggers: None,
) -> None:
    written: set[MetricId] = set()
    named: set[MetricId] = set()
    for slug in CUSTOMERS:
        template = synthesized.customer(stage, slug)
        function = the_function(template)
        environment = function["Environment"]["Variables"]
        written |= metrics_written(environment, capsys)
        written |= media_metrics_written(environment, function["FunctionName"], capsys)
        named |= {m for a in alarms(template).values() for m in kit_metrics_in(alarm_metrics(a))}
    assert named, "no kit metric in the customer alarms: the search above found nothing"
    assert named <= written, f"named but never written: {sorted(named - written, key=str)}"

    # Each dashboard search finds, for every customer, a metric written under exactly the
    # dimension schema it searches.
    kit_searches = [s for s in searches(synthesized, stage) if s[0] == METRICS_NAMESPACE]
    assert kit_searches
    for namespace, name, keys, _ in kit_searches:
        for slug in CUSTOMERS:
            assert any(
                (m[0], m[1]) == (namespace, name)
                and {key for key, _ in m[2]} == keys
                and (CUSTOMER_DIMENSION, slug) in m[2]
                for m in written
            ), (name, keys, slug)

    # The check tells dimension sets apart: Fallbacks under `customer` alone (a metric
    # nobody writes) is not among what the function wrote.
    alone = (METRICS_NAMESPACE, FALLBACKS, frozenset({(CUSTOMER_DIMENSION, CUSTOMERS[0])}))
    assert alone not in written
