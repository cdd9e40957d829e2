"""One CDK synthesis for the whole infra test session.

jsii runs CDK in a Node process; a synth costs seconds on two cores, so every test reads the
same cloud assembly: for ``dev`` and ``prod``, the platform stack and one stack per
customer, synthesized from a fake ``handlers/`` tree with two customers (the real customers
come and go; these tests prove discovery and isolation on a tree they control; its one
example, ``demo``, is not synthesized, as by default, and ships in no function). The
dependency layer is the real one, built by pip into the project's ``.build/`` cache (PyPI is
needed the first time only).
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

# Must be set before jsii starts its Node process (at the first aws_cdk import).
os.environ.setdefault("JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION", "20")

import pytest
from aws_cdk import App
from aws_cdk.assertions import Template

from infra.app import (
    PROJECT_ROOT,
    add_nag_checks,
    add_stacks,
    layer_builder,
    project_context,
)
from infra.discovery import discover_customer_slugs
from infra.settings import DeploymentSettings

CUSTOMERS = ("acme", "globex_west")
PROD_CONTEXT: dict[str, object] = {"stage": "prod", "alarm_email": "oncall@example.com"}
DEV_CONTEXT: dict[str, object] = {"stage": "dev", "provisioned": "acme:2", "reserved": "acme:5"}


# What the issue saw a customer's hook try from the shared media function. It is never run
# here: tests/infra/test_isolation.py judges each attempt against acme's synthesized role.
HOSTILE_HOOK = """\
import boto3


def on_media_stored(stored):
    boto3.client("secretsmanager").get_secret_value(SecretId="pivotkit-dev/globex_west/credentials")
    boto3.client("s3").list_objects_v2(Bucket=stored.bucket, Prefix="globex_west/")
"""


# The customers are real declarations (the synth reads their secrets and validates their
# configuration in a subprocess, pivotkit.local.declarations): acme declares neither,
# globex_west a configuration model and one secret.
ACME = """\
from pivotkit import Customer, Flow

customer = Customer(slug="acme", flow=Flow())
"""
GLOBEX_WEST = """\
from pivotkit import Customer, Flow

from .settings import GlobexSettings

customer = Customer(
    slug="globex_west", flow=Flow(), config_model=GlobexSettings, secrets=("crm_api_key",)
)
"""
GLOBEX_WEST_SETTINGS = """\
from pydantic import BaseModel, ConfigDict, HttpUrl


class GlobexSettings(BaseModel):
    model_config = ConfigDict(extra="forbid")
    crm_url: HttpUrl
