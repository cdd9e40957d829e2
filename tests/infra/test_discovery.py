"""Customers are found on disk: packages under handlers/customers (the operator's) and
handlers/examples (the kit's, deployed only when asked for), named like slugs."""

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


@pytest.mark.parametrize("home", ["customers", "examples"])
def test_the_real_customer_directories_are_discoverable(project_root: Path, home: str) -> None:
    slugs = discover_customer_slugs(project_root / "handlers" / home)
    for slug in slugs:
        assert (project_root / "handlers" / home / slug / "__init__.py").is_file()
    if home == "examples":
        assert "acme" in slugs


def test_examples_are_selected_only_when_asked_for() -> None:
    from infra.discovery import select_examples

    found = ("acme", "hours", "queue")
    assert select_examples(found, None) == ()
    assert select_examples(found, "") == ()
    assert select_examples(found, "all") == found
    assert select_examples(found, "queue,acme") == ("acme", "queue")
    with pytest.raises(CustomerDiscoveryError, match=r"hourz.*\(valid: all, acme, hours, queue\)"):
        select_examples(found, "acme,hourz")


def test_an_example_named_as_a_customer_is_pointed_to_examples() -> None:
    from infra.discovery import select_customers

    with pytest.raises(CustomerDiscoveryError, match="ask for it with -c examples=acme"):
        select_customers(("dental",), "acme", ("acme", "hours"))


def test_a_slug_both_a_customer_and_an_example_is_refused() -> None:
    from infra.app import customers_to_synthesize

    with pytest.raises(CustomerDiscoveryError, match="acme: both a customer"):
        customers_to_synthesize(("acme", "dental"), None, None, examples=("acme", "hours"))


def test_default_synth_selects_the_operators_customers_and_no_example() -> None:
    from infra.app import customers_to_synthesize

    found, examples = ("dental",), ("acme", "hours")
    assert customers_to_synthesize(found, None, None, examples=examples) == ("dental",)
    assert customers_to_synthesize(
        found, None, None, examples=examples, wanted_examples="hours"
    ) == ("dental", "hours")
    assert customers_to_synthesize(
        found, "dental", None, examples=examples, wanted_examples="all"
    ) == ("acme", "dental", "hours")


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

    # `cdk synth -c examples=acmee` hands the app this context.
    monkeypatch.setattr(
        app, "App", lambda: App(context={"examples": "acmee"}, outdir=str(tmp_path))
    )
    with pytest.raises(SystemExit) as exited:
        app.main()
    assert str(exited.value).startswith("pivotkit CDK app: context examples names acmee")
    assert "did you mean acme?" in str(exited.value)


def test_a_deploy_target_names_one_known_customer_or_lists_the_known_ones(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from infra.targets import main, stack_for, target_for

    for slug in ("acme", "globex_west"):
        (tmp_path / "customers" / slug).mkdir(parents=True)
        (tmp_path / "customers" / slug / "__init__.py").write_text("")
    assert stack_for("globex_west", "prod", tmp_path) == "pivotkit-prod-globex-west"
    with pytest.raises(CustomerDiscoveryError, match=r"initech.*\(found: acme, globex_west\)"):
        stack_for("initech", "dev", tmp_path)
    assert main(["targets", "no_such_customer"]) == 1
    assert "found: " in capsys.readouterr().err
    (tmp_path / "examples" / "hours").mkdir(parents=True)
    (tmp_path / "examples" / "hours" / "__init__.py").write_text("")
    assert target_for("hours", "dev", tmp_path) == ("pivotkit-dev-hours", "examples=hours")
    assert target_for("acme", "dev", tmp_path) == ("pivotkit-dev-acme", "customers=acme")
