"""One CDK synthesis for the whole infra test session.

jsii runs CDK in a Node process; a synth costs seconds on two cores, so every test reads the
same cloud assembly: a ``dev`` and a ``prod`` stack of one app, synthesized from a fake
``handlers/`` tree with two customers (the real customers come and go; these tests prove
discovery and isolation on a tree they control). The dependency layer is the real one, built
by pip into the project's ``.build/`` cache (PyPI is needed the first time only).
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
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
    add_stack,
    layer_builder,
    project_context,
)
from infra.discovery import discover_customer_slugs
from infra.settings import DeploymentSettings

CUSTOMERS = ("acme", "globex_west")
PROD_DOMAIN = "pivot.example.com"
PROD_CONTEXT: dict[str, object] = {
    "stage": "prod",
    "domain": PROD_DOMAIN,
    "certificate_arn": "arn:aws:acm:eu-west-1:123456789012:certificate/0f1e2d3c-4b5a-6978",
    "hosted_zone_id": "Z0123456789ABCDEFGHIJ",
    "hosted_zone_name": "example.com",
    "alarm_email": "oncall@example.com",
}
DEV_CONTEXT: dict[str, object] = {"stage": "dev", "provisioned": "acme:2", "reserved": "acme:5"}


def make_handlers_tree(root: Path) -> Path:
    """A ``handlers/`` tree shaped like the real one, with things that must not ship."""
    files = {
        "pivotkit/__init__.py": "",
        "pivotkit/app.py": "# the kit\n",
        "pivotkit/aws/__init__.py": "",
        "pivotkit/local/__init__.py": "",
        "pivotkit/local/cli.py": "# local tooling, never shipped\n",
        "pivotkit/__pycache__/app.cpython-311.pyc": "compiled",
        "functions/__init__.py": "",
        "functions/pivot.py": "handler = None\n",
        "functions/media.py": "handler = None\n",
        "customers/__init__.py": "",
        "customers/shared_prompts.py": "# a module shared by customers, not a customer\n",
        "customers/acme/__init__.py": "customer = None\n",
        "customers/acme/menu.py": "# acme's flows\n",
        "customers/acme/tests/test_menu.py": "# a customer's own tests\n",
        "customers/globex_west/__init__.py": "customer = None\n",
        "customers/_template/__init__.py": "# starts with _: not a customer\n",
        "customers/draft/notes.txt": "no __init__.py: not a customer\n",
        "conftest.py": "# test configuration\n",
    }
    handlers = root / "handlers"
    for relative, text in files.items():
        path = handlers / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return handlers


@dataclass(frozen=True)
class Synthesized:
    outdir: Path
    handlers_dir: Path
    customers: tuple[str, ...]
    templates: dict[str, dict[str, Any]]

    def template(self, stage: str) -> Template:
        return Template.from_json(self.templates[stage])

    def resources(self, stage: str, resource_type: str) -> dict[str, dict[str, Any]]:
        return {
            logical_id: resource
            for logical_id, resource in self.templates[stage]["Resources"].items()
            if resource["Type"] == resource_type
        }

    def function(self, stage: str, name: str) -> tuple[str, dict[str, Any]]:
        """(logical id, resource) of the Lambda function called ``name``."""
        for logical_id, resource in self.resources(stage, "AWS::Lambda::Function").items():
            if resource["Properties"].get("FunctionName") == name:
                return logical_id, resource
        raise KeyError(name)


@pytest.fixture(scope="session")
def synthesized(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Synthesized]:
    root = tmp_path_factory.mktemp("infra")
    handlers = make_handlers_tree(root)
    customers = discover_customer_slugs(handlers / "customers")
    assert customers == CUSTOMERS
    app = App(outdir=str(root / "cdk.out"), context=project_context())
    builder = layer_builder()
    for context in (DEV_CONTEXT, PROD_CONTEXT):
        settings = DeploymentSettings.from_context(context, customers)
        add_stack(app, settings, handlers_dir=handlers, customers=customers, builder=builder)
    add_nag_checks(app)
    assembly = app.synth()
    outdir = Path(assembly.directory)
    templates = {
        stage: json.loads((outdir / f"pivotkit-{stage}.template.json").read_text("utf-8"))
        for stage in ("dev", "prod")
    }
    yield Synthesized(outdir, handlers, customers, templates)


@pytest.fixture(scope="session")
def project_root() -> Path:
    return PROJECT_ROOT