"""
LOCAL_SECRET_VALUE = "globex-local-crm-key-never-shipped"


def make_handlers_tree(root: Path) -> Path:
    """A ``handlers/`` tree shaped like the real one, with things that must not ship."""
    files = {
        "pivotkit/__init__.py": "",
        "pivotkit/app.py": "# the kit\n",
        "pivotkit/aws/__init__.py": "",
        "pivotkit/local/__init__.py": "",
        "pivotkit/local/cli.py": "# local tooling, never shipped\n",
        "pivotkit/testing.py": "# the test harness, never shipped\n",
        "pivotkit/__pycache__/app.cpython-311.pyc": "compiled",
        "functions/__init__.py": "",
        "functions/pivot.py": "handler = None\n",
        "functions/media.py": "handler = None\n",
        "functions/customer.py": "handler = None\n",
        "customers/__init__.py": "",
        "customers/shared_prompts.py": "# a module shared by customers, not a customer\n",
        "customers/acme/__init__.py": ACME,
        "customers/acme/menu.py": "# acme's flows\n",
        "customers/acme/hooks.py": HOSTILE_HOOK,
        "customers/acme/tests/test_menu.py": "# a customer's own tests\n",
        "customers/globex_west/__init__.py": GLOBEX_WEST,
        "customers/globex_west/settings.py": GLOBEX_WEST_SETTINGS,
        "customers/globex_west/config/dev.toml": 'crm_url = "https://crm.dev.example"\n',
        "customers/globex_west/config/prod.toml": 'crm_url = "https://crm.example"\n',
        # A developer's local secret value: it must ship nowhere.
        "customers/globex_west/secrets.local.toml": f'crm_api_key = "{LOCAL_SECRET_VALUE}"\n',
        "customers/_template/__init__.py": "# starts with _: not a customer\n",
        "customers/draft/notes.txt": "no __init__.py: not a customer\n",
        "examples/__init__.py": "",
        "examples/demo/__init__.py": "customer = None\n",
        "conftest.py": "# test configuration\n",
    }
    handlers = root / "handlers"
    for relative, text in files.items():
        path = handlers / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return handlers


def synthesize(
    outdir: Path,
    handlers: Path,
    contexts: Sequence[Mapping[str, object]],
    customers: Sequence[str] | None = None,
) -> dict[str, dict[str, Any]]:
    """Synthesize one app (the platform and every customer, per context) into ``outdir``
    and return its templates by stack name. By default the operator's customers are the
    ones synthesized, as ``cdk synth`` does; the examples only when ``customers`` names them."""
    discovered = discover_customer_slugs(handlers / "customers")
    examples = discover_customer_slugs(handlers / "examples")
    selected = tuple(customers) if customers is not None else discovered
    app = App(outdir=str(outdir), context=project_context())
    builder = layer_builder()
    for context in contexts:
        settings = DeploymentSettings.from_context(context, selected)
        add_stacks(
            app,
            settings,
            handlers_dir=handlers,
            customers=selected,
            builder=builder,
            all_customers=tuple(sorted(discovered + examples)),
        )
    add_nag_checks(app)
    assembly = Path(app.synth().directory)
    return {
        path.name.removesuffix(".template.json"): json.loads(path.read_text("utf-8"))
        for path in assembly.glob("*.template.json")
    }


@dataclass(frozen=True)
class Synthesized:
    outdir: Path
    handlers_dir: Path
    customers: tuple[str, ...]
    templates: dict[str, dict[str, Any]]

    @staticmethod
    def platform_name(stage: str) -> str:
        return f"pivotkit-{stage}"

    @staticmethod
    def customer_name(stage: str, slug: str) -> str:
        return f"pivotkit-{stage}-{slug.replace('_', '-')}"

    def platform(self, stage: str) -> dict[str, Any]:
        return self.templates[self.platform_name(stage)]

    def customer(self, stage: str, slug: str) -> dict[str, Any]:
        return self.templates[self.customer_name(stage, slug)]

    def template(self, stack: str) -> Template:
        return Template.from_json(self.templates[stack])

    def resources(self, stack: str, resource_type: str) -> dict[str, dict[str, Any]]:
        return resources_of(self.templates[stack], resource_type)


def resources_of(template: Mapping[str, Any], resource_type: str) -> dict[str, dict[str, Any]]:
    return {
        logical_id: resource
        for logical_id, resource in template["Resources"].items()
        if resource["Type"] == resource_type
    }


def the_function(template: Mapping[str, Any]) -> dict[str, Any]:
    """The properties of a customer stack's one Lambda function."""
    (function,) = resources_of(template, "AWS::Lambda::Function").values()
    properties: dict[str, Any] = function["Properties"]
    return properties


@pytest.fixture(scope="session")
def synthesized(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Synthesized]:
    root = tmp_path_factory.mktemp("infra")
    handlers = make_handlers_tree(root)
    customers = discover_customer_slugs(handlers / "customers")
    assert customers == CUSTOMERS
    outdir = root / "cdk.out"
    templates = synthesize(outdir, handlers, (DEV_CONTEXT, PROD_CONTEXT))
    yield Synthesized(outdir, handlers, customers, templates)


@pytest.fixture(scope="session")
def project_root() -> Path:
    return PROJECT_ROOT
