"""A customer's secrets on a developer's machine (``serve``, ``call``, ``replay``).

``PIVOTKIT_SECRET_<SLUG>_<NAME>`` first, then ``secrets.local.toml`` beside the module that
declares the customer (``handlers/customers/<slug>/secrets.local.toml``: git-ignored and
left out of every code asset). Never used deployed: there the customer's own Secrets Manager
secret is read (``pivotkit.aws.secrets_values``). Local tooling: never shipped to Lambda.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING

from pivotkit.errors import SecretMissing

if TYPE_CHECKING:
    from pivotkit.customers import Customer

LOCAL_SECRETS_FILE = "secrets.local.toml"
ENV_PREFIX = "PIVOTKIT_SECRET_"


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
