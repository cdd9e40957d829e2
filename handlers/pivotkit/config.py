"""A customer's typed configuration: a pydantic model, values per stage in a TOML file.

A customer declares ``Customer(..., config_model=DentalConfig)``; its values live beside the
module that declares the customer, one file per stage::

    handlers/customers/dental/__init__.py      customer = Customer(..., config_model=...)
    handlers/customers/dental/config.py        class DentalConfig(BaseModel): ...
    handlers/customers/dental/config/dev.toml  the values for stage dev
    handlers/customers/dental/config/prod.toml the values for stage prod

The same loader reads the file everywhere: ``cdk synth`` validates the synthesized stage's
file (a bad value fails the synth with a line naming the customer, the file and the field),
the deployed function reads the copy shipped in its code asset (``PIVOTKIT_STAGE`` says
which), and ``serve``, ``replay``, ``call`` and ``pivotkit.testing`` read stage ``dev``
unless told otherwise. A step reads the validated model instance as ``call.config``.

Nothing here imports pydantic or ``tomllib`` until a customer with a ``config_model`` is
loaded: a customer without configuration pays nothing for it at cold start.
"""

from __future__ import annotations

import sys
import threading
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    from pydantic import BaseModel, ValidationError

    from pivotkit.customers import Customer

# The deployment stages (infra's Stage enum has the same values; tests/infra checks it).
STAGES: tuple[str, ...] = ("dev", "prod")
DEFAULT_STAGE = "dev"
CONFIG_DIR = "config"


class ConfigError(ValueError):
    """A customer's configuration is missing or invalid. Its message has one line per
    problem: ``<customer>: <file>: <field>: <what is wrong>``."""


def check_stage(stage: str) -> str:
    if stage not in STAGES:
        raise ValueError(f"stage {stage!r} is not one of {', '.join(STAGES)}")
    return stage


def customer_dir(customer: Customer) -> Path:
    """The directory of the module that declares ``customer`` (``customers/dental/``)."""
    module = sys.modules.get(customer.module or "")
    filename = getattr(module, "__file__", None)
    if not filename:
        raise ConfigError(
            f"{customer.slug}: cannot tell where its files are: module {customer.module!r}"
            " has no file (declare the customer in its package, or pass module=)"
        )
    return Path(filename).resolve().parent


def config_path(customer: Customer, stage: str) -> Path:
    return customer_dir(customer) / CONFIG_DIR / f"{check_stage(stage)}.toml"


def load_config(customer: Customer, stage: str = DEFAULT_STAGE) -> Any:
    """The customer's ``config_model`` instance from ``config/<stage>.toml``; ``ConfigError``
    naming the file and each bad field otherwise. Tests call it for every stage in
    ``STAGES`` to catch a bad production value before a deploy does."""
    model = _model_of(customer)
    path = config_path(customer, stage)
    import tomllib

    try:
        with path.open("rb") as file:
            values = tomllib.load(file)
    except FileNotFoundError:
        raise ConfigError(
            f"{customer.slug}: {shown(path)}: missing; config_model={model.__name__} needs"
            f" one file per stage ({', '.join(f'{s}.toml' for s in STAGES)})"
        ) from None
    except tomllib.TOMLDecodeError as error:
        raise ConfigError(f"{customer.slug}: {shown(path)}: not valid TOML: {error}") from None
    return validate_config(customer, values, source=shown(path))


def validate_config(customer: Customer, values: Mapping[str, Any] | Any, *, source: str) -> Any:
    """``values`` (a mapping, or already a model instance) checked by the customer's model;
    ``source`` names where they came from in error messages."""
    model = _model_of(customer)
    if isinstance(values, model):
        return values
    if not isinstance(values, Mapping):
        raise ConfigError(
            f"{customer.slug}: {source}: give a {model.__name__} or a mapping of its fields,"
            f" not {type(values).__name__}"
        )
    leaked = sorted(set(customer.secrets) & set(values))
    if leaked:
        raise ConfigError(
            f"{customer.slug}: {source}: {', '.join(leaked)}: a declared secret does not"
            " belong in configuration (config files ship with the code); see docs/deploy.md"
        )
    from pydantic import ValidationError

    try:
        return model.model_validate(dict(values))
    except ValidationError as error:
        raise ConfigError(_validation_lines(customer.slug, source, error)) from None


class ConfigSource(Protocol):
    def config_for(self, customer: Customer) -> Any:
        """The customer's validated ``config_model`` instance (``ConfigError`` if none can
        be had)."""
        ...


class ConfigFiles:
    """Configuration read from each customer's ``config/<stage>.toml``, once per process.

    Composition roots ``preload`` the customers they serve, so a bad file fails the start
    (the Lambda init, ``serve``), not a call; ``call.config`` is then a dictionary lookup.
    """

    def __init__(self, stage: str = DEFAULT_STAGE) -> None:
        self.stage = check_stage(stage)
        self._loaded: dict[str, Any] = {}
        self._lock = threading.Lock()

    def config_for(self, customer: Customer) -> Any:
        found = self._loaded.get(customer.slug)
        if found is None:
            with self._lock:
                found = self._loaded.get(customer.slug)
                if found is None:
                    found = load_config(customer, self.stage)
                    self._loaded[customer.slug] = found
        return found

    def preload(self, customers: Iterable[Customer]) -> None:
        for customer in customers:
            if customer.config_model is not None:
                self.config_for(customer)


class StaticConfig:
    """Configuration given in code (``pivotkit.testing``): a model instance or a mapping of
    its fields per customer slug, validated by the customer's model on first use; a customer
    not listed falls back to ``fallback`` (its files) when one is given."""

    def __init__(self, values: Mapping[str, Any], *, fallback: ConfigSource | None = None) -> None:
        self._values = dict(values)
        self._fallback = fallback
        self._checked: dict[str, Any] = {}

    def config_for(self, customer: Customer) -> Any:
        if customer.slug not in self._values:
            if self._fallback is None:
                raise ConfigError(f"{customer.slug}: no configuration was given")
            return self._fallback.config_for(customer)
        if customer.slug not in self._checked:
            self._checked[customer.slug] = validate_config(
                customer, self._values[customer.slug], source="config given in code"
            )
        return self._checked[customer.slug]


def shown(path: Path) -> str:
    """``path`` relative to the working directory when it is below it (the project root,
    where ``make synth`` runs: ``handlers/customers/dental/config/dev.toml``)."""
    try:
        return str(path.relative_to(Path.cwd()))
    except ValueError:
        return str(path)


def _model_of(customer: Customer) -> type[BaseModel]:
    if customer.config_model is None:
        raise ConfigError(
            f"{customer.slug}: declares no configuration; add Customer(config_model=...)"
        )
    return customer.config_model


def _validation_lines(slug: str, source: str, error: ValidationError) -> str:
    lines = []
    for problem in error.errors(include_url=False, include_input=False):
        field = ".".join(str(part) for part in problem["loc"]) or "(the whole file)"
        lines.append(f"{slug}: {source}: {field}: {problem['msg']}")
    return "\n".join(lines)
