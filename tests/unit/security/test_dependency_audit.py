"""``make audit``'s judgement of pip-audit's report (no network: PyPI is a stub here)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.unit.security.dependency_audit import judge, pins

PROJECT_ROOT = Path(__file__).resolve().parents[3]


def pypi(projects: dict[str, dict[str, Any]]) -> Any:
    def fetch(url: str) -> dict[str, Any]:
        name = url.split("/pypi/")[1].split("/", maxsplit=1)[0]
        if name not in projects:
            raise OSError("404")
        return projects[name]

    return fetch


def test_the_layer_pins_are_read_from_the_requirements_file() -> None:
    pinned = pins((PROJECT_ROOT / "layers" / "requirements.txt").read_text(encoding="utf-8"))
    assert "aws-lambda-powertools" in pinned and "pydantic" in pinned
    assert all(version[0].isdigit() for version in pinned.values())


def test_vulnerabilities_found_by_pip_audit_fail_the_audit() -> None:
    report = {
        "dependencies": [
            {"name": "jmespath", "version": "1.1.0", "vulns": []},
            {
                "name": "pydantic",
                "version": "2.0.0",
                "vulns": [{"id": "PYSEC-1", "aliases": ["CVE-1"], "fix_versions": ["2.0.1"]}],
            },
        ]
    }
    verdict = judge(report, {}, pypi({}))
    assert not verdict.ok
    assert verdict.vulnerable == ["pydantic==2.0.0: PYSEC-1, CVE-1 (fixed in 2.0.1)"]


def test_skipped_packages_are_audited_from_the_project_json_when_pinned_to_latest() -> None:
    skipped = "Dependency not found on PyPI and could not be audited"
    report = {
        "dependencies": [
            {"name": "jmespath", "skip_reason": f"{skipped}: jmespath (1.1.0)"},
            {"name": "pydantic_core", "skip_reason": f"{skipped}: pydantic-core (2.0.0)"},
            {"name": "old-thing", "skip_reason": f"{skipped}: old-thing (1.0)"},
            {"name": "gone", "skip_reason": f"{skipped}: gone (1.0)"},
        ]
    }
    pinned = {"jmespath": "1.1.0", "pydantic-core": "2.0.0", "old-thing": "1.0", "gone": "1.0"}
    verdict = judge(
        report,
        pinned,
        pypi(
            {
                "jmespath": {"info": {"version": "1.1.0"}, "vulnerabilities": []},
                "pydantic-core": {
                    "info": {"version": "2.0.0"},
                    "vulnerabilities": [
                        {"id": "GHSA-x", "aliases": [], "fixed_in": ["2.0.1"]},
                        {"id": "GHSA-old", "withdrawn": "2024-01-01"},
                    ],
                },
                "old-thing": {"info": {"version": "2.0"}, "vulnerabilities": []},
            }
        ),
    )
    assert verdict.audited == [
        "jmespath==1.1.0 (PyPI project advisories)",
        "pydantic-core==2.0.0 (PyPI project advisories)",
    ]
    assert verdict.vulnerable == ["pydantic-core==2.0.0: GHSA-x (fixed in 2.0.1)"]
    assert [line.split(":")[0] for line in verdict.not_audited] == ["old-thing==1.0", "gone==1.0"]


@pytest.mark.parametrize("report", [{}, {"dependencies": []}])
def test_an_empty_report_is_not_a_failure(report: dict[str, Any]) -> None:
    assert judge(report, {}, pypi({})).ok
