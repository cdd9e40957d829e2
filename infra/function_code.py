"""The functions' code asset: only what runs in Lambda, from the ``handlers/`` tree.

Each customer's function gets the kit, the entry points and *its own* customer package, not
the other customers' flows: one customer's code can then neither be read nor broken by
another's. No function holds two customers' packages (tests/infra/test_isolation.py). That
holds for both homes of a customer package, the operator's ``customers/`` and the kit's
``examples/``: slugs are unique across the two, so every other slug is left out of both.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from aws_cdk import IgnoreMode, aws_lambda

from infra.settings import Stage

CUSTOMER_PACKAGES = ("customers", "examples")
# A customer's configuration directory (pivotkit.config.CONFIG_DIR): config/<stage>.toml.
CONFIG_DIR = "config"

# Git-ignore syntax, relative to the handlers/ root. Local tooling (CLI, embedded AWS) and
# anything a developer's machine leaves behind never ships, nor do local secret values.
RUNTIME_EXCLUDES: tuple[str, ...] = (
    "secrets.local.toml",
    "/pivotkit/local/",
    "/pivotkit/testing.py",
    "__pycache__/",
    "*.py[cod]",
    "tests/",
    "test_*.py",
    "*_test.py",
    "conftest.py",
    ".*",
    "*.egg-info/",
)


def function_code_excludes(
    all_customers: Sequence[str],
    included: Sequence[str] | None = None,
    stage: str | None = None,
) -> list[str]:
    """Exclusions for an asset holding ``included`` customers (``None``: all of them);
    ``all_customers`` are the packages on disk, the operator's and the examples. With
    ``stage``, the configuration files of every other stage stay out too (a dev function
    never holds prod's values)."""
    keep = set(all_customers if included is None else included)
    others = [
        f"/{package}/{slug}/"
        for slug in all_customers
        if slug not in keep
        for package in CUSTOMER_PACKAGES
    ]
    other_stages = [] if stage is None else [s.value for s in Stage if s.value != stage]
    configs = [f"/*/*/{CONFIG_DIR}/{other}.toml" for other in other_stages]
    return [*RUNTIME_EXCLUDES, *others, *configs]


def function_code(
    handlers_dir: Path,
    all_customers: Sequence[str],
    included: Sequence[str] | None = None,
    stage: str | None = None,
) -> aws_lambda.Code:
    return aws_lambda.Code.from_asset(
        str(handlers_dir),
        exclude=function_code_excludes(all_customers, included, stage),
        ignore_mode=IgnoreMode.GIT,
    )
