"""``pivotkit new customer NAME``: a new customer of the operator's, ready to test and deploy.

It writes, in the project at ``root`` (the directory holding ``handlers/customers/``):

    handlers/customers/<slug>/__init__.py      the flow and ``customer = Customer(...)``
    handlers/customers/<slug>/config.py        its pydantic configuration model
    handlers/customers/<slug>/config/dev.toml  the values per stage, valid against it
    handlers/customers/<slug>/config/prod.toml
    tests/customers/<slug>/test_<slug>.py      calls walked with ``pivotkit.testing``
    events/customers/<slug>/<scenario>/        replayable events and their goldens

The events are not written from templates: each scenario is a call placed with ``pivotkit
call --save-events`` on the new package (a subprocess whose ``customers`` package is the
project's), so the goldens are what the kit answers and ``pivotkit replay`` passes on them.
Nothing existing is ever overwritten: a name that is taken, or any file already in the way,
stops it before it writes anything.
"""

from __future__ import annotations

import keyword
import os
import shlex
import subprocess
import sys
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from pivotkit.customers import EXAMPLES_PACKAGE, SLUG_PATTERN, customer_modules
from pivotkit.local.scaffold import templates

SLUG_RULE = (
    "lower-case letters, digits and _, starting with a letter, at most 48 characters"
    " (it names the Python package, the URL path, the stack and the function)"
)
# Settings of the operator's shell that would change what the recorded events carry.
_RECORDING_UNSET = ("PIVOTKIT_TOKENS", "PIVOTKIT_STAGE", "PIVOTKIT_CUSTOMER", "PIVOTKIT_SECRETS")


class ScaffoldError(ValueError):
    """The name is refused, or something is in the way; the message says why and what to do."""


@dataclass(frozen=True)
class Project:
    """An operator's project laid out like this repository."""

    root: Path

    @property
    def handlers(self) -> Path:
        return self.root / "handlers"

    def package_dir(self, slug: str) -> Path:
        return self.handlers / "customers" / slug

    def tests_dir(self, slug: str) -> Path:
        return self.root / "tests" / "customers" / slug

    def events_dir(self, slug: str) -> Path:
        return self.root / "events" / "customers" / slug

    def check(self) -> None:
        if not (self.handlers / "customers" / "__init__.py").is_file():
            raise ScaffoldError(
                f"{self.root} is not a pivotkit project: it has no handlers/customers/__init__.py"
                " (run this in the project's root, or give --root)"
            )

    def example_slugs(self) -> set[str]:
        """The kit's examples: in this project's handlers/examples/ and wherever the
        ``examples`` package is imported from (a customer must not take their names)."""
        on_disk = self.handlers / EXAMPLES_PACKAGE
        found = set(customer_modules((EXAMPLES_PACKAGE,)))
        if on_disk.is_dir():
            found |= {p.name for p in on_disk.iterdir() if (p / "__init__.py").is_file()}
        return found


def model_name(slug: str) -> str:
    """``dental`` -> ``DentalConfig``, ``bright_smiles`` -> ``BrightSmilesConfig``."""
    return f"{label(slug)}Config"


def label(slug: str) -> str:
    return "".join(part[:1].upper() + part[1:] for part in slug.split("_"))


def spoken_name(slug: str) -> str:
    """``bright_smiles`` -> ``Bright Smiles``: how the greeting and the docstrings name it."""
    return " ".join(part[:1].upper() + part[1:] for part in slug.split("_") if part)


def check_name(name: str, project: Project) -> str:
    """``name`` as a slug, or ``ScaffoldError`` stating the rule it breaks."""
    if not SLUG_PATTERN.match(name):
        raise ScaffoldError(f"customer name {name!r} is refused: a name is {SLUG_RULE}")
    if keyword.iskeyword(name):
        raise ScaffoldError(
            f"customer name {name!r} is refused: it is a Python keyword, so"
            f" `from customers import {name}` could not be written; choose another"
        )
    if name in project.example_slugs():
        raise ScaffoldError(
            f"customer name {name!r} is refused: it is one of the kit's examples"
            f" (handlers/examples/{name}), and a slug names one package only; choose another"
        )
    existing = [
        path
        for path in (project.package_dir(name), project.package_dir(name).with_suffix(".py"))
        if path.exists()
    ]
    if existing:
        raise ScaffoldError(
            f"customer name {name!r} is refused: {_shown(existing[0], project)} already"
            " exists; it is never overwritten"
        )
    return name


