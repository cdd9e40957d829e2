"""Alarms, the alarm topic and the stage dashboard, read from the synthesized templates.

The kit's own metrics are checked against the code that writes them: each Pivot function's
telemetry (``pivotkit.aws.observability``) runs with the environment the template gives
that function, and every kit metric an alarm or a dashboard widget names must be one of the
metrics it wrote, namespace, name and the complete dimension set alike. A metric named with
other dimensions is a different metric, which nobody writes: an alarm on it never fires.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator, Mapping
from typing import Any

import pytest

from infra.kit_metrics import (
    CUSTOMER_DIMENSION,
    FALLBACKS,
    LATENCY,
    REQUESTS,
    STATE_RETRIES,
)
from infra.monitoring import (
    FALLBACK_PERCENT,
    MIN_REQUESTS,
    STATE_RETRY_PERCENT,
    STATE_RETRY_PERIODS,
)
from pivotkit import Call, Customer, Flow, Node, hangup
from pivotkit.app import Outcome
from pivotkit.aws.observability import KIT_LOGGERS, ObservabilitySettings, Telemetry
from tests.infra.conftest import CUSTOMERS, Synthesized

pytestmark = pytest.mark.slow
STAGES = ("dev", "prod")

# (namespace, metric name, {dimension: value}) as one hashable value.
MetricId = tuple[str, str, frozenset[tuple[str, str]]]
Properties = dict[str, Any]


# --- reading the template ------------------------------------------------------------------


def alarms(synthesized: Synthesized, stage: str) -> dict[str, Properties]:
    return {
        logical_id: resource["Properties"]
        for logical_id, resource in synthesized.resources(stage, "AWS::CloudWatch::Alarm").items()
    }


def literal(value: object) -> str:
    """A dimension value; a reference (a function's name, say) as its JSON text."""
    return value if isinstance(value, str) else json.dumps(value, sort_keys=True)


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
            frozenset((d["Name"], literal(d["Value"])) for d in s.get("Dimensions", [])),
        )
        for s in stats
    ]


def dashboard_widgets(synthesized: Synthesized, stage: str) -> list[dict[str, Any]]:
    """The dashboard's widgets, with every reference in the body shown as ``<ref>``."""
    (dashboard,) = synthesized.resources(stage, "AWS::CloudWatch::Dashboard").values()
    body = dashboard["Properties"]["DashboardBody"]
    if not isinstance(body, str):
        separator, parts = body["Fn::Join"]
        body = separator.join(part if isinstance(part, str) else "<ref>" for part in parts)
    widgets: list[dict[str, Any]] = json.loads(body)["widgets"]
    return widgets


def widget_metrics(widget: Mapping[str, Any]) -> list[MetricId]:
    """A graph's metrics: ``[namespace, name, dim, value, ..., {options}]`` rows
    (a math expression's row is its options alone)."""
    found: list[MetricId] = []
    for row in widget.get("properties", {}).get("metrics", []):
        names = [part for part in row if isinstance(part, str)]
        if len(names) >= 2:
            pairs = zip(names[2::2], names[3::2], strict=True)
            found.append((names[0], names[1], frozenset(pairs)))
    return found


def kit_metrics_in(metrics: list[MetricId]) -> list[MetricId]:
    """Everything outside the AWS/ namespaces is the kit's own."""
    return [m for m in metrics if not m[0].startswith("AWS/")]


def expression(alarm: Properties) -> str:
    (text,) = [q["Expression"] for q in alarm.get("Metrics", []) if "Expression" in q]
    return str(text)


def expression_ids(alarm: Properties) -> dict[str, str]:
    """Metric name -> the id the expression calls it by."""
    return {
        q["MetricStat"]["Metric"]["MetricName"]: q["Id"]
        for q in alarm.get("Metrics", [])
        if "MetricStat" in q
    }


def kit_alarm(synthesized: Synthesized, stage: str, slug: str, metric: str) -> Properties:
    """The alarm on ``metric`` as a share of requests for customer ``slug``."""
    (alarm,) = [
        a
        for a in alarms(synthesized, stage).values()
        if {m[1] for m in kit_metrics_in(alarm_metrics(a))} == {metric, REQUESTS}
        and all((CUSTOMER_DIMENSION, slug) in m[2] for m in alarm_metrics(a))
    ]
    return alarm


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


