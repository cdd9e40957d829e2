"""Customer credentials from AWS Secrets Manager, read lazily and cached per process.

Each customer has one secret (``PIVOTKIT_TOKENS_SECRETS`` maps slug -> secret id or ARN)
whose value is ``{"seed": "<random>"}``, plus ``"previous_seed"`` while a rotation is under
way. Each seed gives a URL token and a continuation-signing key
(``pivotkit.customers.derive_credentials``): during a rotation both tokens are accepted and
both keys verify continuations, while new continuations are signed with the current seed's
key, so calls in progress when the seed changes carry on. Nothing else is read: a value of
another shape (the former ``{"tokens": [...]}`` included) is a malformed secret.

A secret is read on the first request for its customer (a function serves one customer,
so that is one read per cold start) and kept for ``ttl_seconds``: a rotation reaches every
warm function within that time, with no redeploy. When a refresh fails, the tokens already
held keep being used (a Secrets Manager hiccup must not turn into failed calls) and the
read is tried again after ``retry_after_seconds``. Only when there is nothing to fall back
on does a request fail, with ``TokensUnavailable`` (503): a secret we cannot read is our
fault, not the caller's, so it must not look like a wrong token (401).

Secret values never reach logs or error messages.
"""

from __future__ import annotations

import json
import logging
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

from botocore.exceptions import BotoCoreError, ClientError

from pivotkit.aws.clients import secretsmanager_client
from pivotkit.customers import Credentials, derive_credentials
from pivotkit.errors import TokensUnavailable

if TYPE_CHECKING:
    from mypy_boto3_secretsmanager.client import SecretsManagerClient

logger = logging.getLogger("pivotkit.tokens")

DEFAULT_TTL_SECONDS = 300.0
DEFAULT_RETRY_AFTER_SECONDS = 30.0


class MalformedSecret(ValueError):
    """The secret's value is not ``{"seed": ..., "previous_seed": ...}``."""


@dataclass(frozen=True, slots=True)
class _Cached:
    tokens: tuple[str, ...]
    signing_keys: tuple[bytes, ...]  # the current seed's first
    refresh_at: float  # monotonic time after which the secret is read again


class SecretsManagerTokens:
    """``TokenSource`` backed by one Secrets Manager secret per customer."""

    def __init__(
        self,
        secret_ids: Mapping[str, str],
        client: SecretsManagerClient | None = None,
        *,
        client_factory: Callable[[], SecretsManagerClient] = secretsmanager_client,
        ttl_seconds: float = DEFAULT_TTL_SECONDS,
        retry_after_seconds: float = DEFAULT_RETRY_AFTER_SECONDS,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        """Without ``client``, ``client_factory`` builds one on the first read."""
        self.secret_ids = dict(secret_ids)
        self._client = client
        self._client_factory = client_factory
        self.ttl_seconds = ttl_seconds
        self.retry_after_seconds = retry_after_seconds
        self._monotonic = monotonic
        self._cache: dict[str, _Cached] = {}
        self._guard = threading.Lock()
        self._locks: dict[str, threading.Lock] = {}

    @classmethod
    def from_secret_ids(cls, secret_ids: Mapping[str, str]) -> SecretsManagerTokens:
        """The deployed source: the process's shared client, built on first use."""
        return cls(secret_ids)

    def tokens_for(self, customer: str) -> tuple[str, ...]:
        cached = self._current(customer)
        return () if cached is None else cached.tokens

    def signing_keys_for(self, customer: str) -> tuple[bytes, ...]:
        cached = self._current(customer)
        return () if cached is None else cached.signing_keys

    def _current(self, customer: str) -> _Cached | None:
        secret_id = self.secret_ids.get(customer)
        if secret_id is None:
            # No secret configured: nobody can authenticate as this customer (401).
            return None
        cached = self._cache.get(customer)
        if cached is not None and self._monotonic() < cached.refresh_at:
            return cached
        # One reader per customer; the others wait for its result rather than piling up.
        with self._lock_for(customer):
            cached = self._cache.get(customer)
            if cached is not None and self._monotonic() < cached.refresh_at:
                return cached
            return self._refresh(customer, secret_id, cached)

    def _refresh(self, customer: str, secret_id: str, stale: _Cached | None) -> _Cached:
        try:
            credentials = self._read(secret_id)
        except (ClientError, BotoCoreError, MalformedSecret) as error:
            reason = _describe(error)
            if stale is None:
                logger.error("tokens of %s unreadable (%s): %s", customer, secret_id, reason)
                raise TokensUnavailable(f"tokens of {customer!r} could not be read") from error
            logger.warning(
                "tokens of %s not refreshed (%s): %s; keeping the ones held",
                customer,
                secret_id,
                reason,
            )
            fresh = replace(stale, refresh_at=self._monotonic() + self.retry_after_seconds)
        else:
            fresh = _Cached(
                tokens=tuple(c.token for c in credentials),
                signing_keys=tuple(c.signing_key for c in credentials),
                refresh_at=self._monotonic() + self.ttl_seconds,
            )
        self._cache[customer] = fresh
        return fresh

    def _read(self, secret_id: str) -> tuple[Credentials, ...]:
        response = self._secrets_client().get_secret_value(SecretId=secret_id)
        text = response.get("SecretString")
        if text is None:
            raise MalformedSecret("the secret has no string value (binary secrets are not read)")
        return parse_secret(text)

    def _secrets_client(self) -> SecretsManagerClient:
        if self._client is None:
            self._client = self._client_factory()
        return self._client

    def _lock_for(self, customer: str) -> threading.Lock:
        with self._guard:
            return self._locks.setdefault(customer, threading.Lock())


def parse_secret(text: str) -> tuple[Credentials, ...]:
    """The credentials of a secret value ``{"seed": ..., "previous_seed": ...}``, the current
    seed's first. Seeds are used exactly as stored (a seed is key material, not text to
    tidy); ``previous_seed`` may be absent, ``null`` or ``""`` once a rotation is over."""
    try:
        value = json.loads(text)
    except ValueError:
        raise MalformedSecret("the secret is not a JSON object") from None
    if not isinstance(value, dict):
        raise MalformedSecret("the secret is not a JSON object")
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


def _describe(error: Exception) -> str:
    """What went wrong, without anything from the secret's value."""
    if isinstance(error, ClientError):
        return str(error.response.get("Error", {}).get("Code", "ClientError"))
    if isinstance(error, MalformedSecret):
        return f"malformed secret: {error}"
    return type(error).__name__
