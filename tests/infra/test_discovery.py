"""Customers are found on disk: packages under handlers/customers, named like slugs."""

from __future__ import annotations

from pathlib import Path

import pytest

from infra.discovery import CustomerDiscoveryError, discover_customer_slugs


def package(root: Path, name: str) -> None:
    (root / name).mkdir(parents=True)
    (root / name / "__init__.py").write_text("customer = None\n", encoding="utf-8")


def test_packages_are_customers_and_the_rest_is_not(tmp_path: Path) -> None:
    for name in ("zeta", "acme", "globex_west", "a1"):
        package(tmp_path, name)
    package(tmp_path, "_shared")
    package(tmp_path, ".hidden")
    (tmp_path / "draft").mkdir()  # no __init__.py yet
    (tmp_path / "helpers.py").write_text("", encoding="utf-8")
    (tmp_path / "__init__.py").write_text("", encoding="utf-8")
    (tmp_path / "__pycache__").mkdir()

    assert discover_customer_slugs(tmp_path) == ("a1", "acme", "globex_west", "zeta")


def test_no_customers_is_a_valid_deployment(tmp_path: Path) -> None:
    (tmp_path / "__init__.py").write_text("", encoding="utf-8")
    assert discover_customer_slugs(tmp_path) == ()


@pytest.mark.parametrize("name", ["Acme", "9lives", "acme-west", "a" * 49])
def test_a_package_whose_name_is_no_slug_fails_the_synth(tmp_path: Path, name: str) -> None:
    package(tmp_path, name)
    with pytest.raises(CustomerDiscoveryError, match="not a valid slug"):
        discover_customer_slugs(tmp_path)


def test_a_missing_customers_directory_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(CustomerDiscoveryError, match="does not exist"):
        discover_customer_slugs(tmp_path / "customers")


def test_the_real_customers_directory_is_discoverable(project_root: Path) -> None:
    slugs = discover_customer_slugs(project_root / "handlers" / "customers")
    for slug in slugs:
        assert (project_root / "handlers" / "customers" / slug / "__init__.py").is_file()


def test_the_slug_rule_is_the_one_the_runtime_enforces() -> None:
    from infra.discovery import SLUG_PATTERN
    from pivotkit.customers import SLUG_PATTERN as RUNTIME_SLUG_PATTERN

    assert SLUG_PATTERN.pattern == RUNTIME_SLUG_PATTERN.pattern


def test_context_selects_a_subset_of_customers() -> None:
    from infra.discovery import CustomerDiscoveryError, select_customers

    found = ("acme", "queue", "switchboard")
    assert select_customers(found, None) == found
    assert select_customers(found, "switchboard, acme,acme") == ("acme", "switchboard")
    with pytest.raises(CustomerDiscoveryError, match="nobody"):
        select_customers(found, "acme,nobody")
    with pytest.raises(CustomerDiscoveryError, match="empty"):
        select_customers(found, " , ")


def test_a_mistyped_customer_gets_the_closest_name() -> None:
    from infra.discovery import select_customers

    with pytest.raises(CustomerDiscoveryError, match=r"did you mean switchboard\?"):
        select_customers(("acme", "switchboard"), "switchbaord")


def test_the_cdk_app_says_a_bad_context_value_without_a_traceback(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    from aws_cdk import App

    from infra import app

    # `cdk synth -c customers=acmee` hands the app this context.
    monkeypatch.setattr(
        app, "App", lambda: App(context={"customers": "acmee"}, outdir=str(tmp_path))
    )
    with pytest.raises(SystemExit) as exited:
        app.main()
    assert str(exited.value).startswith("pivotkit CDK app: context customers names acmee")
    assert "did you mean acme?" in str(exited.value)


def test_a_deploy_target_names_one_known_customer_or_lists_the_known_ones(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from infra.targets import main, stack_for

    for slug in ("acme", "globex_west"):
        (tmp_path / "customers" / slug).mkdir(parents=True)
        (tmp_path / "customers" / slug / "__init__.py").write_text("")
    assert stack_for("globex_west", "prod", tmp_path) == "pivotkit-prod-globex-west"
    with pytest.raises(CustomerDiscoveryError, match=r"initech.*\(found: acme, globex_west\)"):
        stack_for("initech", "dev", tmp_path)
    assert main(["targets", "no_such_customer"]) == 1
    assert "found: " in capsys.readouterr().err
