"""``pivotkit new customer``: which names are refused (with the rule), and that nothing
existing is ever overwritten. Writing and recording a whole customer, then testing,
replaying and synthesizing it, is tests/integration/test_new_customer.py."""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest

from pivotkit.local.cli import main
from pivotkit.local.scaffold import (
    SLUG_RULE,
    Project,
    ScaffoldError,
    check_name,
    label,
    model_name,
    new_customer,
    planned_files,
    write_files,
)


@pytest.fixture
def project(tmp_path: Path) -> Project:
    """An empty project laid out like this repository."""
    (tmp_path / "handlers" / "customers").mkdir(parents=True)
    (tmp_path / "handlers" / "customers" / "__init__.py").write_text("", encoding="utf-8")
    (tmp_path / "tests").mkdir()
    (tmp_path / "tests" / "__init__.py").write_text("", encoding="utf-8")
    return Project(tmp_path)


@pytest.mark.parametrize(
    "name", ["Dental", "1dental", "den-tal", "den tal", "_dental", "", "../dental", "d" * 49]
)
def test_a_name_that_is_no_slug_is_refused_with_the_rule(project: Project, name: str) -> None:
    with pytest.raises(ScaffoldError) as refused:
        check_name(name, project)
    assert f"customer name {name!r} is refused" in str(refused.value)
    assert SLUG_RULE in str(refused.value)


def test_the_longest_slug_is_accepted(project: Project) -> None:
    assert check_name("d" * 48, project) == "d" * 48


@pytest.mark.parametrize("name", ["class", "import", "lambda", "async"])
def test_a_python_keyword_is_refused(project: Project, name: str) -> None:
    with pytest.raises(ScaffoldError, match="it is a Python keyword"):
        check_name(name, project)


def test_a_soft_keyword_is_a_fine_package_name(project: Project) -> None:
    assert check_name("match", project) == "match"  # `from customers import match` works


def test_an_examples_name_is_refused(project: Project) -> None:
    # acme is one of the kit's examples (the importable examples package).
    with pytest.raises(
        ScaffoldError, match=r"one of the kit's examples \(handlers/examples/acme\)"
    ):
        check_name("acme", project)


def test_an_example_in_the_projects_own_examples_is_refused(project: Project) -> None:
    (project.handlers / "examples" / "clinic").mkdir(parents=True)
    (project.handlers / "examples" / "clinic" / "__init__.py").write_text("", encoding="utf-8")
    with pytest.raises(ScaffoldError, match="one of the kit's examples"):
        check_name("clinic", project)


def test_an_existing_customer_is_refused(project: Project) -> None:
    (project.package_dir("dental")).mkdir()
    with pytest.raises(ScaffoldError, match=r"handlers/customers/dental already exists"):
        check_name("dental", project)
    (project.handlers / "customers" / "prompts.py").write_text("", encoding="utf-8")
    with pytest.raises(ScaffoldError, match=r"handlers/customers/prompts.py already exists"):
        check_name("prompts", project)


def test_a_directory_that_is_no_project_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ScaffoldError, match=r"no handlers/customers/__init__\.py"):
        new_customer("dental", tmp_path)


def test_a_file_in_the_way_stops_everything_and_is_left_as_it_was(project: Project) -> None:
    mine = project.tests_dir("dental") / "test_dental.py"
    mine.parent.mkdir(parents=True)
    mine.write_text("# the operator's own test\n", encoding="utf-8")
    with pytest.raises(ScaffoldError, match=r"nothing written: tests/customers/dental/test_dental"):
        new_customer("dental", project.root)
    assert mine.read_text(encoding="utf-8") == "# the operator's own test\n"
    assert not project.package_dir("dental").exists()
    assert not project.events_dir("dental").exists()


def test_existing_events_stop_everything(project: Project) -> None:
    project.events_dir("dental").mkdir(parents=True)
    with pytest.raises(ScaffoldError, match=r"nothing written: events/customers/dental already"):
        new_customer("dental", project.root)
    assert not project.package_dir("dental").exists()


def test_existing_package_markers_are_kept_not_rewritten(project: Project) -> None:
    marker = project.root / "tests" / "customers" / "__init__.py"
    marker.parent.mkdir()
    marker.write_text('"""My customers\' tests."""\n', encoding="utf-8")
    files = planned_files("dental", project)
    assert marker not in files  # tests/__init__.py neither: both exist
    assert project.root / "tests" / "__init__.py" not in files
    assert set(files) == {
        project.package_dir("dental") / "__init__.py",
        project.package_dir("dental") / "config.py",
        project.package_dir("dental") / "config" / "dev.toml",
        project.package_dir("dental") / "config" / "prod.toml",
        project.tests_dir("dental") / "__init__.py",
        project.tests_dir("dental") / "test_dental.py",
    }


def test_write_files_is_all_or_nothing(project: Project) -> None:
    first, second = project.root / "a" / "one.py", project.root / "b" / "two.py"
    second.parent.mkdir()
    second.write_text("kept\n", encoding="utf-8")
    with pytest.raises(ScaffoldError, match=r"b/two.py already exists"):
        write_files({first: "new\n", second: "new\n"}, project)
    assert not first.exists()
    assert second.read_text(encoding="utf-8") == "kept\n"


def test_the_templates_name_the_customer_and_its_model(project: Project) -> None:
    files = planned_files("bright_smiles", project)
    package = files[project.package_dir("bright_smiles") / "__init__.py"]
    assert 'customer = Customer(slug="bright_smiles", flow=flow, config_model=BrightSmiles' in (
        package
    )
    assert "call.config_as(BrightSmilesConfig)" in package
    config = files[project.package_dir("bright_smiles") / "config.py"]
    assert 'model_config = ConfigDict(extra="forbid", frozen=True)' in config
    assert 'KAZOO_ID = r"^[0-9a-f]{32}$"' in config  # the template's $$ is one $
    for path, text in files.items():
        if path.suffix == ".py":
            compile(text, str(path), "exec")
        else:
            assert tomllib.loads(text)["timezone"] == "America/Chicago"
    assert (
        "Thank you for calling Bright Smiles."
        in files[project.package_dir("bright_smiles") / "config" / "dev.toml"]
    )
    assert (label("bright_smiles"), model_name("dental")) == ("BrightSmiles", "DentalConfig")


def test_the_command_refuses_with_the_rule_and_exit_status_2(
    project: Project, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["new", "customer", "Dental", "--root", str(project.root)]) == 2
    error = capsys.readouterr().err
    assert error.startswith("pivotkit new customer: customer name 'Dental' is refused")
    assert SLUG_RULE in error
    assert list(project.handlers.joinpath("customers").iterdir()) == [
        project.handlers / "customers" / "__init__.py"
    ]
