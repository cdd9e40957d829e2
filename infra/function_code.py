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

CUSTOMER_PACKAGES = ("customers", "examples")

# Git-ignore syntax, relative to the handlers/ root. Local tooling (CLI, embedded AWS) and
# anything a developer's machine leaves behind never ships.
RUNTIME_EXCLUDES: tuple[str, ...] = (
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
    all_customers: Sequence[str], included: Sequence[str] | None = None
) -> list[str]:
    """Exclusions for an asset holding ``included`` customers (``None``: all of them);
    ``all_customers`` are the packages on disk, the operator's and the examples."""
    keep = set(all_customers if included is None else included)
    others = [
        f"/{package}/{slug}/"
        for slug in all_customers
        if slug not in keep
        for package in CUSTOMER_PACKAGES
    ]
    return [*RUNTIME_EXCLUDES, *others]


def function_code(
    handlers_dir: Path, all_customers: Sequence[str], included: Sequence[str] | None = None
) -> aws_lambda.Code:
    return aws_lambda.Code.from_asset(
        str(handlers_dir),
        exclude=function_code_excludes(all_customers, included),
        ignore_mode=IgnoreMode.GIT,
    )
