"""A customer's own secrets (``call.secrets``) from AWS Secrets Manager.

Each customer that declares secrets has one secret of its own (``PIVOTKIT_SECRETS`` maps
slug -> secret ARN; the customer's stack creates it, and only that customer's role may read
it) whose value is a JSON object, declared name -> string value. It is read on the first
``call.secrets[...]`` of a process, not at cold start (a flow that reads no secret on a call
costs no Secrets Manager call), and kept for ``ttl_seconds``: a value set with
``put-secret-value`` reaches every warm function within that time, without a redeploy.

As for the credentials secret (``pivotkit.aws.secrets_tokens``): a failed refresh keeps
the values already held and tries again after ``retry_after_seconds``; only with nothing to
fall back on does a read fail, with ``SecretMissing``, which ``call.secrets`` turns into a
503 ``secret_unavailable`` and one log line naming the customer, the secret and the reason.
A name absent from the object is reported the same way. Nothing from the value (a key that
is not declared, a value of the wrong type, the text of malformed JSON) reaches a log line.
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
from pivotkit.errors import SecretMissing

if TYPE_CHECKING:
    from mypy_boto3_secretsmanager.client import SecretsManagerClient

    from pivotkit.customers import Customer

logger = logging.getLogger("pivotkit.secrets")

DEFAULT_TTL_SECONDS = 300.0
# The stack creates the secret without a value: until the operator sets one, reading it
# finds no AWSCURRENT version (ResourceNotFoundException), as a deleted secret would.
_NO_VALUE_HINT = " (no value set yet? aws secretsmanager put-secret-value, docs/deploy.md)"
DEFAULT_RETRY_AFTER_SECONDS = 30.0


class MalformedSecrets(ValueError):
    """The secret's value is not a JSON object of strings."""


@dataclass(frozen=True, slots=True)
class _Cached:
    values: Mapping[str, str]
    refresh_at: float  # monotonic time after which the secret is read again


class SecretsManagerSecrets:
    """``SecretSource`` backed by one Secrets Manager secret per customer."""

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

    def secret_for(self, customer: Customer, name: str) -> str:
        secret_id = self.secret_ids.get(customer.slug)
        if secret_id is None:
            raise SecretMissing("no secret is configured for this customer (PIVOTKIT_SECRETS)")
        cached = self._current(customer.slug, secret_id)
        value = cached.values.get(name)
        if value is None:
            raise SecretMissing(
                f"not set in {secret_id} (aws secretsmanager put-secret-value, docs/deploy.md)"
            )
        return value

    def _current(self, slug: str, secret_id: str) -> _Cached:
        cached = self._cache.get(slug)
        if cached is not None and self._monotonic() < cached.refresh_at:
            return cached
        # One reader per customer; concurrent calls wait for its result.
        with self._lock_for(slug):
            cached = self._cache.get(slug)
            if cached is not None and self._monotonic() < cached.refresh_at:
                return cached
            return self._refresh(slug, secret_id, cached)

    def _refresh(self, slug: str, secret_id: str, stale: _Cached | None) -> _Cached:
        try:
            values = self._read(secret_id)
        except (ClientError, BotoCoreError, MalformedSecrets) as error:
            reason = _describe(error)
            if stale is None:
                hint = _NO_VALUE_HINT if reason == "ResourceNotFoundException" else ""
                raise SecretMissing(f"{secret_id} unreadable: {reason}{hint}") from None
            logger.warning(
                "secrets of %s not refreshed (%s): %s; keeping the ones held",
                slug,
                secret_id,
                reason,
            )
            fresh = replace(stale, refresh_at=self._monotonic() + self.retry_after_seconds)
        else:
            fresh = _Cached(values, refresh_at=self._monotonic() + self.ttl_seconds)
        self._cache[slug] = fresh
        return fresh

    def _read(self, secret_id: str) -> Mapping[str, str]:
        response = self._secrets_client().get_secret_value(SecretId=secret_id)
        text = response.get("SecretString")
        if text is None:
            raise MalformedSecrets("the secret has no string value (binary secrets are not read)")
        return parse_secrets(text)

    def _secrets_client(self) -> SecretsManagerClient:
        if self._client is None:
            self._client = self._client_factory()
        return self._client

    def _lock_for(self, slug: str) -> threading.Lock:
        with self._guard:
            return self._locks.setdefault(slug, threading.Lock())


def parse_secrets(text: str) -> Mapping[str, str]:
    """The secret's value, ``{"name": "value", ...}``. Values are kept exactly as stored;
    an empty string counts as not set."""
    try:
        parsed = json.loads(text)
    except ValueError:
        raise MalformedSecrets("the secret is not a JSON object") from None
    if not isinstance(parsed, dict):
        raise MalformedSecrets("the secret is not a JSON object")
    wrong = [key for key, value in parsed.items() if not isinstance(value, str)]
    if wrong:  # how many, not which: a mistyped secret may hold a value where a key goes
        raise MalformedSecrets(f"{len(wrong)} value(s) are not strings")
    return {key: value for key, value in parsed.items() if value}


def _describe(error: Exception) -> str:
    """What went wrong, without anything from the secret's value."""
    if isinstance(error, ClientError):
        return str(error.response.get("Error", {}).get("Code", "ClientError"))
    if isinstance(error, MalformedSecrets):
        return f"malformed secret: {error}"
    return type(error).__name__
