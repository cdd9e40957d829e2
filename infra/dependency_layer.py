"""The dependency layer (pydantic, Powertools), built with pip and without Docker.

CDK's usual Python bundling runs pip inside a Docker image of the Lambda runtime. Here pip
runs on the build machine instead and is told which platform to fetch wheels for
(``--platform manylinux2014_aarch64 --python-version 3.13 --implementation cp
--only-binary=:all:``): every dependency ships binary wheels, so nothing is compiled and the
result is what the Lambda runtime would have installed. ``--no-deps`` plus the hashed,
complete pin list in ``layers/requirements.txt`` makes the layer exactly the lock file.

A build is cached under ``.build/layer/<key>``, keyed by the requirements and the platform,
so a repeated synth copies a directory instead of downloading wheels again.
"""

from __future__ import annotations

import hashlib
import importlib.util
import os
import shlex
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Sequence
from pathlib import Path

import jsii
from aws_cdk import AssetHashType, BundlingOptions, DockerImage, ILocalBundling, aws_lambda
from constructs import Construct

from infra.platform import LambdaPlatform

# Bump when the build recipe changes in a way the key below would not notice.
LAYER_RECIPE_VERSION = "1"
# Layers are unpacked under /opt; Python functions find packages in /opt/python.
LAYER_PYTHON_DIR = "python"
# pip puts console scripts in <target>/bin; Lambda never runs them.
_SCRIPTS_DIR = "bin"


class LayerBuildError(RuntimeError):
    """pip could not build the layer (no network, no wheel for the platform, bad hash)."""


def find_pip(project_root: Path) -> list[str]:
    """A pip to run: ``$PIVOTKIT_PIP``, this interpreter's pip, or the Makefile's tool venv.

    uv-made virtual environments (``.venv``) carry no pip, so the CDK app, which runs in
    ``.venv``, falls back to ``.tools/`` that ``make setup`` creates with pip in it.
    """
    override = os.environ.get("PIVOTKIT_PIP")
    if override:
        return shlex.split(override)
    if importlib.util.find_spec("pip") is not None:
        return [sys.executable, "-m", "pip"]
    tools_python = project_root / ".tools" / "bin" / "python"
    if tools_python.is_file():
        return [str(tools_python), "-m", "pip"]
    for name in ("pip3", "pip"):
        found = shutil.which(name)
        if found:
            return [found]
    raise LayerBuildError("no pip found: run `make setup` or set PIVOTKIT_PIP")


class PipLayerBuilder:
    """Builds (or reuses) ``<cache>/<key>/python`` from a requirements file."""

    def __init__(
        self,
        requirements: Path,
        cache_dir: Path,
        platform: LambdaPlatform,
        pip_command: Sequence[str],
    ) -> None:
        self.requirements = requirements
        self.cache_dir = cache_dir
        self.platform = platform
        self.pip_command = list(pip_command)

    @property
    def key(self) -> str:
        digest = hashlib.sha256()
        for part in (
            LAYER_RECIPE_VERSION,
            self.platform.python_version,
            self.platform.pip_platform,
            self.platform.pip_implementation,
        ):
            digest.update(part.encode() + b"\0")
        digest.update(self.requirements.read_bytes())
        return digest.hexdigest()[:32]

    def pip_arguments(self, target: Path) -> list[str]:
        return [
            *self.pip_command,
            "install",
            "--quiet",
            "--disable-pip-version-check",
            "--no-input",
            "--no-compile",
            "--no-deps",
            "--only-binary=:all:",
            f"--platform={self.platform.pip_platform}",
            f"--python-version={self.platform.python_version}",
            f"--implementation={self.platform.pip_implementation}",
            f"--target={target}",
            f"--requirement={self.requirements}",
        ]

    def build(self) -> Path:
        """The directory holding ``python/``, built now unless the cache already has it."""
        final = self.cache_dir / self.key
        if final.is_dir():
            return final
        self.cache_dir.mkdir(parents=True, exist_ok=True)
        # Build beside the final place and rename: a half-built layer is never reused, and
        # two synths building at once both end up with one complete directory.
        staging = Path(tempfile.mkdtemp(prefix=f"{self.key}.", dir=self.cache_dir))
        try:
            self._install(staging / LAYER_PYTHON_DIR)
            try:
                staging.rename(final)
            except OSError:
                if not final.is_dir():
                    raise
        finally:
            shutil.rmtree(staging, ignore_errors=True)
        return final

    def _install(self, target: Path) -> None:
        command = self.pip_arguments(target)
        result = subprocess.run(command, capture_output=True, text=True, check=False)  # noqa: S603
        if result.returncode != 0:
            raise LayerBuildError(
                f"building the dependency layer failed ({shlex.join(command)}):\n"
                f"{result.stdout}{result.stderr}"
            )
        shutil.rmtree(target / _SCRIPTS_DIR, ignore_errors=True)
        # --no-compile should leave none; bytecode from the build machine's Python would be
        # useless to the runtime's anyway.
        for cache in [p for p in target.rglob("__pycache__") if p.is_dir()]:
            shutil.rmtree(cache)


@jsii.implements(ILocalBundling)
class LocalPipBundling:
    """CDK's hook for bundling without Docker: copy the (cached) pip build into the asset."""

    def __init__(self, builder: PipLayerBuilder) -> None:
        self._builder = builder

    # jsii passes the bundling options as one positional struct; they only matter to Docker.
    def try_bundle(self, output_dir: str, options: BundlingOptions) -> bool:
        built = self._builder.build()
        shutil.copytree(built, output_dir, dirs_exist_ok=True, symlinks=True)
        return True


class DependencyLayer(Construct):
    """A Lambda layer with the functions' third-party packages, for ``LAMBDA_PLATFORM``."""

    def __init__(self, scope: Construct, construct_id: str, *, builder: PipLayerBuilder) -> None:
        super().__init__(scope, construct_id)
        platform = builder.platform
        code = aws_lambda.Code.from_asset(
            str(builder.requirements.parent),
            # The build is a function of the key alone; hashing the key (not the output)
            # lets CDK skip bundling when cdk.out already holds this layer.
            asset_hash_type=AssetHashType.CUSTOM,
            asset_hash=builder.key,
            bundling=BundlingOptions(
                # Never used: local bundling always succeeds or raises. CDK requires an image.
                image=DockerImage.from_registry("unused-local-bundling-only"),
                # jsii's protocol spells the options as keywords; at run time they arrive as
                # one struct (see LocalPipBundling.try_bundle).
                local=LocalPipBundling(builder),  # type: ignore[arg-type]
            ),
        )
        self.layer = aws_lambda.LayerVersion(
            self,
            "Layer",
            code=code,
            compatible_runtimes=[platform.runtime],
            compatible_architectures=[platform.architecture],
            description=f"pivotkit dependencies ({builder.requirements.name}, key {builder.key})",
        )
