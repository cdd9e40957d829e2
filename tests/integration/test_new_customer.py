"""``pivotkit new customer dental`` in a project laid out like this repository: what it writes
passes ``make test`` and ``make synth`` at once.

The project is a copy of this repository's ``handlers/`` (without any customer of the
operator's) and ``pyproject.toml`` in a temporary directory, scaffolded with ``--root``. Then,
each in a subprocess run from that project as ``make`` would run it: pytest on the generated
test, ``pivotkit replay`` on the recorded events, ruff, mypy --strict and import-linter on the
generated code; and one synth of the new customer (the platform and its stack, stage dev,
cdk-nag included, the examples not deployed). The scaffold leaves this repository's own
``handlers/customers/`` untouched.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from collections.abc import Mapping
from pathlib import Path

import pytest

from pivotkit.local.cli import main
from pivotkit.local.scaffold import templates
from pivotkit.local.schemas import ENV_VAR as SCHEMAS_VARIABLE
from pivotkit.local.schemas import schemas_root
from tests.integration.serve_support import PROJECT_ROOT

pytestmark = pytest.mark.slow

BIN = Path(sys.executable).parent
GENERATED = ("handlers/customers/dental", "tests/customers")
WALKTHROUGH = PROJECT_ROOT / "docs" / "customers.md"
FENCE = re.compile(r"^```(\w+)\n(.*?)^```$", re.MULTILINE | re.DOTALL)


def _copy_ignoring(directory: str, names: list[str]) -> set[str]:
    ignored = {n for n in names if n in ("__pycache__", "secrets.local.toml")}
    if Path(directory) == PROJECT_ROOT / "handlers" / "customers":
        ignored |= {n for n in names if n != "__init__.py"}  # no customer of this checkout's
    return ignored


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("operator")
    shutil.copytree(PROJECT_ROOT / "handlers", root / "handlers", ignore=_copy_ignoring)
    shutil.copy(PROJECT_ROOT / "pyproject.toml", root / "pyproject.toml")
    (root / "tests").mkdir()
    (root / "tests" / "__init__.py").write_text("", encoding="utf-8")
    before = sorted(p.name for p in (PROJECT_ROOT / "handlers" / "customers").iterdir())
    assert main(["new", "customer", "dental", "--root", str(root)]) == 0
    assert sorted(p.name for p in (PROJECT_ROOT / "handlers" / "customers").iterdir()) == before
    return root


def run(project: Path, *command: str | Path) -> subprocess.CompletedProcess[str]:
    """``command`` from the project's root, its ``handlers/`` first on the path."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("PIVOTKIT_")}
    env["PYTHONPATH"] = str(project / "handlers")
    schemas = schemas_root()  # where the copy of the kit would not look for them
    if schemas is not None:
        env.setdefault(SCHEMAS_VARIABLE, str(schemas))
    return subprocess.run(
        [str(part) for part in command],
        cwd=project,
        env=env,
        capture_output=True,
        text=True,
        check=False,
        timeout=300,
    )


def test_it_writes_the_package_its_config_its_test_and_recorded_events(project: Path) -> None:
    package = project / "handlers" / "customers" / "dental"
    assert sorted(str(p.relative_to(package)) for p in package.rglob("*") if p.is_file()) == [
        "__init__.py",
        "config.py",
        "config/dev.toml",
        "config/prod.toml",
    ]
    assert (project / "tests" / "customers" / "dental" / "test_dental.py").is_file()
    events = project / "events" / "customers" / "dental"
    assert sorted(p.name for p in events.iterdir()) == sorted(s.name for s in templates.SCENARIOS)
    # Recorded, not templated: the goldens hold what the engine answered, signed URLs included.
    first = json.loads((events / "open-front-desk" / "01-start.expected.json").read_text("utf-8"))
    assert first["status"] == 200
    assert "sig=" in json.dumps(first["body"])
    second = json.loads((events / "open-front-desk" / "02-menu.json").read_text("utf-8"))
    assert "step=menu" in second["rawQueryString"]


def test_the_generated_test_passes(project: Path) -> None:
    done = run(project, sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "tests")
    assert done.returncode == 0, done.stdout + done.stderr
    assert "6 passed" in done.stdout


