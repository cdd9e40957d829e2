"""A customer's secrets (API keys): declared by name, read as ``call.secrets[name]``.

``Customer(..., secrets=("booking_api_key",))`` names them; their values never live in code or
configuration. A ``SecretSource`` supplies them:

- deployed, one Secrets Manager secret per customer holding a JSON object name -> value,
  readable only by that customer's role, read on the first access and cached
  (``pivotkit.aws.secrets_values``);
- locally (``serve``, ``replay``, ``call``), ``pivotkit.local.secrets.LocalSecrets``: the
  environment variable ``PIVOTKIT_SECRET_<SLUG>_<NAME>``, else ``secrets.local.toml`` beside
  the customer's module (git-ignored, never shipped);
- in ``pivotkit.testing``, ``StaticSecrets``: the values the test gives.

A source that cannot supply a value raises ``SecretMissing`` (``pivotkit.errors``, an
internal signal). A name the customer did not declare is a programming error (``KeyError``).
A declared secret that cannot be had is ``SecretUnavailable``: a 503, so Kazoo runs the
fallback, and one log line naming the customer, the secret and why. Values never reach a
log line or an error.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import TYPE_CHECKING, Protocol

from pivotkit.errors import SecretMissing, SecretUnavailable

if TYPE_CHECKING:
    from pivotkit.customers import Customer

logger = logging.getLogger("pivotkit.secrets")


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


class StaticSecrets:
    """Secrets given up front, per customer slug (``pivotkit.testing``)."""

    def __init__(self, values: Mapping[str, Mapping[str, str]]) -> None:
        self._values = {slug: dict(secrets) for slug, secrets in values.items()}

    def secret_for(self, customer: Customer, name: str) -> str:
        value = self._values.get(customer.slug, {}).get(name)
        if not isinstance(value, str) or not value:
            raise SecretMissing("not given to the test (secrets=...)")
        return value