def metrics_written(
    environment: Mapping[str, Any], capsys: pytest.CaptureFixture[str]
) -> set[MetricId]:
    """Every metric the Pivot function with this environment writes for one request (one
    that ended in a fallback after a state conflict). Values that are references (the
    table's name, say) are left out: observability reads none of them."""
    plain = {key: value for key, value in environment.items() if isinstance(value, str)}
    slug = plain["PIVOTKIT_CUSTOMER"]
    customer = Customer(slug=slug, flow=one_step_flow())
    telemetry = Telemetry(ObservabilitySettings.from_env(plain), {slug: customer})
    capsys.readouterr()
    telemetry.begin(None)
    telemetry.observe(
        Outcome(customer=slug, step="start", status=503, duration_ms=12.5, conflicts=1)
    )
    written: set[MetricId] = set()
    for line in capsys.readouterr().out.splitlines():
        document = json.loads(line)
        for directive in document.get("_aws", {}).get("CloudWatchMetrics", []):
            for dimension_set in directive["Dimensions"]:
                dimensions = frozenset((name, document[name]) for name in dimension_set)
                for metric in directive["Metrics"]:
                    written.add((directive["Namespace"], metric["Name"], dimensions))
    return written


# --- tests ---------------------------------------------------------------------------------


@pytest.mark.parametrize("stage", STAGES)
def test_alarms_go_to_the_topic(synthesized: Synthesized, stage: str) -> None:
    stage_alarms = alarms(synthesized, stage)
    topic_id = next(iter(synthesized.resources(stage, "AWS::SNS::Topic")))
    # errors + p99 duration per function; fallback rate + state retry rate per customer;
    # the API 5xx rate and DynamoDB throttles
    assert len(stage_alarms) == 2 * (len(CUSTOMERS) + 1) + 2 * len(CUSTOMERS) + 2
    for alarm in stage_alarms.values():
        assert alarm["AlarmActions"] == [{"Ref": topic_id}]
        assert alarm["OKActions"] == [{"Ref": topic_id}]
        assert alarm["TreatMissingData"] == "notBreaching"

    by_metric: dict[str, list[Properties]] = {}
    for alarm in stage_alarms.values():
        by_metric.setdefault(alarm.get("MetricName", "expression"), []).append(alarm)
    assert len(by_metric["Errors"]) == len(CUSTOMERS) + 1
    pivot_p99 = [a["Threshold"] for a in by_metric["Duration"] if a["ExtendedStatistic"] == "p99"]
    assert sorted(pivot_p99)[: len(CUSTOMERS)] == [4000] * len(CUSTOMERS)
    expressions = [
        " ".join(q.get("Expression", "") for q in a["Metrics"]) for a in by_metric["expression"]
    ]
    assert any("100 * errors / requests" in e for e in expressions)
    assert any("ThrottledRequests" in json.dumps(a) for a in by_metric["expression"])


def test_one_dashboard_per_stage_and_alarm_email_in_prod(synthesized: Synthesized) -> None:
    for stage in STAGES:
        synthesized.template(stage).has_resource_properties(
            "AWS::CloudWatch::Dashboard", {"DashboardName": f"pivotkit-{stage}"}
        )
    synthesized.template("prod").has_resource_properties(
        "AWS::SNS::Subscription", {"Protocol": "email", "Endpoint": "oncall@example.com"}
    )
    synthesized.template("dev").resource_count_is("AWS::SNS::Subscription", 0)


@pytest.mark.parametrize("stage", STAGES)
@pytest.mark.parametrize("slug", CUSTOMERS)
def test_fallback_rate_alarm_per_customer(synthesized: Synthesized, stage: str, slug: str) -> None:
    alarm = kit_alarm(synthesized, stage, slug, FALLBACKS)
    ids = expression_ids(alarm)
    fallbacks, requests = ids[FALLBACKS], ids[REQUESTS]
    # Judged only from MIN_REQUESTS requests in the period; a quiet period reads 0.
    assert expression(alarm) == (
        f"IF({requests} >= {MIN_REQUESTS}, 100 * {fallbacks} / {requests}, 0)"
    )
    assert (alarm["Threshold"], alarm["ComparisonOperator"]) == (
        FALLBACK_PERCENT,
        "GreaterThanThreshold",
    )
    assert alarm["EvaluationPeriods"] == 1 and "DatapointsToAlarm" not in alarm
    for query in alarm["Metrics"]:
        if "MetricStat" in query:
            assert (query["MetricStat"]["Stat"], query["MetricStat"]["Period"]) == ("Sum", 300)
            assert query["ReturnData"] is False
    assert slug in alarm["AlarmDescription"] and "fallback" in alarm["AlarmDescription"]


