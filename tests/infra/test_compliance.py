"""cdk-nag's AwsSolutions pack passes with reasoned acknowledgements; cfn-lint finds no errors."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
from aws_cdk import App, Stack, aws_s3
from cfnlint.api import lint  # type: ignore[import-untyped]  # cfn-lint ships no type hints

from infra.app import add_nag_checks
from tests.infra.conftest import Synthesized

pytestmark = pytest.mark.slow

# Each acknowledged rule is explained where it is made (infra/*.py); a new one should be
# a deliberate decision, so it has to be added here too.
ACKNOWLEDGED_RULES = {
    "AwsSolutions-S1",  # the access-log bucket does not log into itself
    "AwsSolutions-SMG4",  # seeds rotate by hand: the tokens live in Kazoo callflows
    "AwsSolutions-SNS2",  # alarm topic: CloudWatch cannot use the AWS-managed SNS key
    "AwsSolutions-L1",  # runtime pinned together with the layer's wheels
    "AwsSolutions-IAM5",  # object wildcards under a customer's own prefix
    "AwsSolutions-SQS3",  # the failure queue is itself the dead-letter destination
}
# CDK orders a function after its role's policy with a DependsOn that a GetAtt implies.
ALLOWED_CFN_LINT_WARNINGS = {"W3005"}


def nag_acknowledgements(template: dict[str, Any]) -> list[tuple[str, str, str]]:
    found = []
    for logical_id, resource in template["Resources"].items():
        for rule in resource.get("Metadata", {}).get("cdk_nag", {}).get("rules_to_suppress", []):
            found.append((logical_id, rule["id"], rule["reason"]))
    return found


def test_aws_solutions_pack_passes(synthesized: Synthesized) -> None:
    report = json.loads((synthesized.outdir / "validation-report.json").read_text("utf-8"))
    failures = [
        violation
        for plugin in report["pluginReports"]
        for violation in plugin.get("violations", [])
    ]
    assert failures == []


def test_every_acknowledgement_has_a_reason(synthesized: Synthesized) -> None:
    for stack, template in synthesized.templates.items():
        acknowledgements = nag_acknowledgements(template)
        assert acknowledgements, stack
        for logical_id, rule_id, reason in acknowledgements:
            assert re.sub(r"\[.*\]$", "", rule_id) in ACKNOWLEDGED_RULES, (logical_id, rule_id)
            assert len(reason.split()) >= 8, (logical_id, rule_id, reason)
            if rule_id.startswith("AwsSolutions-IAM5"):
                # Only objects under the stack's own customer prefix, nothing broader.
                slug = next(
                    s
                    for s in synthesized.customers
                    if synthesized.customer_name(stack.split("-")[1], s) == stack
                )
                assert re.fullmatch(
                    r"AwsSolutions-IAM5\[Resource::arn:<AWS::Partition>:s3:::"
                    rf"<SsmParameterValue\w+mediabucketname\w+>/{slug}/\*\]",
                    rule_id,
                ), rule_id


def test_nag_findings_fail_the_synth(tmp_path: Path) -> None:
    """The gate is real: an unacknowledged finding stops synthesis."""
    app = App(outdir=str(tmp_path))
    aws_s3.Bucket(Stack(app, "Careless"), "Bucket")
    add_nag_checks(app)
    with pytest.raises(RuntimeError, match=r"(?s)ValidationFailed.*AwsSolutions-S10"):
        app.synth()


@pytest.mark.parametrize("stack", ["pivotkit-dev", "pivotkit-prod", "pivotkit-prod-globex-west"])
def test_cfn_lint_reports_no_errors(synthesized: Synthesized, stack: str) -> None:
    text = (synthesized.outdir / f"{stack}.template.json").read_text("utf-8")
    matches = lint(text, regions=["us-east-1", "eu-west-1"])
    unexpected = [
        f"{m.rule.id} {m.message}"
        for m in matches
        if m.rule.id.startswith("E") or m.rule.id not in ALLOWED_CFN_LINT_WARNINGS
    ]
    assert unexpected == []
