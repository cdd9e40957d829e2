"""The CDK app: ``cdk synth`` runs ``python -m infra.app`` (see ``cdk.json``).

One platform stack ``pivotkit-<stage>`` and one stack per customer ``pivotkit-<stage>-<slug>``
(docs/deploy.md). Synthesis needs no AWS credentials and no Docker: the stacks are
environment-agnostic and the dependency layer is built with pip on this machine (PyPI is
needed once; the result is cached under ``.build/``). cdk-nag's AwsSolutions pack runs on
every synth, so a finding that has not been fixed or acknowledged with a reason fails it.

Customers: every package in ``handlers/customers/`` (the operator's), or those of
``-c customers=acme,globex``; the kit's examples in ``handlers/examples/`` only with
``-c examples=acme,hours`` or ``-c examples=all`` (the platform template is the same either
way); ``-c generated_customers=N`` adds N synthetic customers
``synthetic_0001``... whose functions hold the kit but no customer package: they exist to
measure synthesis at scale (``make synth-scale``, ``make bench``) and are not for deploying.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from aws_cdk import App, Validations
from cdk_nag import AwsSolutionsChecks

from infra.customer_stack import CustomerStack
from infra.declarations import CustomerDeclarationError, declarations
from infra.dependency_layer import PipLayerBuilder, find_pip
from infra.discovery import (
    CustomerDiscoveryError,
    check_apart,
    discover_customer_slugs,
    select_customers,
    select_examples,
)
from infra.names import NameCollision, check_unique, customer_stack_name, platform_stack_name
from infra.platform import LAMBDA_PLATFORM
from infra.platform_stack import PlatformStack
from infra.settings import DeploymentSettings, SettingsError

PROJECT_ROOT = Path(__file__).resolve().parent.parent
CONTEXT_KEYS = (
    "stage",
    "domain",
    "certificate_arn",
    "hosted_zone_id",
    "hosted_zone_name",
    "provisioned",
    "reserved",
    "reserved_default",
    "alarm_email",
    "throttle_rate",
    "throttle_burst",
    "media_expiry_days",
)
GENERATED_PREFIX = "synthetic_"
MAX_GENERATED = 9999


def layer_builder(project_root: Path = PROJECT_ROOT) -> PipLayerBuilder:
    return PipLayerBuilder(
        requirements=project_root / "layers" / "requirements.txt",
        cache_dir=project_root / ".build" / "layer",
        platform=LAMBDA_PLATFORM,
        pip_command=find_pip(project_root),
    )


def project_context(project_root: Path = PROJECT_ROOT) -> dict[str, Any]:
    """The ``context`` of ``cdk.json`` (feature flags), for apps not started by the CLI."""
    cdk_json = json.loads((project_root / "cdk.json").read_text(encoding="utf-8"))
    context = cdk_json.get("context", {})
    assert isinstance(context, dict)
    return context


def generated_customers(count: object) -> tuple[str, ...]:
    """``synthetic_0001`` ... for ``-c generated_customers=N``."""
    if count is None or count == "":
        return ()
    text = str(count).strip()
    if not text.isdigit() or not 0 < int(text) <= MAX_GENERATED:
        raise CustomerDiscoveryError(
            f"context generated_customers must be 1 to {MAX_GENERATED}, got {count!r}"
        )
    return tuple(f"{GENERATED_PREFIX}{n:04d}" for n in range(1, int(text) + 1))


def customers_to_synthesize(
    discovered: tuple[str, ...],
    wanted: object,
    generated: object,
    *,
    examples: tuple[str, ...] = (),
    wanted_examples: object = None,
) -> tuple[str, ...]:
    """The operator's customers (``discovered``; ``-c customers=a,b`` selects some), the
    kit's ``examples`` asked for with ``-c examples=`` (none by default), then
    ``-c generated_customers=N`` synthetic ones, which must not shadow a package."""
    check_apart(discovered, examples)
    selected = select_customers(discovered, wanted, examples)
    selected_examples = select_examples(examples, wanted_examples)
    synthetic = generated_customers(generated)
    clash = sorted(set(synthetic) & {*discovered, *examples})
    if clash:
        raise CustomerDiscoveryError(
            f"generated customers would shadow the packages {', '.join(clash)}; rename them"
        )
    return tuple(sorted(selected + selected_examples)) + synthetic


@dataclass(frozen=True)
class Stacks:
    platform: PlatformStack
    customers: Mapping[str, CustomerStack]


def add_stacks(
    app: App,
    settings: DeploymentSettings,
    *,
    handlers_dir: Path,
    customers: Sequence[str],
    builder: PipLayerBuilder,
    all_customers: Sequence[str] | None = None,
) -> Stacks:
    """The platform stack and one stack per customer in ``customers``. ``all_customers``
    (default: ``customers``) are the packages on disk, which each function's asset leaves
    out except its own."""
    check_unique(settings, customers)
    # Each customer's secrets and validated configuration, from its own code (one subprocess).
    declared = declarations(handlers_dir, customers, settings.stage.value)
    platform_name = platform_stack_name(settings)
    platform = PlatformStack(
        app, platform_name, stack_name=platform_name, settings=settings, layer_builder=builder
    )
    on_disk = tuple(all_customers if all_customers is not None else customers)
    stacks: dict[str, CustomerStack] = {}
    for slug in customers:
        name = customer_stack_name(settings, slug)
        stacks[slug] = CustomerStack(
            app,
            name,
            stack_name=name,
            slug=slug,
            settings=settings,
            handlers_dir=handlers_dir,
            all_customers=on_disk,
            declaration=declared[slug],
        )
        # Deploy order only (`cdk deploy --all`): the platform's SSM parameters must exist
        # before a customer stack resolves them. No reference links the two templates.
        stacks[slug].add_stack_dependency(platform, "reads the platform's SSM parameters")
    return Stacks(platform, stacks)


def add_nag_checks(app: App) -> None:
    """AwsSolutions on every stack; acknowledgements are copied into the templates'
    Metadata (``cdk_nag.rules_to_suppress``) so reviewers see each one with its reason."""
    Validations.of(app).add_plugins(
        AwsSolutionsChecks(app, write_suppressions_to_cloud_formation=True)
    )


def context_values(app: App) -> Mapping[str, object]:
    return {key: app.node.try_get_context(key) for key in CONTEXT_KEYS}


def main() -> None:
    app = App()
    handlers_dir = PROJECT_ROOT / "handlers"
    try:
        discovered = discover_customer_slugs(handlers_dir / "customers")
        examples = discover_customer_slugs(handlers_dir / "examples")
        customers = customers_to_synthesize(
            discovered,
            app.node.try_get_context("customers"),
            app.node.try_get_context("generated_customers"),
            examples=examples,
            wanted_examples=app.node.try_get_context("examples"),
        )
        settings = DeploymentSettings.from_context(context_values(app), customers)
        add_stacks(
            app,
            settings,
            handlers_dir=handlers_dir,
            customers=customers,
            builder=layer_builder(),
            all_customers=tuple(sorted(discovered + examples)),
        )
    except (
        CustomerDiscoveryError,
        SettingsError,
        NameCollision,
        CustomerDeclarationError,
    ) as error:
        # A mistyped -c value or two colliding names are the user's to fix: the message,
        # not a traceback.
        raise SystemExit(f"pivotkit CDK app: {error}") from None
    add_nag_checks(app)
    app.synth()


if __name__ == "__main__":
    main()
