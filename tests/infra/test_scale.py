"""A customer is one stack: adding, changing or removing one touches nothing else.

Synthesized before and after adding a customer package to the tree: the platform template
and every other customer's template are byte for byte the same, and the new customer is a
new stack. Read the other way round, removing a customer removes its stack and only that.
Also: the platform does not grow with customers (generated ones), and bad customer names
fail the synth with the list of known customers, or with both clashing names.
"""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pytest

from infra.app import customers_to_synthesize, generated_customers
from infra.discovery import CustomerDiscoveryError, select_customers
from infra.names import NameCollision
from tests.infra.conftest import ACME, DEV_CONTEXT, Synthesized, synthesize

pytestmark = pytest.mark.slow
ADDED = "initech"


@pytest.fixture(scope="module")
def with_one_more(
    synthesized: Synthesized, tmp_path_factory: pytest.TempPathFactory
) -> dict[str, dict[str, Any]]:
    """The session's tree plus the package ``initech``, synthesized for dev (and two
    generated customers, to show the platform does not notice them either)."""
    root = tmp_path_factory.mktemp("scale")
    handlers = root / "handlers"
    shutil.copytree(synthesized.handlers_dir, handlers)
    package = handlers / "customers" / ADDED
    package.mkdir()
    (package / "__init__.py").write_text(ACME.replace('"acme"', f'"{ADDED}"'), encoding="utf-8")
    customers = (*synthesized.customers, ADDED, *generated_customers(2))
    return synthesize(root / "cdk.out", handlers, (DEV_CONTEXT,), customers)


def test_adding_a_customer_changes_no_other_template(
    synthesized: Synthesized,
    with_one_more: dict[str, dict],  # type: ignore[type-arg]
) -> None:
    before = {
        name: t for name, t in synthesized.templates.items() if name.startswith("pivotkit-dev")
    }
    after = with_one_more
    added = {"pivotkit-dev-initech", "pivotkit-dev-synthetic-0001", "pivotkit-dev-synthetic-0002"}
    assert set(after) - set(before) == added
    for name, template in before.items():
        assert after[name] == template, f"{name} changed when a customer was added"
    # Like acme, it declares no secrets: the same resources (globex_west has one more).
    assert len(after["pivotkit-dev-initech"]["Resources"]) == len(
        after["pivotkit-dev-acme"]["Resources"]
    )


def test_removing_a_customer_removes_its_stack_only(
    synthesized: Synthesized,
    with_one_more: dict[str, dict],  # type: ignore[type-arg]
) -> None:
    """The session synth is the tree after ``initech`` left: its stack is gone and every
    remaining template is as it was. What it stored follows the stage's policy (dev: its
    secret and logs are deleted with the stack; prod: retained; its items and objects live
    in the platform's table and bucket and expire by TTL and lifecycle)."""
    remaining = {n for n in with_one_more if "initech" not in n and "synthetic" not in n}
    assert {n for n in synthesized.templates if n.startswith("pivotkit-dev")} == remaining
    assert all(synthesized.templates[n] == with_one_more[n] for n in remaining)


def test_the_platform_template_names_no_customer(synthesized: Synthesized) -> None:
    for stage in ("dev", "prod"):
        text = str(synthesized.platform(stage))
        assert all(slug not in text for slug in synthesized.customers)


def test_an_unknown_customer_fails_with_the_known_ones() -> None:
    with pytest.raises(CustomerDiscoveryError, match=r"initech.*\(found: acme, globex_west\)"):
        select_customers(("acme", "globex_west"), "acme,initech")


def test_two_clashing_customers_fail_the_synth_naming_both(tmp_path: Path) -> None:
    from aws_cdk import App

    from infra.app import add_stacks, layer_builder
    from infra.settings import DeploymentSettings

    with pytest.raises(NameCollision, match="'acme_west' and 'acme__west'"):
        add_stacks(
            App(outdir=str(tmp_path)),
            DeploymentSettings(),
            handlers_dir=tmp_path,
            customers=("acme_west", "acme__west"),
            builder=layer_builder(),
        )


def test_generated_customers_are_numbered_and_bounded() -> None:
    assert generated_customers("3") == ("synthetic_0001", "synthetic_0002", "synthetic_0003")
    assert generated_customers(None) == ()
    with pytest.raises(CustomerDiscoveryError, match="1 to 9999"):
        generated_customers("0")


def test_generated_customers_come_after_the_selected_ones_and_never_shadow_one() -> None:
    found = ("acme", "globex_west")
    assert customers_to_synthesize(found, "acme", "2") == (
        "acme",
        "synthetic_0001",
        "synthetic_0002",
    )
    with pytest.raises(CustomerDiscoveryError, match="shadow the packages synthetic_0001"):
        customers_to_synthesize((*found, "synthetic_0001"), None, "1")
