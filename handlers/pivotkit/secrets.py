"""A customer's secrets (API keys): declared by name, read as ``call.secrets[name]``.

``Customer(..., secrets=("booking_api_key",))`` names them; their values never live in code or
configuration. A ``SecretSource`` supplies them:

- deployed, one Secrets Manager secret per customer holding a JSON object name -> value,
  readable only by that customer's role, read on the first access and cached
  (``pivotkit.aws.secrets_values``);
- locally (``serve``, ``replay``, ``call``), ``LocalSecrets``: the environment variable
  ``PIVOTKIT_SECRET_<SLUG>_<NAME>``, else ``secrets.local.toml`` beside the customer's module
  (git-ignored, never shipped);
- in ``pivotkit.testing``, ``StaticSecrets``: the values the test gives.

A name the customer did not declare is a programming error (``KeyError``). A declared secret
that cannot be had is ``SecretUnavailable``: a 503, so Kazoo runs the fallback, and one log
line naming the customer, the secret and why. Values never reach a log line or an error.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

from pivotkit.errors import SecretUnavailable

if TYPE_CHECKING:
    from pivotkit.customers import Customer

logger = logging.getLogger("pivotkit.secrets")

LOCAL_SECRETS_FILE = "secrets.local.toml"
ENV_PREFIX = "PIVOTKIT_SECRET_"


class SecretMissing(Exception):
    """A source could not supply a secret. Its message says why in names only (the variable,
    the file, the secret's id): it is logged, never sent to Kazoo."""


class SecretSource(Protocol):
    def secret_for(self, customer: Customer, name: str) -> str:
        """The value of the customer's secret ``name`` (declared), or ``SecretMissing``."""
        ...


class Secrets:
    """``call.secrets``: ``call.secrets["booking_api_key"]`` is the value, read on first use."""

    def __init__(self, customer: Customer, source: SecretSource) -> None:
        self._customer = customer
        self._source = source

    @property
    def names(self) -> tuple[str, ...]:
        """The secrets the customer declared."""
        return self._customer.secrets

    def __contains__(self, name: object) -> bool:
        return name in self._customer.secrets

    def __getitem__(self, name: str) -> str:
        customer = self._customer
        if name not in customer.secrets:
            declared = ", ".join(customer.secrets) or "none"
            raise KeyError(
                f"customer {customer.slug!r} declares no secret {name!r} (declared: {declared});"
                f" add it to Customer(secrets=...)"
            )
        try:
            return self._source.secret_for(customer, name)
        except SecretMissing as missing:
            logger.error("secret %s of %s unavailable: %s", name, customer.slug, missing)
            raise SecretUnavailable(f"secret {name!r} of {customer.slug!r} unavailable") from None

    def __repr__(self) -> str:  # never the values
        return f"Secrets({self._customer.slug!r}, names={self._customer.secrets!r})"


def secret_variable(slug: str, name: str) -> str:
    """``PIVOTKIT_SECRET_DENTAL_BOOKING_API_KEY``: where ``LocalSecrets`` looks first."""
    return f"{ENV_PREFIX}{slug.upper()}_{name.upper()}"


class LocalSecrets:
    """Secrets on a developer's machine: the environment, then ``secrets.local.toml``.

    The file is read again on each access (it is small, and an edit takes effect without a
    restart); a value there must be a string.
    """

    def __init__(self, environ: Mapping[str, str] | None = None) -> None:
        self._environ = os.environ if environ is None else environ

    def secret_for(self, customer: Customer, name: str) -> str:
        variable = secret_variable(customer.slug, name)
        value = self._environ.get(variable)
        if value:
            return value
        from pivotkit.config import ConfigError, customer_dir, shown

        try:
            path = customer_dir(customer) / LOCAL_SECRETS_FILE
        except ConfigError as error:
            raise SecretMissing(f"not in {variable}, and {error}") from None
        found = _from_file(path, name)
        if found is None:
            raise SecretMissing(f"not set: neither {variable} nor {name} in {shown(path)}")
        return found


class StaticSecrets:
    """Secrets given up front, per customer slug (``pivotkit.testing``)."""

    def __init__(self, values: Mapping[str, Mapping[str, str]]) -> None:
        self._values = {slug: dict(secrets) for slug, secrets in values.items()}

    def secret_for(self, customer: Customer, name: str) -> str:
        value = self._values.get(customer.slug, {}).get(name)
        if not isinstance(value, str) or not value:
            raise SecretMissing("not given to the test (secrets=...)")
        return value


def _from_file(path: Path, name: str) -> str | None:
    import tomllib

    try:
        with path.open("rb") as file:
            values = tomllib.load(file)
    except FileNotFoundError:
        return None
    except tomllib.TOMLDecodeError:
        # The parser's message may quote the line, which may hold a value.
        raise SecretMissing(f"{path.name} is not valid TOML") from None
    value = values.get(name)
    if value is None:
        return None
    if not isinstance(value, str) or not value:
        raise SecretMissing(f"{name} in {path.name} must be a non-empty string")
    return value
