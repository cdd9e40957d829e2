"""The files around the CDK app: cdk.json, the pinned CLI, the checkov configuration."""

from __future__ import annotations

import json
import re
from pathlib import Path


def test_cdk_json_runs_the_app_from_the_project_venv(project_root: Path) -> None:
    cdk_json = json.loads((project_root / "cdk.json").read_text("utf-8"))
    assert cdk_json["app"] == ".venv/bin/python -m infra.app"
    assert cdk_json["notices"] is False  # no network call on synth
    context = cdk_json["context"]
    assert context["cli-telemetry"] is False
    # Without it a layer update would not publish a new version behind the `live` alias.
    assert context["@aws-cdk/aws-lambda:recognizeLayerVersion"] is True
    assert (project_root / "infra" / "app.py").is_file()


def test_the_cdk_cli_is_pinned_exactly(project_root: Path) -> None:
    package = json.loads((project_root / "package.json").read_text("utf-8"))
    lock = json.loads((project_root / "package-lock.json").read_text("utf-8"))
    pinned = package["devDependencies"]["aws-cdk"]
    assert re.fullmatch(r"\d+\.\d+\.\d+", pinned), pinned
    assert lock["packages"]["node_modules/aws-cdk"]["version"] == pinned
    assert lock["packages"][""]["devDependencies"]["aws-cdk"] == pinned


def test_every_checkov_skip_says_why(project_root: Path) -> None:
    lines = (project_root / "infra" / ".checkov.yaml").read_text("utf-8").splitlines()
    start = lines.index("skip-check:")
    skips = 0
    for index, line in enumerate(lines[start + 1 :], start + 1):
        if re.fullmatch(r"\s+- CKV_\w+", line):
            skips += 1
            # The skip, or the run of skips it belongs to, follows a comment with the reason.
            above = index - 1
            while re.fullmatch(r"\s+- CKV_\w+", lines[above]):
                above -= 1
            assert lines[above].strip().startswith("#"), line
    assert skips > 0


def test_checkov_runs_pinned_and_isolated_in_infra_lint(project_root: Path) -> None:
    makefile = (project_root / "mk" / "infra.mk").read_text("utf-8")
    assert re.search(r"^CHECKOV_VERSION := \d+\.\d+\.\d+$", makefile, re.MULTILINE)
    assert "$(UV) tool run --from checkov==$(CHECKOV_VERSION) checkov" in makefile
    assert "--config-file infra/.checkov.yaml" in makefile
