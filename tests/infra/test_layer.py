"""The dependency layer: its pins agree with uv.lock, and pip builds it for Lambda, cached."""

from __future__ import annotations

import re
import sys
import tomllib
from pathlib import Path
from typing import Any

import pytest

from infra.dependency_layer import LayerBuildError, PipLayerBuilder, find_pip
from infra.platform import LAMBDA_PLATFORM

_PIN = re.compile(r"^([A-Za-z0-9_.-]+)==([^\s\\;]+)")
_HASH = re.compile(r"--hash=(sha256:[0-9a-f]{64})")


def normalise(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def parse_requirements(path: Path) -> dict[str, tuple[str, set[str]]]:
    """``{name: (version, hashes)}`` from a hashed requirements file."""
    pins: dict[str, tuple[str, set[str]]] = {}
    current: str | None = None
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.lstrip().startswith("#") or not line.strip():
            continue
        match = _PIN.match(line)
        if match:
            current = normalise(match.group(1))
            pins[current] = (match.group(2), set())
        assert current is not None, f"hash before any pin: {line!r}"
        pins[current][1].update(_HASH.findall(line))
    return pins


def runtime_closure(lock: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """The packages the project needs at run time (no dev group), from uv.lock."""
    packages = {normalise(p["name"]): p for p in lock["package"]}
    project = packages["pivotkit"]
    wanted = [normalise(d["name"]) for d in project.get("dependencies", [])]
    closure: dict[str, dict[str, Any]] = {}
    while wanted:
        name = wanted.pop()
        if name in closure:
            continue
        closure[name] = packages[name]
        wanted.extend(normalise(d["name"]) for d in packages[name].get("dependencies", []))
    return closure


def lock_hashes(package: dict[str, Any]) -> set[str]:
    artefacts = ([package["sdist"]] if "sdist" in package else []) + package.get("wheels", [])
    return {artefact["hash"] for artefact in artefacts}


def test_layer_requirements_are_exactly_the_locked_runtime_dependencies(
    project_root: Path,
) -> None:
    pins = parse_requirements(project_root / "layers" / "requirements.txt")
    lock = tomllib.loads((project_root / "uv.lock").read_text(encoding="utf-8"))
    closure = runtime_closure(lock)

    assert set(pins) == set(closure), "run `make layer-requirements` after changing uv.lock"
    for name, (version, hashes) in pins.items():
        assert version == closure[name]["version"], name
        assert hashes == lock_hashes(closure[name]), f"{name}: hashes differ from uv.lock"
    # What the functions import from the layer; boto3 comes with the Lambda runtime.
    assert {"pydantic", "pydantic-core", "aws-lambda-powertools"} <= set(pins)
    assert not {"boto3", "botocore"} & set(pins)


def test_pip_is_asked_for_lambda_wheels_only(tmp_path: Path) -> None:
    requirements = tmp_path / "requirements.txt"
    requirements.write_text("pydantic==2.0\n", encoding="utf-8")
    builder = PipLayerBuilder(requirements, tmp_path / "cache", LAMBDA_PLATFORM, ["pip"])

    arguments = builder.pip_arguments(tmp_path / "out" / "python")

    assert arguments[:2] == ["pip", "install"]
    for flag in (
        "--only-binary=:all:",
        "--platform=manylinux2014_aarch64",
        f"--python-version={LAMBDA_PLATFORM.python_version}",
        "--implementation=cp",
        f"--target={tmp_path / 'out' / 'python'}",
        f"--requirement={requirements}",
        "--no-deps",
        "--no-compile",
    ):
        assert flag in arguments
    assert LAMBDA_PLATFORM.runtime.name == f"python{LAMBDA_PLATFORM.python_version}"


FAKE_PIP = """
import pathlib, sys
args = dict(a.split("=", 1) for a in sys.argv[1:] if a.startswith("--") and "=" in a)
calls = pathlib.Path(sys.argv[1])
calls.write_text(calls.read_text() + "call\\n" if calls.exists() else "call\\n")
if "fail" in pathlib.Path(args["--requirement"]).read_text():
    print("ERROR: no matching distribution", file=sys.stderr)
    sys.exit(1)
target = pathlib.Path(args["--target"])
(target / "pkg").mkdir(parents=True)
(target / "pkg" / "__init__.py").write_text("")
(target / "pkg" / "__pycache__").mkdir()
(target / "pkg" / "__pycache__" / "x.pyc").write_text("")
(target / "bin").mkdir()
(target / "bin" / "script").write_text("")
"""


def fake_builder(tmp_path: Path, requirements_text: str) -> tuple[PipLayerBuilder, Path]:
    script = tmp_path / "fake_pip.py"
    script.write_text(FAKE_PIP, encoding="utf-8")
    calls = tmp_path / "calls.txt"
    requirements = tmp_path / "requirements.txt"
    requirements.write_text(requirements_text, encoding="utf-8")
    builder = PipLayerBuilder(
        requirements, tmp_path / "cache", LAMBDA_PLATFORM, [sys.executable, str(script), str(calls)]
    )
    return builder, calls


def test_a_build_is_cached_by_requirements_and_pruned(tmp_path: Path) -> None:
    builder, calls = fake_builder(tmp_path, "pkg==1\n")

    first = builder.build()
    second = builder.build()

    assert first == second == tmp_path / "cache" / builder.key
    assert calls.read_text().count("call") == 1
    assert (first / "python" / "pkg" / "__init__.py").is_file()
    assert not (first / "python" / "bin").exists()
    assert not (first / "python" / "pkg" / "__pycache__").exists()
    assert sorted(p.name for p in (tmp_path / "cache").iterdir()) == [builder.key]

    builder.requirements.write_text("pkg==2\n", encoding="utf-8")
    assert builder.build() != first
    assert calls.read_text().count("call") == 2


def test_a_failed_build_says_why_and_leaves_no_cache_entry(tmp_path: Path) -> None:
    builder, _ = fake_builder(tmp_path, "fail==1\n")

    with pytest.raises(LayerBuildError, match="no matching distribution"):
        builder.build()

    assert list((tmp_path / "cache").iterdir()) == []


def test_pip_can_be_chosen_explicitly(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, project_root: Path
) -> None:
    monkeypatch.setenv("PIVOTKIT_PIP", "/opt/pip3 --isolated")
    assert find_pip(project_root) == ["/opt/pip3", "--isolated"]
    monkeypatch.delenv("PIVOTKIT_PIP")
    assert find_pip(project_root)  # this interpreter's pip, the tool venv's, or one on PATH
