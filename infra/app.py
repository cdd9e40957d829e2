"""The CDK app: ``cdk synth`` runs ``python -m infra.app`` (see ``cdk.json``).

Synthesis needs no AWS credentials and no Docker: the stack is environment-agnostic and the
dependency layer is built with pip on this machine (PyPI is needed once; the result is
cached under ``.build/``). cdk-nag's AwsSolutions pack runs on every synth, so a finding
that has not been fixed or acknowledged with a reason fails the synth.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from aws_cdk import App, Validations
from cdk_nag import AwsSolutionsChecks

from infra.dependency_layer import PipLayerBuilder, find_pip
from infra.discovery import CustomerDiscoveryError, discover_customer_slugs, select_customers
from infra.platform import LAMBDA_PLATFORM
from infra.settings import DeploymentSettings, SettingsError
from infra.stack import PivotkitStack

PROJECT_ROOT = Path(__file__).resolve().parent.parent
CONTEXT_KEYS = (
    "stage",
    "domain",
    "certificate_arn",
    "hosted_zone_id",
    "hosted_zone_name",
    "provisioned",
    "reserved",
    "alarm_email",
    "throttle_rate",
    "throttle_burst",
    "media_expiry_days",
)


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


def add_stack(
    app: App,
    settings: DeploymentSettings,
    *,
    handlers_dir: Path,
    customers: tuple[str, ...],
    builder: PipLayerBuilder,
) -> PivotkitStack:
    prefix = settings.name_prefix
    return PivotkitStack(
        app,
        prefix,
        stack_name=prefix,
        settings=settings,
        handlers_dir=handlers_dir,
        customers=customers,
        layer_builder=builder,
    )


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
        # `-c customers=acme,switchboard` deploys only those (the kit's examples are many).
        customers = select_customers(discovered, app.node.try_get_context("customers"))
        settings = DeploymentSettings.from_context(context_values(app), customers)
    except (CustomerDiscoveryError, SettingsError) as error:
        # A mistyped -c value is the user's to fix: their message, not a traceback.
        raise SystemExit(f"pivotkit CDK app: {error}") from None
    add_stack(
        app,
        settings,
        handlers_dir=handlers_dir,
        customers=customers,
        builder=layer_builder(),
    )
    add_nag_checks(app)
    app.synth()


if __name__ == "__main__":
    main()
