"""What ships to Lambda: runtime code only, one customer per function, a Linux/arm64 layer
for the right Python (in the platform stack only), all within the size targets."""

from __future__ import annotations

from pathlib import Path

import pytest
from aws_cdk import App, Stack

from infra.asset_sizes import (
    FUNCTION_ZIPPED_TARGET,
    LAYER_UNZIPPED_TARGET,
    lambda_assets,
    measure_assets,
    zipped_size,
)
from infra.discovery import discover_customer_slugs
from infra.function_code import function_code
from infra.platform import LAMBDA_PLATFORM
from tests.infra.conftest import LOCAL_SECRET_VALUE, Synthesized, make_handlers_tree

pytestmark = pytest.mark.slow

# The ELF header's e_machine for AArch64 (Lambda arm64).
ELF_MACHINE_AARCH64 = 183


def files_in(directory: Path) -> set[str]:
    return {p.relative_to(directory).as_posix() for p in directory.rglob("*") if p.is_file()}


def function_assets(synthesized: Synthesized, stage: str) -> dict[str, set[str]]:
    return {
        name: files_in(path)
        for asset_stage, kind, name, path in lambda_assets(synthesized.outdir)
        if asset_stage.startswith(f"pivotkit-{stage}-") and kind == "function"
    }


def assert_runtime_only(files: set[str]) -> None:
    assert {"pivotkit/__init__.py", "pivotkit/app.py", "functions/customer.py"} <= files
    assert {"functions/media.py", "customers/__init__.py", "customers/shared_prompts.py"} <= files
    assert "examples/__init__.py" in files
    assert not [f for f in files if f.startswith("examples/demo/")]  # an example not asked for
    assert not [f for f in files if f.startswith("pivotkit/local/")]
    assert "pivotkit/testing.py" not in files
    assert not [f for f in files if "__pycache__" in f or f.endswith(".pyc")]
    assert not [f for f in files if "/tests/" in f or f.endswith("conftest.py")]


@pytest.mark.parametrize("stage", ["dev", "prod"])
def test_each_customer_function_ships_its_own_customer_only(
    synthesized: Synthesized, stage: str
) -> None:
    assets = function_assets(synthesized, stage)
    assert set(assets) == {f"pivotkit-{stage}-{s}" for s in synthesized.customers}
    for slug in synthesized.customers:
        files = assets[f"pivotkit-{stage}-{slug}"]
        assert_runtime_only(files)
        assert f"customers/{slug}/__init__.py" in files
        others = [o for o in synthesized.customers if o != slug]
        assert not [f for f in files for o in others if f.startswith(f"customers/{o}/")]
    assert "customers/acme/menu.py" in assets[f"pivotkit-{stage}-acme"]


@pytest.mark.parametrize("stage", ["dev", "prod"])
def test_a_function_ships_its_stages_configuration_and_no_local_secret(
    synthesized: Synthesized, stage: str
) -> None:
    """The configuration the function reads (config/<stage>.toml, validated at this synth)
    ships; the other stage's values and a developer's secrets.local.toml never do."""
    other = {"dev": "prod", "prod": "dev"}[stage]
    files = function_assets(synthesized, stage)[f"pivotkit-{stage}-globex_west"]
    assert f"customers/globex_west/config/{stage}.toml" in files
    assert f"customers/globex_west/config/{other}.toml" not in files
    assert "customers/globex_west/settings.py" in files
    for asset in function_assets(synthesized, stage).values():
        assert not [f for f in asset if f.endswith("secrets.local.toml")]
    for _, kind, _, path in lambda_assets(synthesized.outdir):
        if kind == "function":
            assert all(
                LOCAL_SECRET_VALUE not in f.read_text(errors="replace")
                for f in path.rglob("*")
                if f.is_file() and f.suffix in (".toml", ".py", ".json")
            )


