"""One settings model: every environment variable the kit reads is named in
pivotkit.aws.settings and nowhere else in the deployed code, and docs/ARCHITECTURE.md's
"Settings" table lists exactly those."""

from __future__ import annotations

import ast
import re
from pathlib import Path

from pivotkit.aws import settings
from pivotkit.aws.settings import ObservabilitySettings, Settings

ROOT = Path(__file__).resolve().parents[3]
PIVOTKIT = ROOT / "handlers" / "pivotkit"
SETTINGS = PIVOTKIT / "aws" / "settings.py"
# The local tools and the test harness are not deployed; they set the variables they serve.
NOT_DEPLOYED = (PIVOTKIT / "local", PIVOTKIT / "testing.py")
VARIABLE = re.compile(r"(?:PIVOTKIT|POWERTOOLS|AWS)_[A-Z0-9_]+")
# Read by the SDK itself, never by the kit.
SDK_ONLY = re.compile(r"AWS_ENDPOINT_URL_[A-Z0-9_]+")


def _defined() -> set[str]:
    return {
        value
        for name, value in vars(settings).items()
        if name.isupper() and isinstance(value, str) and VARIABLE.fullmatch(value)
    }


def _names_in_code(path: Path) -> set[str]:
    """Variable names a module spells out as string constants (docstrings are prose)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    prose = {
        id(node.body[0].value)
        for node in ast.walk(tree)
        if isinstance(node, ast.Module | ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef)
        and node.body
        and isinstance(node.body[0], ast.Expr)
    }
    return {
        node.value
        for node in ast.walk(tree)
        if isinstance(node, ast.Constant)
        and isinstance(node.value, str)
        and id(node) not in prose
        and VARIABLE.fullmatch(node.value)
    }


def test_only_the_settings_module_names_environment_variables() -> None:
    elsewhere = {
        str(path.relative_to(PIVOTKIT)): sorted(names)
        for path in sorted(PIVOTKIT.rglob("*.py"))
        if path != SETTINGS
        and not any(path == d or d in path.parents for d in NOT_DEPLOYED)
        and (names := _names_in_code(path))
    }
    assert elsewhere == {}


def test_the_architecture_table_lists_every_variable_and_no_other() -> None:
    text = (ROOT / "docs" / "ARCHITECTURE.md").read_text(encoding="utf-8")
    section = text.split("\n## Settings", 1)[1].split("\n## ", 1)[0]
    first_cells = [line.split("|")[1] for line in section.splitlines() if line.startswith("| `")]
    documented = {
        name
        for cell in first_cells
        for name in re.findall(r"`([A-Z0-9_]+)`", cell)
        if not SDK_ONLY.fullmatch(name)
    }
    assert documented == _defined()


def test_one_read_gives_every_setting() -> None:
    environ = {
        settings.CUSTOMER: "acme",
        settings.STATE_TABLE: "calls",
        settings.MEDIA_BUCKET: "media",
        settings.MEDIA_KMS_KEY_ID: "alias/media",
        settings.TOKENS_SECRETS: '{"acme": "arn:secret"}',
        settings.PUBLIC_URL: "https://pivot.example.com/",
        settings.LAMBDA_FUNCTION_NAME: "pivotkit-acme",
        settings.POWERTOOLS_SERVICE_NAME: "pivotkit-acme",
    }
    read = Settings.from_env(environ)
    assert (read.customer, read.state_table, read.media_bucket) == ("acme", "calls", "media")
    assert read.media_kms_key_id == "alias/media"
    assert read.token_secrets == {"acme": "arn:secret"}
    assert read.public_url == "https://pivot.example.com"
    assert read.observability == ObservabilitySettings(service="pivotkit-acme")
    quiet = Settings.from_env({settings.OBSERVABILITY: "off", settings.LAMBDA_FUNCTION_NAME: "f"})
    assert quiet.observability is None