def planned_files(slug: str, project: Project) -> dict[Path, str]:
    """Every file to write, by path, with its text (the events come later, recorded)."""
    names = {"slug": slug, "label": spoken_name(slug), "model": model_name(slug)}
    package = project.package_dir(slug)
    files: dict[Path, str] = {
        package / "__init__.py": templates.PACKAGE.substitute(names),
        package / "config.py": templates.CONFIG_MODEL.substitute(names),
    }
    for stage in templates.STAGE_VALUES:
        files[package / "config" / f"{stage}.toml"] = templates.config_file(stage, **names)
    tests = project.tests_dir(slug)
    # Packages all the way down, so pytest names the module tests.customers.<slug>.test_<slug>
    # and never takes tests/customers/ for the customers package itself.
    for directory in (tests.parent.parent, tests.parent, tests):
        init = directory / "__init__.py"
        if not init.exists():
            files[init] = ""
    files[tests / f"test_{slug}.py"] = templates.TEST_MODULE.substitute(names)
    return files


def write_files(files: Mapping[Path, str], project: Project) -> list[Path]:
    """Write ``files``, all or none: any of them already there refuses the whole set."""
    in_the_way = [path for path in files if path.exists()]
    if in_the_way:
        listed = ", ".join(_shown(path, project) for path in in_the_way)
        raise ScaffoldError(f"nothing written: {listed} already exists (never overwritten)")
    for path, text in files.items():
        path.parent.mkdir(parents=True, exist_ok=True)
        with path.open("x", encoding="utf-8") as file:  # "x": refuse a file that appeared since
            file.write(text)
    return list(files)


def recording_commands(slug: str, events: Path) -> list[list[str]]:
    """The ``pivotkit call`` arguments that record each scenario into ``events``: what the
    scaffold runs, and what re-records one after the flow changes."""
    commands = []
    for scenario in templates.SCENARIOS:
        argv = ["call", "--customer", slug, "--now", scenario.now, "--stage", "dev"]
        argv += ["--call-id", f"{scenario.name}@{slug}.events"]
        if scenario.digits is not None:
            argv += ["--digits", scenario.digits]
        argv += ["--bridge", scenario.bridges, "--save-events", str(events / scenario.name)]
        commands.append(argv)
    return commands


def record_events(slug: str, project: Project) -> Path:
    """Place each scenario's call on the new package with ``pivotkit call --save-events``,
    saving its requests as events and its answers as their goldens.

    Each call is the command line itself, run with the project's ``handlers/`` first on the
    path: the package is imported from where it was just written, under its deployed name
    (whatever this process imported as ``customers``), and the recording is exactly what
    the operator gets by running the printed command again.
    """
    events = project.events_dir(slug)
    env = {k: v for k, v in os.environ.items() if k not in _RECORDING_UNSET}
    env["PYTHONPATH"] = os.pathsep.join(
        [str(project.handlers), *filter(None, [os.environ.get("PYTHONPATH")])]
    )
    from pivotkit.local.schemas import ENV_VAR as SCHEMAS_VARIABLE
    from pivotkit.local.schemas import schemas_root  # jsonschema: only when recording

    schemas = schemas_root()
    if schemas is not None and SCHEMAS_VARIABLE not in env:
        # The answers are checked against the schemas this process sees, wherever the
        # project's copy of the kit would look for them.
        env[SCHEMAS_VARIABLE] = str(schemas)
    for command in recording_commands(slug, events):
        done = subprocess.run(  # noqa: S603 - our own interpreter and module, no shell
            [sys.executable, "-m", "pivotkit.local.cli", *command],
            cwd=project.root,
            env=env,
            stdin=subprocess.DEVNULL,  # never ask for digits on the operator's terminal
            capture_output=True,
            text=True,
            check=False,
        )
        if done.returncode != 0:
            raise ScaffoldError(
                f"recording {slug}'s events failed (its files are written):"
                f" pivotkit {shlex.join(command)}: exit status {done.returncode}\n"
                f"{done.stdout}{done.stderr}".rstrip()
            )
    return events


@dataclass(frozen=True)
class Scaffolded:
    slug: str
    files: list[Path]
    events: Path


def new_customer(name: str, root: Path) -> Scaffolded:
    """Check ``name``, write the customer's files under ``root`` and record its events."""
    project = Project(root.resolve())
    project.check()
    slug = check_name(name, project)
    files = planned_files(slug, project)
    events = project.events_dir(slug)
    if events.exists():
        raise ScaffoldError(
            f"nothing written: {_shown(events, project)} already exists (never overwritten)"
        )
    written = write_files(files, project)
    return Scaffolded(slug, written, record_events(slug, project))


def _shown(path: Path, project: Project) -> str:
    try:
        return str(path.relative_to(project.root))
    except ValueError:
        return str(path)
