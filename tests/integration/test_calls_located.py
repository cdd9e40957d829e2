"""`pivotkit calls` without --from/--log-group: a deployed stage's stacks (moto) or a serve."""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from pathlib import Path

import botocore.session
import pytest
from moto import mock_aws

from pivotkit.app import Outcome
from pivotkit.journal import CallJournal
from pivotkit.local.cli import main
from pivotkit.local.journal_logs import LogGroupSink
from pivotkit.local.journal_sources import SERVE_RECORD, ServeRecord, forget_serve
from pivotkit.redaction import Redactor


def _stack_template(function: str, group: str | None) -> str:
    outputs = {"FunctionName": {"Value": function}}
    if group is not None:
        outputs["LogGroupName"] = {"Value": group}
    return json.dumps(
        {
            "Resources": {"Topic": {"Type": "AWS::SNS::Topic"}},
            "Outputs": outputs,
        }
    )


@pytest.fixture
def aws(monkeypatch: pytest.MonkeyPatch) -> Iterator[botocore.session.Session]:
    for name in list(os.environ):
        if name.startswith("AWS_"):
            monkeypatch.delenv(name)
    for name, value in {
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_DEFAULT_REGION": "eu-west-1",
    }.items():
        monkeypatch.setenv(name, value)
    with mock_aws():
        yield botocore.session.get_session()


def _deploy(
    session: botocore.session.Session, stack: str, function: str, group: str | None
) -> None:
    session.create_client("cloudformation").create_stack(
        StackName=stack, TemplateBody=_stack_template(function, group)
    )


def _journal_into(session: botocore.session.Session, stage: str, slugs: list[str]) -> CallJournal:
    sink = LogGroupSink(session.create_client("logs"), stage, slugs)
    return CallJournal(sink, Redactor(), lambda value, is_number: None)


def test_stage_finds_every_customer_stack_of_the_stage_by_its_outputs(
    aws: botocore.session.Session, capsys: pytest.CaptureFixture[str]
) -> None:
    _deploy(aws, "pivotkit-dev-acme", "pivotkit-dev-acme", "/aws/lambda/pivotkit-dev-acme")
    # An older stack without the LogGroupName output: its function names the group.
    _deploy(aws, "pivotkit-dev-globex-west", "pivotkit-dev-globex_west", None)
    _deploy(aws, "pivotkit-prod-acme", "pivotkit-prod-acme", "/aws/lambda/pivotkit-prod-acme")
    _deploy(aws, "pivotkit-dev", "unrelated", None)  # the platform stack: no customer
    dev = _journal_into(aws, "dev", ["acme", "globex_west"])
    dev.observe(Outcome("acme", "start", 200, 1.0, call_id="acme-ok", hop=0), None)
    dev.observe(Outcome("acme", "menu", 503, 3001.0, call_id="acme-bad", error="step_timed_out",
                        hop=1), None)  # fmt: skip
    dev.observe(Outcome("globex_west", "start", 500, 2.0, call_id="globex-bad",
                        error="step_failed", hop=0), None)  # fmt: skip
    prod = _journal_into(aws, "prod", ["acme"])
    prod.observe(Outcome("acme", "start", 200, 1.0, call_id="prod-call", hop=0), None)

    assert main(["calls", "list", "--stage", "dev"]) == 0
    listed = capsys.readouterr().out.splitlines()
    assert len(listed) == 3 and not any("prod-call" in line for line in listed)
    assert {line.split()[3] for line in listed[:2]} == {"acme-bad", "globex-bad"}
    assert "acme-ok" in listed[2]

    assert main(["calls", "list", "--stage", "dev", "--customer", "globex_west",
                 "--status", "error"]) == 0  # fmt: skip
    (only,) = capsys.readouterr().out.splitlines()
    assert "globex-bad" in only and "500 step_failed at start" in only

    assert main(["calls", "show", "prod-call", "--stage", "prod", "--json"]) == 0
    assert '"call_id": "prod-call"' in capsys.readouterr().out


def test_stage_without_stacks_says_what_it_looked_for(
    aws: botocore.session.Session, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["calls", "list", "--stage", "dev"]) == 2
    assert "no customer stack pivotkit-dev-*" in capsys.readouterr().err
    assert main(["calls", "list", "--stage", "dev", "--customer", "acme"]) == 2
    assert "cannot read stack pivotkit-dev-acme" in capsys.readouterr().err


def test_no_flag_reads_the_serve_recorded_here_and_only_while_it_runs(
    aws: botocore.session.Session,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.chdir(tmp_path)
    assert main(["calls", "list"]) == 2
    assert "no running pivotkit serve here" in capsys.readouterr().err
    # A record like serve's, but the "embedded AWS" is moto in this process (no endpoint).
    record = ServeRecord(
        url="http://127.0.0.1:1",
        aws_endpoint="",
        region="eu-west-1",
        stage="dev",
        log_groups={"acme": "/aws/lambda/pivotkit-dev-acme"},
        pid=os.getpid(),
    )
    record.write(tmp_path / SERVE_RECORD)
    monkeypatch.setattr(
        "pivotkit.local.journal_sources.serve_client",
        lambda _: aws.create_client("logs"),
    )
    assert main(["calls", "list"]) == 0  # no call yet: the group does not exist
    assert capsys.readouterr().out == ""
    _journal_into(aws, "dev", ["acme"]).observe(
        Outcome("acme", "start", 401, 1.0, call_id="c-1", error="unauthorized"), None
    )
    assert main(["calls", "list", "--status", "error"]) == 0
    assert "c-1" in capsys.readouterr().out
    forget_serve(tmp_path / SERVE_RECORD, os.getpid())
    assert not (tmp_path / SERVE_RECORD).exists()
    dead = ServeRecord(**{**record.__dict__, "pid": 2**22 + 7})
    dead.write(tmp_path / SERVE_RECORD)
    assert main(["calls", "list"]) == 2
    assert "has stopped" in capsys.readouterr().err
