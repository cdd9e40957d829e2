"""The second half of ``make audit``: judge pip-audit's JSON report of the Lambda layer's pins.

    python -m tests.unit.security.dependency_audit REPORT.json layers/requirements.txt

Fails (exit 1) when any pinned package has a known vulnerability. pip-audit looks each pin
up in PyPI's per-version JSON API; where that API cannot be reached (some mirrors and
proxies serve only the project-level JSON) it skips the package and still exits 0, which
would make an audit that checked nothing look clean. For every skipped package this asks
PyPI's project JSON instead, whose ``vulnerabilities`` list covers the latest release: a
pin that is the latest release is audited that way, and a pin that is not is reported as
not audited, by name, so nobody mistakes silence for a clean bill.
"""

from __future__ import annotations

import json
import re
import sys
import urllib.request
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

PYPI_PROJECT_JSON = "https://pypi.org/pypi/{name}/json"
_PIN = re.compile(r"^([A-Za-z0-9_.-]+)==([^\s;\\]+)", re.MULTILINE)

Fetch = Callable[[str], Mapping[str, Any]]


@dataclass
class Verdict:
    vulnerable: list[str] = field(default_factory=list)
    audited: list[str] = field(default_factory=list)
    not_audited: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.vulnerable


def pins(requirements: str) -> dict[str, str]:
    """``name -> version`` of every ``name==version`` line (names normalised as PyPI does)."""
    return {_normal(name): version for name, version in _PIN.findall(requirements)}


def judge(report: Mapping[str, Any], pinned: Mapping[str, str], fetch: Fetch) -> Verdict:
    verdict = Verdict()
    for dependency in report.get("dependencies", []):
        name = _normal(str(dependency.get("name", "")))
        version = str(dependency.get("version") or pinned.get(name, "?"))
        label = f"{name}=={version}"
        if "skip_reason" not in dependency:
            vulns = dependency.get("vulns") or []
            verdict.vulnerable.extend(f"{label}: {_ids(v)}" for v in vulns)
            verdict.audited.append(f"{label} (pip-audit)")
            continue
        try:
            project = fetch(PYPI_PROJECT_JSON.format(name=name))
        except OSError as error:
            verdict.not_audited.append(f"{label}: PyPI unreachable ({error})")
            continue
        latest = str(project.get("info", {}).get("version", ""))
        if latest != version:
            verdict.not_audited.append(f"{label}: PyPI only describes the latest, {latest}")
            continue
        current = [v for v in project.get("vulnerabilities") or [] if not v.get("withdrawn")]
        verdict.vulnerable.extend(f"{label}: {_ids(v)}" for v in current)
        verdict.audited.append(f"{label} (PyPI project advisories)")
    return verdict


def _ids(vulnerability: Mapping[str, Any]) -> str:
    names = [str(vulnerability.get("id", "?")), *map(str, vulnerability.get("aliases") or [])]
    fixed = vulnerability.get("fix_versions") or vulnerability.get("fixed_in") or []
    return ", ".join(names) + (f" (fixed in {', '.join(map(str, fixed))})" if fixed else "")


def _normal(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def _fetch(url: str) -> Mapping[str, Any]:
    if not url.startswith("https://"):
        raise ValueError(f"refusing to fetch {url}")
    with urllib.request.urlopen(url, timeout=20) as response:
        parsed: Mapping[str, Any] = json.load(response)
        return parsed


def main(argv: list[str]) -> int:
    report_path, requirements_path = argv
    report = json.loads(Path(report_path).read_text(encoding="utf-8"))
    pinned = pins(Path(requirements_path).read_text(encoding="utf-8"))
    verdict = judge(report, pinned, _fetch)
    for line in verdict.audited:
        print(f"  audited      {line}")
    for line in verdict.not_audited:
        print(f"  NOT AUDITED  {line}")
    for line in verdict.vulnerable:
        print(f"  VULNERABLE   {line}")
    print(
        f"dependency audit: {len(verdict.audited)} audited, {len(verdict.not_audited)} not"
        f" audited, {len(verdict.vulnerable)} known vulnerabilities"
    )
    return 0 if verdict.ok else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