@pytest.mark.parametrize("stage", STAGES)
@pytest.mark.parametrize("slug", CUSTOMERS)
def test_state_retry_alarm_per_customer_wants_a_sustained_rate(
    synthesized: Synthesized, stage: str, slug: str
) -> None:
    alarm = kit_alarm(synthesized, stage, slug, STATE_RETRIES)
    ids = expression_ids(alarm)
    assert expression(alarm) == (
        f"IF({ids[REQUESTS]} >= {MIN_REQUESTS}, 100 * {ids[STATE_RETRIES]} / {ids[REQUESTS]}, 0)"
    )
    assert (alarm["Threshold"], alarm["ComparisonOperator"]) == (
        STATE_RETRY_PERCENT,
        "GreaterThanThreshold",
    )
    # Every one of the periods must breach: one throttling blip, retried, pages nobody.
    assert STATE_RETRY_PERIODS > 1
    assert alarm["EvaluationPeriods"] == STATE_RETRY_PERIODS
    assert alarm.get("DatapointsToAlarm", STATE_RETRY_PERIODS) == STATE_RETRY_PERIODS


@pytest.mark.parametrize("stage", STAGES)
def test_dashboard_graphs_fallbacks_and_latency_by_customer(
    synthesized: Synthesized, stage: str
) -> None:
    widgets = dashboard_widgets(synthesized, stage)
    by_title = {w["properties"].get("title"): w for w in widgets}
    fallbacks = by_title["Fallbacks by customer (% of requests)"]
    latency = by_title["Pivot latency p99 by customer (ms, in the handler)"]
    for slug in CUSTOMERS:
        graphed = {(m[1], dict(m[2])[CUSTOMER_DIMENSION]) for m in widget_metrics(fallbacks)}
        assert {(FALLBACKS, slug), (REQUESTS, slug)} <= graphed
        rows = [r for r in latency["properties"]["metrics"] if slug in r]
        assert [(r[1], r[-1]["stat"]) for r in rows] == [(LATENCY, "p99")]
    # The kit's alarms show in the alarm widget beside the others.
    (status,) = [w for w in widgets if w["type"] == "alarm"]
    assert len(status["properties"]["alarms"]) == len(alarms(synthesized, stage))


@pytest.mark.parametrize("stage", STAGES)
def test_every_kit_metric_in_the_template_is_one_the_functions_write(
    synthesized: Synthesized,
    stage: str,
    capsys: pytest.CaptureFixture[str],
    restored_kit_loggers: None,
) -> None:
    written: set[MetricId] = set()
    for slug in CUSTOMERS:
        _, function = synthesized.function(stage, f"pivotkit-{stage}-{slug}")
        written |= metrics_written(function["Properties"]["Environment"]["Variables"], capsys)

    in_alarms = [m for a in alarms(synthesized, stage).values() for m in alarm_metrics(a)]
    in_graphs = [m for w in dashboard_widgets(synthesized, stage) for m in widget_metrics(w)]
    named = set(kit_metrics_in(in_alarms) + kit_metrics_in(in_graphs))
    assert named, "no kit metric in the template: the search above found nothing to check"
    assert named <= written, f"named but never written: {sorted(named - written, key=str)}"
    for slug in CUSTOMERS:
        assert any((CUSTOMER_DIMENSION, slug) in m[2] and m[1] == FALLBACKS for m in named)

    # The check tells dimension sets apart: Fallbacks under `customer` alone (a metric
    # nobody writes) is not among what the function wrote.
    namespace = next(iter(named))[0]
    alone = (namespace, FALLBACKS, frozenset({(CUSTOMER_DIMENSION, CUSTOMERS[0])}))
    assert alone not in written