def test_layer_holds_linux_arm64_wheels_for_the_runtime(synthesized: Synthesized) -> None:
    layers = [path for _, kind, _, path in lambda_assets(synthesized.outdir) if kind == "layer"]
    assert len({p.name for p in layers}) == 1, "dev and prod share one layer build"
    stacks = {stack for stack, kind, _, _ in lambda_assets(synthesized.outdir) if kind == "layer"}
    assert stacks == {"pivotkit-dev", "pivotkit-prod"}, "the layer is the platform's alone"
    python = layers[0] / "python"
    for package in ("pydantic", "pydantic_core", "aws_lambda_powertools", "typing_extensions.py"):
        assert (python / package).exists(), package
    for absent in ("boto3", "botocore", "bin"):
        assert not (python / absent).exists(), absent
    assert not list(python.rglob("__pycache__"))
    version = LAMBDA_PLATFORM.python_version.replace(".", "")
    (binary,) = (python / "pydantic_core").glob("_pydantic_core.*.so")
    assert binary.name == f"_pydantic_core.cpython-{version}-aarch64-linux-gnu.so"
    header = binary.read_bytes()[:20]
    assert header[:4] == b"\x7fELF"
    assert int.from_bytes(header[18:20], "little") == ELF_MACHINE_AARCH64


def test_asset_sizes_are_within_targets(synthesized: Synthesized) -> None:
    sizes = measure_assets(synthesized.outdir)
    assert {size.kind for size in sizes} == {"function", "layer"}
    for size in sizes:
        assert size.within_target, size
    layer = next(size for size in sizes if size.kind == "layer")
    assert layer.unzipped_bytes < LAYER_UNZIPPED_TARGET
    assert layer.zipped_bytes < layer.unzipped_bytes


def staged_files(handlers: Path, on_disk: list[str], slug: str, outdir: Path) -> set[str]:
    """The files of ``slug``'s function asset, staged exactly as its stack stages it."""
    app = App(outdir=str(outdir))
    function_code(handlers, on_disk, included=[slug]).bind(Stack(app, "Measure"))
    app.synth()
    (staged,) = [p for p in outdir.iterdir() if p.name.startswith("asset.")]
    return files_in(staged)


def test_the_real_handlers_code_is_runtime_only_and_small(
    project_root: Path, tmp_path: Path
) -> None:
    """The project's own handlers/ tree, staged exactly as a deploy stages it: the largest
    example's function holds that example alone, no other example, no operator customer."""
    handlers = project_root / "handlers"
    operators = list(discover_customer_slugs(handlers / "customers"))
    examples = list(discover_customer_slugs(handlers / "examples"))
    largest = max(
        examples,
        key=lambda s: sum(f.stat().st_size for f in (handlers / "examples" / s).rglob("*")),
    )
    files = staged_files(handlers, sorted(operators + examples), largest, tmp_path)
    assert "functions/customer.py" in files
    assert not [f for f in files if f.startswith("pivotkit/local/")]
    assert "pivotkit/testing.py" not in files  # the test harness builds on pivotkit.local
    assert not [f for f in files if "__pycache__" in f or f.endswith(".pyc")]
    assert f"examples/{largest}/__init__.py" in files
    assert not [
        f for f in files for o in examples if o != largest and f.startswith(f"examples/{o}/")
    ]
    assert not [f for f in files for o in operators if f.startswith(f"customers/{o}/")]
    staged = next(p for p in tmp_path.iterdir() if p.name.startswith("asset."))
    _, _, zipped = zipped_size(staged)
    assert zipped < FUNCTION_ZIPPED_TARGET, f"function code is {zipped / 1024:.0f} KB zipped"


def test_an_operators_function_holds_no_example(tmp_path: Path) -> None:
    """Both homes of customer packages, seen from an operator's customer: its asset has its
    package and the examples' ``__init__`` only."""
    handlers = make_handlers_tree(tmp_path)
    on_disk = sorted(
        discover_customer_slugs(handlers / "customers")
        + discover_customer_slugs(handlers / "examples")
    )
    files = staged_files(handlers, on_disk, "globex_west", tmp_path / "out")
    assert "customers/globex_west/__init__.py" in files
    assert "examples/__init__.py" in files
    assert not [f for f in files if f.startswith(("examples/demo/", "customers/acme/"))]
    example = staged_files(handlers, on_disk, "demo", tmp_path / "out_demo")
    assert "examples/demo/__init__.py" in example
    assert not [f for f in example if f.startswith(("customers/acme/", "customers/globex_west/"))]
