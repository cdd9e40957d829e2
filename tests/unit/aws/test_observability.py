"""Logs and metrics of the Pivot function, read back as JSON from stdout (where Lambda's
log stream takes them): one line per request with the call's fields, the call's keys on
every line, masked caller IDs, EMF documents with bounded dimensions, debug mode, and
observability off outside Lambda unless asked for."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from pivotkit.aws.lambda_entry import observability_enabled
from pivotkit.aws.observability import Telemetry
from pivotkit.aws.redaction import CallerIdMode
from pivotkit.aws.settings import ObservabilitySettings
from pivotkit.errors import WriteConflict
from pivotkit.media.app import MediaOutcome
from pivotkit.state import CallRecord, InMemoryStateStore
from tests.signing import signed
from tests.unit.security.support import (
    ACCOUNT_ID,
    CUSTOMERS,
    FIRST_URL,
    NEXT_TOKEN,
    PROBE,
    TOKEN,
    Build,
    build,
    invoke,
    kazoo_call,
    next_request,
    read,
    restored_logging,
)

__all__ = ["build", "restored_logging"]  # the fixtures, re-used

PROJECT_ROOT = Path(__file__).resolve().parents[3]
Capture = pytest.CaptureFixture[str]


def walk_to_menu(handler: Any, digits: str = "1") -> dict[str, Any]:
    call = kazoo_call()
    first = invoke(handler, call, FIRST_URL)
    collection, url = next_request(first)
    return invoke(handler, call.with_digits(collection, digits), url)


def test_one_json_line_per_request_with_the_call_fields(build: Build, capsys: Capture) -> None:
    handler = build()
    capsys.readouterr()
    assert invoke(handler, kazoo_call(), FIRST_URL)["statusCode"] == 200
    emitted = read(capsys)
    (line,) = emitted.requests()
    assert line["level"] == "INFO" and line["service"] == "pivotkit-test"
    assert {k: line[k] for k in ("customer", "step", "call_id", "account_id", "status")} == {
        "customer": "probe",
        "step": "start",
        "call_id": "probe-call@10.0.0.5",
        "account_id": ACCOUNT_ID,
        "status": 200,
    }
    assert line["duration_ms"] > 0 and line["fallback"] is False and line["replayed"] is False
    assert (line["state_reads"], line["state_writes"], line["state_conflicts"]) == (0, 1, 0)
    assert line["state_retries"] == 0 and line["cold_start"] is True and "error" not in line
    # The caller is identifiable in a log only masked, by default.
    assert (line["caller_id_number"], line["caller_id_name"]) == ("+14155****23", "J*** S****")
    assert "+14155550123" not in emitted.text and "John Smith" not in emitted.text


@pytest.mark.parametrize(
    ("mode", "number", "name"),
    [("full", "+14155550123", "John Smith"), ("none", None, None)],
)
def test_caller_ids_in_full_or_not_at_all(
    build: Build, capsys: Capture, mode: str, number: str | None, name: str | None
) -> None:
    handler = build(PIVOTKIT_LOG_CALLER_IDS=mode)
    capsys.readouterr()
    invoke(handler, kazoo_call(), FIRST_URL)
    (line,) = read(capsys).requests()
    assert (line.get("caller_id_number"), line.get("caller_id_name")) == (number, name)


def test_every_line_a_request_logs_carries_the_call(build: Build, capsys: Capture) -> None:
    handler = build()
    capsys.readouterr()
    walk_to_menu(handler)
    emitted = read(capsys)
    (chose,) = [line for line in emitted.logs if line["message"].startswith("caller chose")]
    assert chose["level"] == "WARNING" and chose["name"] == "customers.probe"
    assert (chose["call_id"], chose["customer"], chose["step"]) == (
        "probe-call@10.0.0.5",
        "probe",
        "menu",
    )
    assert chose["cold_start"] is False  # the second invocation of this function


def test_metrics_per_request_with_customer_and_step_dimensions(
    build: Build, capsys: Capture
) -> None:
    handler = build(POWERTOOLS_METRICS_NAMESPACE="pivotkit-test-ns")
    capsys.readouterr()
    walk_to_menu(handler, "1")
    emitted = read(capsys)
    main = [d for d in emitted.metrics if "Requests" in d]
    assert len(main) == 2  # one document per request
    directive = main[1]["_aws"]["CloudWatchMetrics"][0]
    assert directive["Namespace"] == "pivotkit-test-ns"
    assert directive["Dimensions"] == [["customer", "service"], ["service", "customer", "step"]]
    assert (main[1]["customer"], main[1]["step"], main[1]["service"]) == (
        "probe",
        "menu",
        "pivotkit-test",
    )
    assert emitted.metric("Requests", step="menu") == [1.0]
    assert emitted.metric("Answers2xx", step="menu") == [1.0]
    assert emitted.metric("Answers5xx", step="menu") == [0.0]
    assert emitted.metric("Fallbacks", step="menu") == [0.0]
    assert emitted.metric("StepsEntered", step="menu") == [1.0]
    assert emitted.metric("ColdStarts") == [1.0]  # the first request only
    (latency,) = emitted.metric("Latency", step="menu")
    assert latency > 0
    # IVR analytics: the key pressed to reach menu, and the time the caller spent in start.
    assert emitted.metric("Choices", step="menu", choice="1") == [1.0]
    (time_in_start,) = emitted.metric("TimeInStep", step="start")
    assert time_in_start >= 0
    (line,) = [r for r in emitted.requests() if r["step"] == "menu"]
    assert line["previous_step"] == "start" and line["choice"] == "1"


def test_longer_input_is_counted_never_logged(build: Build, capsys: Capture) -> None:
    handler = build()
    call = kazoo_call()
    collection, url = next_request(invoke(handler, call, FIRST_URL))
    call = call.with_digits(collection, "2")
    collection, url = next_request(invoke(handler, call, url))
    capsys.readouterr()
    assert invoke(handler, call.with_digits(collection, "4711"), url)["statusCode"] == 200
    emitted = read(capsys)
    assert emitted.metric("Choices", step="pin", choice="several") == [1.0]
    (line,) = emitted.requests()
    assert (line["choice"], line["digits_length"]) == ("several", 4)
    assert "4711" not in emitted.text


def test_request_input_never_becomes_a_dimension(build: Build, capsys: Capture) -> None:
    handler = build()
    capsys.readouterr()
    url = f"https://pivot.example.com/pivot/no-such-customer-{'x' * 300}?token={TOKEN}"
    assert invoke(handler, kazoo_call(), url)["statusCode"] == 404
    call = kazoo_call()
    assert invoke(handler, call, signed(f"{FIRST_URL}&step=nosuchstep", call))["statusCode"] == 404
    emitted = read(capsys)
    customers = {d["customer"] for d in emitted.metrics}
    steps = {d.get("step") for d in emitted.metrics}
    assert customers == {"unknown", "probe"} and steps == {"none", "unknown"}
    unknown, bad_step = emitted.requests()
    assert unknown["customer"] == "unknown" and len(unknown["requested_customer"]) < 40
    assert (bad_step["step"], bad_step["error"], bad_step["fallback"]) == (
        "nosuchstep",
        "not_found",
        True,
    )


def test_a_failing_step_is_a_fallback_logged_with_the_call_and_no_token(
    build: Build, capsys: Capture
) -> None:
    handler = build()
    capsys.readouterr()
    call = kazoo_call()
    assert invoke(handler, call, signed(f"{FIRST_URL}&step=broken", call))["statusCode"] == 500
    emitted = read(capsys)
    assert emitted.metric("Answers5xx", step="broken") == [1.0]
    assert emitted.metric("Fallbacks", step="broken") == [1.0]
    (failure,) = [line for line in emitted.logs if line["level"] == "ERROR"]
    assert failure["call_id"] == "probe-call@10.0.0.5" and failure["step"] == "broken"
    # The step's exception quotes its own continuation URL; the log line blanks the token.
    assert "token=***" in failure["exception"]
    assert TOKEN not in emitted.text


class ConflictOnce(InMemoryStateStore):
    """Another request for the call writes first, once."""

    def __init__(self) -> None:
        super().__init__()
        self.conflicts_left = 1

    def save(self, record: CallRecord, *, expected_version: int | None) -> None:
        if expected_version is not None and self.conflicts_left:
            self.conflicts_left -= 1
            raise WriteConflict("another request wrote first")
        super().save(record, expected_version=expected_version)


def test_conflicts_and_replays_are_counted(build: Build, capsys: Capture) -> None:
    handler = build(state=ConflictOnce())
    call = kazoo_call()
    collection, url = next_request(invoke(handler, call, FIRST_URL))
    capsys.readouterr()
    first = invoke(handler, call.with_digits(collection, "1"), url)
    again = invoke(handler, call.with_digits(collection, "1"), url)  # Kazoo retried
    assert first["body"] == again["body"]
    emitted = read(capsys)
    assert emitted.metric("StateConflicts", step="menu") == [1.0, 0.0]
    assert emitted.metric("Replays", step="menu") == [0.0, 1.0]
    assert emitted.metric("StepsEntered", step="menu") == [1.0, 0.0]
    assert [line["replayed"] for line in emitted.requests()] == [False, True]


def test_events_refused_before_the_engine_are_logged_and_counted(
    build: Build, capsys: Capture
) -> None:
    handler = build()
    capsys.readouterr()
    event = {
        "version": "2.0",
        "rawPath": "/pivot/probe",
        "rawQueryString": f"token={TOKEN}",
        "requestContext": {"http": {"method": "POST"}},
        "body": "x" * 200_000,
    }
    assert handler(event, None)["statusCode"] == 413
    emitted = read(capsys)
    (line,) = emitted.requests()
    assert (line["customer"], line["status"], line["error"]) == ("probe", 413, "payload_too_large")
    assert emitted.metric("Answers4xx", customer="probe") == [1.0]


def test_debug_logs_the_request_and_the_callflow_never_a_token(
    build: Build, capsys: Capture
) -> None:
    handler = build(PIVOTKIT_DEBUG="1")
    capsys.readouterr()
    result = invoke(handler, kazoo_call(), FIRST_URL)
    assert TOKEN in result["body"]  # Kazoo needs it in the continuation URL...
    emitted = read(capsys)
    assert TOKEN not in emitted.text and NEXT_TOKEN not in emitted.text  # ...logs never
    (decoded,) = [line for line in emitted.logs if line["message"] == "decoded Pivot request"]
    assert decoded["level"] == "DEBUG"
    assert decoded["request"]["Call-ID"] == "probe-call@10.0.0.5"
    assert decoded["request"]["token"] == "***"
    assert decoded["request"]["Caller-ID-Number"] == "+14155****23"
    (answer,) = [line for line in emitted.logs if line["message"] == "Pivot answer"]
    tree = answer["callflow"]
    assert tree["module"] == "tts"
    voice_url = tree["children"]["_"]["children"]["_"]["data"]["voice_url"]
    assert "token=***&step=menu" in voice_url


def test_metrics_can_be_switched_off(build: Build, capsys: Capture) -> None:
    handler = build(POWERTOOLS_METRICS_DISABLED="true")
    capsys.readouterr()
    invoke(handler, kazoo_call(), FIRST_URL)
    emitted = read(capsys)
    assert emitted.metrics == [] and len(emitted.requests()) == 1


def test_tracing_wraps_the_handler_and_keeps_the_answer(build: Build, capsys: Capture) -> None:
    pytest.importorskip("aws_xray_sdk")
    traced = build(PIVOTKIT_TRACING="1")
    plain = build()
    assert hasattr(traced, "__wrapped__") and not hasattr(plain, "__wrapped__")
    # Outside Lambda the tracer disables itself; the answer is the same either way.
    assert invoke(traced, kazoo_call(), FIRST_URL)["statusCode"] == 200


@pytest.mark.parametrize(
    ("settings", "enabled"),
    [
        ({}, False),
        ({"AWS_LAMBDA_FUNCTION_NAME": "pivotkit-acme"}, True),
        ({"AWS_LAMBDA_FUNCTION_NAME": "f", "PIVOTKIT_OBSERVABILITY": "off"}, False),
        ({"PIVOTKIT_OBSERVABILITY": "on"}, True),
        ({"PIVOTKIT_DEBUG": "1"}, True),
    ],
)
def test_observability_is_on_in_lambda_and_when_asked(
    settings: dict[str, str], enabled: bool
) -> None:
    assert observability_enabled(settings) is enabled


def test_settings_refuse_nonsense() -> None:
    with pytest.raises(ValueError, match="PIVOTKIT_OBSERVABILITY"):
        observability_enabled({"PIVOTKIT_OBSERVABILITY": "loud"})
    with pytest.raises(ValueError, match="PIVOTKIT_LOG_CALLER_IDS"):
        ObservabilitySettings.from_env({"PIVOTKIT_LOG_CALLER_IDS": "partly"})
    settings = ObservabilitySettings.from_env({"PIVOTKIT_DEBUG": "yes"})
    assert (settings.log_level, settings.caller_ids, settings.namespace) == (
        "DEBUG",
        CallerIdMode.MASKED,
        "pivotkit",
    )


def _imports_after_first_request(**settings: str) -> list[str]:
    probe = (
        "import json, sys\n"
        "from functions.pivot import handler\n"
        "from pivotkit.local.events import lambda_event\n"
        "from pivotkit.local.kazoo_encoding import KazooCall, pivot_http_request\n"
        f"call = KazooCall(account_id={ACCOUNT_ID!r}, call_id='c')\n"
        "url = 'https://x.example/pivot/acme?token=t'\n"
        "assert handler(lambda_event(pivot_http_request(call, url), 'v2'), None)['statusCode']"
        " == 200\n"
        "print(json.dumps(sorted(m for m in sys.modules"
        " if m.startswith(('aws_lambda_powertools', 'aws_xray_sdk')))))"
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PIVOTKIT_", "AWS_"))}
    env.update(
        PYTHONPATH=os.pathsep.join([str(PROJECT_ROOT / "handlers"), str(PROJECT_ROOT)]),
        PIVOTKIT_CUSTOMER="acme",
        PIVOTKIT_TOKENS=json.dumps({"acme": ["t"]}),
        **settings,
    )
    done = subprocess.run(
        [sys.executable, "-c", probe], env=env, capture_output=True, text=True, check=True
    )
    return list(json.loads(done.stdout.splitlines()[-1]))


def test_powertools_is_imported_only_when_observability_is_on() -> None:
    assert _imports_after_first_request() == []
    in_lambda = _imports_after_first_request(AWS_LAMBDA_FUNCTION_NAME="pivotkit-acme")
    assert "aws_lambda_powertools.logging.logger" in in_lambda
    assert not [name for name in in_lambda if name.startswith("aws_xray_sdk")]
    traced = _imports_after_first_request(
        AWS_LAMBDA_FUNCTION_NAME="pivotkit-acme", PIVOTKIT_TRACING="1"
    )
    assert "aws_xray_sdk.core" in traced


def test_media_metrics_come_from_the_media_outcome(restored_logging: None, capsys: Capture) -> None:
    telemetry = Telemetry(ObservabilitySettings(service="pivotkit-media-test"), CUSTOMERS)
    capsys.readouterr()
    stored = MediaOutcome(
        method="PUT",
        name="probe/x.mp3",
        status=201,
        duration_ms=3.0,
        customer="probe",
        stored_bytes=4096,
    )
    telemetry.observe_media(stored)
    telemetry.observe_media(
        MediaOutcome(method="GET", name="/media/***", status=404, duration_ms=1.0)
    )
    emitted = read(capsys)
    assert emitted.metric("MediaAnswers2xx", customer="probe") == [1.0]
    assert emitted.metric("MediaBytesStored", customer="probe") == [4096.0]
    assert emitted.metric("MediaAnswers4xx", customer="unknown") == [1.0]


def test_a_failing_observer_never_changes_the_answer(build: Build, capsys: Capture) -> None:
    handler = build()

    class Closed:
        def write(self, text: str) -> int:
            raise OSError("log stream gone")

        def flush(self) -> None:
            raise OSError("log stream gone")

    real = sys.stdout
    sys.stdout = Closed()
    try:
        result = invoke(handler, kazoo_call(), FIRST_URL)
    finally:
        sys.stdout = real
    assert result["statusCode"] == 200 and PROBE.slug in result["body"]
