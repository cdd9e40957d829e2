"""Customer credentials from AWS Secrets Manager, read lazily and cached per process.

Each customer has one secret (``PIVOTKIT_TOKENS_SECRETS`` maps slug -> secret id or ARN)
whose value is ``{"seed": "<random>"}``, plus ``"previous_seed"`` while a rotation is under
way. Each seed gives a URL token and a continuation-signing key
(``pivotkit.customers.derive_credentials``): during a rotation both tokens are accepted and
both keys verify continuations, while new continuations are signed with the current seed's
key, so calls in progress when the seed changes carry on. Nothing else is read: a value of
another shape (the former ``{"tokens": [...]}`` included) is a malformed secret.

A secret is read on the first request for its customer (a function serves one customer,
so that is one read per cold start) and cached as ``pivotkit.aws.secrets_cache`` says: a
rotation reaches every warm function within ``ttl_seconds``, and a failed refresh keeps
the tokens held. Only when there is nothing to fall back on does a request fail, with
``TokensUnavailable`` (503): a secret we cannot read is our fault, not the caller's, so it
must not look like a wrong token (401).

Secret values never reach logs or error messages.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass

from pivotkit.aws.secrets_cache import (
    MalformedSecretValue,
    SecretCache,
    SecretUnreadable,
    json_object,
)
from pivotkit.customers import Credentials, derive_credentials
from pivotkit.errors import TokensUnavailable


class MalformedSecret(MalformedSecretValue):
    """The secret's value is not ``{"seed": ..., "previous_seed": ...}``."""


@dataclass(frozen=True, slots=True)
class _Keys:
    tokens: tuple[str, ...]
    signing_keys: tuple[bytes, ...]  # the current seed's first


class SecretsManagerTokens(SecretCache[_Keys]):
    """``TokenSource`` backed by one Secrets Manager secret per customer."""

    what = "tokens"
    logger = logging.getLogger("pivotkit.tokens")

    @classmethod
    def from_secret_ids(cls, secret_ids: Mapping[str, str]) -> SecretsManagerTokens:
        """The deployed source: the process's shared client, built on first use."""
        return cls(secret_ids)

    def tokens_for(self, customer: str) -> tuple[str, ...]:
        keys = self._current(customer)
        return () if keys is None else keys.tokens

    def signing_keys_for(self, customer: str) -> tuple[bytes, ...]:
        keys = self._current(customer)
        return () if keys is None else keys.signing_keys

    def _current(self, customer: str) -> _Keys | None:
        secret_id = self.secret_ids.get(customer)
        if secret_id is None:
            # No secret configured: nobody can authenticate as this customer (401).
            return None
        try:
            return self.value_for(customer, secret_id)
        except SecretUnreadable as error:
            self.logger.error("tokens of %s unreadable (%s): %s", customer, secret_id, error.reason)
            raise TokensUnavailable(f"tokens of {customer!r} could not be read") from error

    def parse(self, text: str) -> _Keys:
        credentials = parse_secret(text)
        return _Keys(
            tokens=tuple(c.token for c in credentials),
            signing_keys=tuple(c.signing_key for c in credentials),
        )


def parse_secret(text: str) -> tuple[Credentials, ...]:
    """The credentials of a secret value ``{"seed": ..., "previous_seed": ...}``, the current
    seed's first. Seeds are used exactly as stored (a seed is key material, not text to
    tidy); ``previous_seed`` may be absent, ``null`` or ``""`` once a rotation is over."""
    value = json_object(text, MalformedSecret)
    if "tokens" in value:
        raise MalformedSecret('the former {"tokens": [...]} shape; store {"seed": ...}')
    unknown = set(value) - {"seed", "previous_seed"}
    if unknown:  # how many, not which: a mistyped secret may hold a value where a key goes
        raise MalformedSecret(f"{len(unknown)} unexpected key(s); expected seed, previous_seed")
    seed, previous = value.get("seed"), value.get("previous_seed")
    if not isinstance(seed, str) or not seed:
        raise MalformedSecret('"seed" must be a non-empty string')
    if previous is not None and not isinstance(previous, str):
        raise MalformedSecret('"previous_seed" must be a string when present')
    seeds = (seed, previous) if previous and previous != seed else (seed,)
    return tuple(derive_credentials(s) for s in seeds)
