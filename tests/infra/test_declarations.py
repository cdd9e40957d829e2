"""The synth reads each customer's declaration from its own code and validates its
configuration: a bad value fails it with one line naming the customer, the file and the
field, before any stack is built."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from infra.declarations import CustomerDeclarationError, Declaration, declarations
from tests.infra.conftest import DEV_CONTEXT, PROD_CONTEXT, Synthesized, synthesize

pytestmark = pytest.mark.slow


def broken_copy(synthesized: Synthesized, tmp_path: Path, stage: str, text: str) -> Path:
    handlers = tmp_path / "handlers"
    shutil.copytree(synthesized.handlers_dir, handlers)
    (handlers / "customers" / "globex_west" / "config" / f"{stage}.toml").write_text(
        text, encoding="utf-8"
    )
    return handlers


def test_each_customer_declares_what_its_code_says(synthesized: Synthesized) -> None:
    found = declarations(synthesized.handlers_dir, ("acme", "globex_west", "synthetic_0001"), "dev")
    assert found == {
        "acme": Declaration(),
        "globex_west": Declaration(secrets=("crm_api_key",), config_model="GlobexSettings"),
        "synthetic_0001": Declaration(),  # no package: nothing to ask
    }


def test_a_bad_value_fails_the_synth_naming_customer_file_and_field(
    synthesized: Synthesized, tmp_path: Path
) -> None:
    handlers = broken_copy(synthesized, tmp_path, "prod", 'crm_url = "crm.example"\n')
    path = handlers / "customers" / "globex_west" / "config" / "prod.toml"
    with pytest.raises(CustomerDeclarationError) as raised:
        synthesize(tmp_path / "cdk.out", handlers, (PROD_CONTEXT,))
    assert str(raised.value) == (
        f"globex_west: {path}: crm_url: Input should be a valid URL, relative URL without a base"
    )
    # Only the synthesized stage's file is judged: dev's is valid, so dev synthesizes.
    synthesize(tmp_path / "cdk.out.dev", handlers, (DEV_CONTEXT,))


def test_a_missing_file_or_a_broken_package_fails_the_synth(
    synthesized: Synthesized, tmp_path: Path
) -> None:
    handlers = broken_copy(synthesized, tmp_path, "dev", "")
    (handlers / "customers" / "globex_west" / "config" / "dev.toml").unlink()
    (handlers / "customers" / "acme" / "__init__.py").write_text("import no_such_module\n")
    with pytest.raises(CustomerDeclarationError) as raised:
        declarations(handlers, ("acme", "globex_west"), "dev")
    first, second = str(raised.value).splitlines()
    assert first == (
        "acme: importing customers.acme failed: ModuleNotFoundError:"
        " No module named 'no_such_module'"
    )
    assert second.startswith("globex_west: ") and "dev.toml: missing; config_model=" in second


def test_the_cdk_app_says_it_in_one_line_without_a_traceback(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    from aws_cdk import App

    from infra import app

    line = "dental: handlers/customers/dental/config/dev.toml: booking_url: Input should be"

    def refuse(*_: object, **__: object) -> None:
        raise CustomerDeclarationError(line)

    monkeypatch.setattr(app, "App", lambda: App(outdir=str(tmp_path)))
    monkeypatch.setattr(app, "add_stacks", refuse)
    with pytest.raises(SystemExit) as exited:
        app.main()
    assert str(exited.value) == f"pivotkit CDK app: {line}"


def test_the_kit_and_the_infra_know_the_same_stages() -> None:
    from infra.function_code import CONFIG_DIR
    from infra.settings import Stage
    from pivotkit import config

    assert tuple(s.value for s in Stage) == config.STAGES
    assert CONFIG_DIR == config.CONFIG_DIR
