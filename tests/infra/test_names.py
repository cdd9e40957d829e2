"""Names derived from customer slugs: output keys and physical names stay unique and legal."""

from __future__ import annotations

from pathlib import Path

import pytest
from aws_cdk import App

from infra.dependency_layer import PipLayerBuilder
from infra.discovery import SLUG_PATTERN
from infra.platform import LAMBDA_PLATFORM
from infra.settings import DeploymentSettings, Stage
from infra.stack import PivotkitStack, output_name


@pytest.mark.parametrize(
    ("slug", "name"), [("acme", "Acme"), ("globex_west", "GlobexWest"), ("a1_b2", "A1B2")]
)
def test_output_names_are_camel_case(slug: str, name: str) -> None:
    assert output_name(slug) == name
    assert name.isalnum()


def test_slugs_whose_output_names_clash_are_refused(tmp_path: Path) -> None:
    builder = PipLayerBuilder(tmp_path / "requirements.txt", tmp_path, LAMBDA_PLATFORM, ["pip"])
    with pytest.raises(ValueError, match="clashing output names"):
        PivotkitStack(
            App(outdir=str(tmp_path / "out")),
            "Clash",
            settings=DeploymentSettings(),
            handlers_dir=tmp_path,
            customers=("ab", "ab_"),
            layer_builder=builder,
        )


def test_the_longest_slug_still_makes_legal_physical_names() -> None:
    longest = "a" * 48
    assert SLUG_PATTERN.match(longest)
    prefix = DeploymentSettings(stage=Stage.PROD).name_prefix
    assert len(f"{prefix}-{longest}") <= 64  # Lambda function names
    assert len(f"/aws/lambda/{prefix}-{longest}") <= 512  # log group names
