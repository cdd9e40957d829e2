"""The local tools read a customer's configuration for ``--stage`` and its secrets from the
environment or ``secrets.local.toml``: ``pivotkit call`` run as a user runs it, on the test
fixture's customer package root."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.fixtures.configured import CUSTOMERS_ROOT

pytestmark = pytest.mark.slow

PROJECT_ROOT = Path(__file__).resolve().parents[2]
MORNING = "2026-12-24T09:00-06:00"


def pivotkit_call(
    root: Path, *arguments: str, **environment: str
) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PIVOTKIT_", "AWS_"))}
    env.update(
        PYTHONPATH=os.pathsep.join([str(root), str(PROJECT_ROOT / "handlers"), str(PROJECT_ROOT)]),
        **environment,
    )
    return subprocess.run(
        [sys.executable, "-m", "pivotkit.local.cli", "call", "--customer", "dental", *arguments],
        env=env,
        cwd=PROJECT_ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_the_stage_chooses_the_file(tmp_path: Path) -> None:
    dev = pivotkit_call(CUSTOMERS_ROOT.parent, "--now", MORNING, "--digits", "2")
    assert dev.returncode == 0, dev.stderr
    assert "says: Thank you for calling the dental practice." in dev.stdout
    assert "device 0123456789abcdef0123456789abcdef: answered" in dev.stdout
    prod = pivotkit_call(
        CUSTOMERS_ROOT.parent, "--now", MORNING, "--digits", "2", "--stage", "prod"
    )
    assert prod.returncode == 0, prod.stderr
    assert "says: Thank you for calling Bright Smiles Dental." in prod.stdout
    assert "device fedcba9876543210fedcba9876543210: answered" in prod.stdout
    from_env = pivotkit_call(
        CUSTOMERS_ROOT.parent, "--now", MORNING, "--digits", "2", PIVOTKIT_STAGE="prod"
    )
    assert "Bright Smiles Dental" in from_env.stdout


def test_a_secret_from_the_environment_or_the_local_file(tmp_path: Path) -> None:
    root = tmp_path / "root"
    shutil.copytree(
        CUSTOMERS_ROOT, root / "customers", ignore=shutil.ignore_patterns("__pycache__")
    )
    missing = pivotkit_call(root, "--now", MORNING, "--digits", "1")
    assert missing.returncode == 1
    assert "503" in missing.stdout and "secret_unavailable" in missing.stdout
    assert "secret booking_api_key of dental unavailable: not set: neither" in missing.stderr
    assert "PIVOTKIT_SECRET_DENTAL_BOOKING_API_KEY" in missing.stderr
    from_env = pivotkit_call(
        root, "--now", MORNING, "--digits", "1", PIVOTKIT_SECRET_DENTAL_BOOKING_API_KEY="sk-env"
    )
    assert from_env.returncode == 0, from_env.stdout + from_env.stderr
    assert "You are booked." in from_env.stdout
    (root / "customers" / "dental" / "secrets.local.toml").write_text(
        'booking_api_key = "sk-file-0042"\n', encoding="utf-8"
    )
    from_file = pivotkit_call(root, "--now", MORNING, "--digits", "1")
    assert from_file.returncode == 0, from_file.stdout + from_file.stderr
    assert "You are booked." in from_file.stdout
    assert "sk-file-0042" not in from_file.stdout + from_file.stderr


def test_a_bad_configuration_stops_the_tool_naming_the_field(tmp_path: Path) -> None:
    root = tmp_path / "root"
    shutil.copytree(
        CUSTOMERS_ROOT, root / "customers", ignore=shutil.ignore_patterns("__pycache__")
    )
    prod = root / "customers" / "dental" / "config" / "prod.toml"
    prod.write_text(prod.read_text().replace("07:30:00", '"half past seven"'), encoding="utf-8")
    failed = pivotkit_call(root, "--stage", "prod")
    assert failed.returncode == 2
    assert failed.stderr.startswith(f"pivotkit call: dental: {prod}: opens: Input should be")
