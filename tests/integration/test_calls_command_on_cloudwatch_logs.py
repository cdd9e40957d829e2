"""`pivotkit calls list/show` read the journal from CloudWatch Logs (moto), failed calls first."""

from __future__ import annotations

import time
from collections.abc import Iterator

import botocore.session
import pytest
from moto import mock_aws

from pivotkit.app import Outcome
from pivotkit.journal import CallJournal
from pivotkit.local.cli import main
from pivotkit.redaction import Redactor

GROUP = "/aws/lambda/pivotkit-dev-acme"


@pytest.fixture
def log_group(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[str]]:
    for name, value in {
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_DEFAULT_REGION": "us-east-1",
    }.items():
        monkeypatch.setenv(name, value)
    with mock_aws():
        client = botocore.session.get_session().create_client("logs")
        client.create_log_group(logGroupName=GROUP)
        client.create_log_stream(logGroupName=GROUP, logStreamName="s")
        yield []


def _walk(lines: list[str]) -> None:
    journal = CallJournal(lines.append, Redactor(), lambda v, n: None if v is None else "masked")
    journal.observe(Outcome("acme", "start", 200, 2.0, call_id="good", hop=0), None)
    journal.observe(Outcome("acme", "start", 200, 2.0, call_id="bad", hop=0), None)
    journal.observe(
        Outcome("acme", "menu", 503, 3001.0, call_id="bad", error="step_timeout", hop=1), None
    )
    journal.call_ended(
        customer="acme",
        call_id="bad",
        account_id=None,
        hangup_cause="NORMAL_CLEARING",
        duration_seconds=9.0,
        ended_at=time.time(),
    )


def test_list_shows_failed_calls_first_and_filters_errors(
    log_group: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    _walk(log_group)
    client = botocore.session.get_session().create_client("logs")
    client.put_log_events(
        logGroupName=GROUP,
        logStreamName="s",
        logEvents=[{"timestamp": int(time.time() * 1000), "message": m} for m in log_group],
    )
    assert main(["calls", "list", "--log-group", GROUP]) == 0
    listed = capsys.readouterr().out.splitlines()
    assert len(listed) == 2
    assert "bad" in listed[0] and "503 step_timeout at menu" in listed[0]
    assert "ended NORMAL_CLEARING" in listed[0] and "steps=2" in listed[0]
    assert main(["calls", "list", "--log-group", GROUP, "--status", "error"]) == 0
    (only,) = capsys.readouterr().out.splitlines()
    assert "bad" in only
    assert main(["calls", "show", "good", "--log-group", GROUP]) == 0
    assert '"call_id": "good"' in capsys.readouterr().out
