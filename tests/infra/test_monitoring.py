"""Alarms, the alarm topic and the stage dashboard, read from the synthesized templates.

The kit's own metrics are checked against the code that writes them: each Pivot function's
telemetry (``pivotkit.aws.observability``) and the media function's whole handler
(``pivotkit.aws.media_entry``) run with the environment the template gives that function,
and every kit metric an alarm or a dashboard widget names must be one of the metrics they
wrote, namespace, name and the complete dimension set alike. A metric named with other
dimensions is a different metric, which nobody writes: an alarm on it never fires.
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
    MEDIA_ANSWERS_4XX,
    MEDIA_ANSWERS_5XX,
    MEDIA_BYTES_STORED,
    MEDIA_LATENCY,
    MEDIA_REQUESTS,
    MEDIA_SERVICE,
    REQUESTS,
    SERVICE_DIMENSION,
    STATE_RETRIES,
)
from infra.monitoring import (
    FALLBACK_PERCENT,
    MEDIA_5XX_PERCENT,
    MIN_MEDIA_REQUESTS,
    MIN_REQUESTS,
    STATE_RETRY_PERCENT,
    STATE_RETRY_PERIODS,
)
from pivotkit import Call, Customer, Flow, Node, hangup
from pivotkit.app import Outcome
from pivotkit.aws.media_entry import make_media_handler
from pivotkit.aws.observability import KIT_LOGGERS, ObservabilitySettings, Telemetry
from tests.infra.conftest import CUSTOMERS, Synthesized
from tests.unit.media.events import http_api_event
from tests.unit.media.kazoo import storage_url

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


def kit_alarm(
    synthesized: Synthesized, stage: str, slug: str, metric: str, requests: str = REQUESTS
) -> Properties:
    """The alarm on ``metric`` as a share of ``requests`` for customer ``slug``."""
    (alarm,) = [
        a
        for a in alarms(synthesized, stage).values()
        if {m[1] for m in kit_metrics_in(alarm_metrics(a))} == {metric, requests}
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
    """Every metric the media function with this environment writes: its real handler
    (``make_media_handler``, observability on because the Lambda variable says it runs in
    Lambda) stores one voicemail for each customer. The bucket is a reference, so the store
    is in memory; the tokens secrets are references too, so the token comes from
    ``PIVOTKIT_TOKENS``. A 201 writes every media metric, ``MediaBytesStored`` included."""
    plain = plain_values(environment)
    assert "PIVOTKIT_CUSTOMER" not in plain, "the media function serves every customer"
    plain |= {
        "AWS_LAMBDA_FUNCTION_NAME": function_name,
        "PIVOTKIT_TOKENS": json.dumps({slug: [MEDIA_TOKEN] for slug in CUSTOMERS}),
    }
    served = {slug: Customer(slug=slug, flow=one_step_flow()) for slug in CUSTOMERS}
    handler = make_media_handler(plain, customers=served)
    capsys.readouterr()
    for slug in CUSTOMERS:
        url = storage_url(f"/media/{slug}/{MEDIA_TOKEN}", VOICEMAIL_DOC, "message.mp3")
        answer = handler(http_api_event("PUT", url, b"ID3" + bytes(64), "audio/mpeg"), None)
        assert answer["statusCode"] == 201, answer
    return emf_metrics(capsys.readouterr().out)


# --- tests ---------------------------------------------------------------------------------


@pytest.mark.parametrize("stage", STAGES)
def test_alarms_go_to_the_topic(synthesized: Synthesized, stage: str) -> None:
    stage_alarms = alarms(synthesized, stage)
    topic_id = next(iter(synthesized.resources(stage, "AWS::SNS::Topic")))
    # errors + p99 duration per function; fallback rate + state retry rate per customer;
    # the media 5xx rate per customer; the API 5xx rate and DynamoDB throttles
    assert len(stage_alarms) == 2 * (len(CUSTOMERS) + 1) + 3 * len(CUSTOMERS) + 2
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
@pytest.mark.parametrize("slug", CUSTOMERS)
def test_media_5xx_alarm_per_customer(synthesized: Synthesized, stage: str, slug: str) -> None:
    alarm = kit_alarm(synthesized, stage, slug, MEDIA_ANSWERS_5XX, requests=MEDIA_REQUESTS)
    ids = expression_ids(alarm)
    answers_5xx, requests = ids[MEDIA_ANSWERS_5XX], ids[MEDIA_REQUESTS]
    # Judged only from MIN_MEDIA_REQUESTS requests in the period; a quiet period reads 0.
    assert expression(alarm) == (
        f"IF({requests} >= {MIN_MEDIA_REQUESTS}, 100 * {answers_5xx} / {requests}, 0)"
    )
    assert (alarm["Threshold"], alarm["ComparisonOperator"]) == (
        MEDIA_5XX_PERCENT,
        "GreaterThanThreshold",
    )
    assert alarm["EvaluationPeriods"] == 1 and "DatapointsToAlarm" not in alarm
    for query in alarm["Metrics"]:
        if "MetricStat" in query:
            assert (query["MetricStat"]["Stat"], query["MetricStat"]["Period"]) == ("Sum", 300)
            assert query["ReturnData"] is False
    # The media function's metrics, not the customer's Pivot function's.
    assert all((SERVICE_DIMENSION, MEDIA_SERVICE) in m[2] for m in alarm_metrics(alarm))
    assert slug in alarm["AlarmDescription"] and "5xx" in alarm["AlarmDescription"]


@pytest.mark.parametrize("stage", STAGES)
def test_dashboard_graphs_the_media_metrics_by_customer(
    synthesized: Synthesized, stage: str
) -> None:
    by_title = {w["properties"].get("title"): w for w in dashboard_widgets(synthesized, stage)}
    graphs = {
        "Media requests by customer": {(MEDIA_REQUESTS, "Sum")},
        "Media 4xx and 5xx by customer (% of requests)": {
            (MEDIA_ANSWERS_4XX, "Sum"),
            (MEDIA_ANSWERS_5XX, "Sum"),
            (MEDIA_REQUESTS, "Sum"),
        },
        "Media latency p99 by customer (ms, in the handler)": {(MEDIA_LATENCY, "p99")},
        "Media bytes stored by customer": {(MEDIA_BYTES_STORED, "Sum")},
    }
    for title, expected in graphs.items():
        # A metric's row is [namespace, name, dimension, value, ..., {options}].
        rows = [r for r in by_title[title]["properties"]["metrics"] if len(r) > 1]
        assert all(MEDIA_SERVICE in r for r in rows), title
        for slug in CUSTOMERS:
            assert {(r[1], r[-1]["stat"]) for r in rows if slug in r} == expected, title
    # A math expression's row is its options alone: a 4xx and a 5xx share per customer.
    shares = by_title["Media 4xx and 5xx by customer (% of requests)"]["properties"]["metrics"]
    expressions = [r[0]["expression"] for r in shares if len(r) == 1]
    assert len(expressions) == 2 * len(CUSTOMERS)
    assert all(e.startswith("100 * mediaanswers") for e in expressions)


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
    media_name = f"pivotkit-{stage}-media"
    _, media = synthesized.function(stage, media_name)
    media_environment = media["Properties"]["Environment"]["Variables"]
    written |= media_metrics_written(media_environment, media_name, capsys)

    in_alarms = [m for a in alarms(synthesized, stage).values() for m in alarm_metrics(a)]
    in_graphs = [m for w in dashboard_widgets(synthesized, stage) for m in widget_metrics(w)]
    named = set(kit_metrics_in(in_alarms) + kit_metrics_in(in_graphs))
    assert named, "no kit metric in the template: the search above found nothing to check"
    assert named <= written, f"named but never written: {sorted(named - written, key=str)}"
    for slug in CUSTOMERS:
        assert any((CUSTOMER_DIMENSION, slug) in m[2] and m[1] == FALLBACKS for m in named)
        assert any((CUSTOMER_DIMENSION, slug) in m[2] and m[1] == MEDIA_ANSWERS_5XX for m in named)

    # The check tells dimension sets apart: Fallbacks under `customer` alone (a metric
    # nobody writes) is not among what the function wrote.
    namespace = next(iter(named))[0]
    alone = (namespace, FALLBACKS, frozenset({(CUSTOMER_DIMENSION, CUSTOMERS[0])}))
    assert alone not in written