def test_replay_passes_on_the_recorded_events(project: Path) -> None:
    done = run(project, sys.executable, "-m", "pivotkit.local.cli", "replay", "events")
    assert done.returncode == 0, done.stdout + done.stderr
    assert f"{_event_count(project)}/{_event_count(project)} event(s) passed" in done.stdout
    if schemas_root() is not None:
        assert "schemas: Kazoo 4.3 + master" in done.stdout


def test_the_generated_code_passes_lint_types_and_the_import_contracts(project: Path) -> None:
    check_generated_code(project)


def check_generated_code(project: Path) -> None:
    """What ``make lint typecheck architecture`` asks of the customer's code and its tests."""
    for command in (
        [BIN / "ruff", "check", *GENERATED],
        [BIN / "ruff", "format", "--check", *GENERATED],
        [BIN / "mypy", "--cache-dir", project / ".mypy_cache", *GENERATED],
        [BIN / "lint-imports", "--no-cache"],
    ):
        done = run(project, *command)
        assert done.returncode == 0, f"{command}:\n{done.stdout}{done.stderr}"


def test_the_walkthrough_in_docs_customers_md_passes(project: Path, tmp_path: Path) -> None:
    """Its diffs applied and its new files written on a fresh scaffold, dental with a booking
    API and a secret still passes its tests, lint and types, and the synth's checks."""
    from infra.declarations import declarations

    walked = tmp_path / "walked"
    shutil.copytree(project, walked, ignore=shutil.ignore_patterns(".mypy_cache", "__pycache__"))
    blocks = FENCE.findall(WALKTHROUGH.read_text(encoding="utf-8"))
    patch = "".join(body for language, body in blocks if language == "diff")
    done = subprocess.run(
        ["git", "apply", "-"], input=patch, cwd=walked, capture_output=True, text=True, check=False
    )
    assert done.returncode == 0, done.stderr
    new_files = 0
    for language, body in blocks:
        first, _, text = body.partition("\n")
        if language == "python" and first.startswith("# ") and first.endswith(".py"):
            path = walked / first.removeprefix("# ")
            assert not path.exists(), f"{path} is a new file in the walkthrough"
            path.write_text(text, encoding="utf-8")
            new_files += 1
    assert new_files == 2  # booking.py and test_booking.py
    done = run(walked, sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "tests")
    assert done.returncode == 0, done.stdout + done.stderr
    assert "9 passed" in done.stdout
    check_generated_code(walked)
    for stage in ("dev", "prod"):
        declared = declarations(walked / "handlers", ["dental"], stage)
        assert declared["dental"].secrets == ("booking_api_key",)
        assert declared["dental"].config_model == "DentalConfig"


def test_a_bad_value_fails_the_synth_naming_the_file_and_the_field(
    project: Path, tmp_path: Path
) -> None:
    from infra.declarations import CustomerDeclarationError, declarations

    customers = tmp_path / "handlers" / "customers"
    shutil.copytree(project / "handlers" / "customers", customers)
    dev = customers / "dental" / "config" / "dev.toml"
    dev.write_text(
        dev.read_text("utf-8").replace('"America/Chicago"', '"America/Chicagoo"'), "utf-8"
    )
    with pytest.raises(CustomerDeclarationError) as failed:
        declarations(tmp_path / "handlers", ["dental"], "dev")
    assert "dental:" in str(failed.value)
    assert "dental/config/dev.toml: timezone: Value error, 'America/Chicagoo' is not" in str(
        failed.value
    )


def test_it_synthesizes_alone_without_the_examples(project: Path, tmp_path: Path) -> None:
    from tests.infra.conftest import synthesize, the_function

    templates_by_stack = synthesize(
        tmp_path / "cdk.out", project / "handlers", [{"stage": "dev"}], customers=["dental"]
    )
    assert set(templates_by_stack) == {"pivotkit-dev", "pivotkit-dev-dental"}
    function = the_function(templates_by_stack["pivotkit-dev-dental"])
    environment: Mapping[str, str] = function["Environment"]["Variables"]
    assert environment["PIVOTKIT_CUSTOMER"] == "dental"
    assert environment["PIVOTKIT_STAGE"] == "dev"
    assert "PIVOTKIT_SECRETS" not in environment  # the scaffold declares no secret


def _event_count(project: Path) -> int:
    events = project / "events" / "customers" / "dental"
    return len([p for p in events.rglob("*.json") if not p.name.endswith(".expected.json")])
