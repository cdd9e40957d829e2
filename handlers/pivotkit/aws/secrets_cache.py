"""One Secrets Manager secret per customer, read on first use and cached per process: what
the credentials (``secrets_tokens``) and the customers' own secrets (``secrets_values``)
share.

A secret is read when a customer's value is first asked for and kept for ``ttl_seconds``,
so a new value reaches every warm function within that time, without a redeploy. One
reader per customer at a time: concurrent requests wait for its result rather than piling
up on Secrets Manager. When a refresh fails, the value already held keeps being used (a
Secrets Manager hiccup must not turn into failed calls) and the read is tried again after
``retry_after_seconds``; only a first read that fails raises (``SecretUnreadable``), and
the caller says what that means for its request. Nothing from a value reaches a log line
or an error message: a reason is an error code or a parser's own message.
"""

from __future__ import annotations

import json
import logging
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import KW_ONLY, dataclass, field
from typing import TYPE_CHECKING, Any, ClassVar, Generic, TypeVar

from botocore.exceptions import BotoCoreError, ClientError

from pivotkit.aws.clients import secretsmanager_client

if TYPE_CHECKING:
    from mypy_boto3_secretsmanager.client import SecretsManagerClient

DEFAULT_TTL_SECONDS = 300.0
DEFAULT_RETRY_AFTER_SECONDS = 30.0

Value = TypeVar("Value")


class MalformedSecretValue(ValueError):
    """A secret's value is not of the shape its reader expects; the message says how,
    never with anything from the value."""


def json_object(text: str, malformed: type[MalformedSecretValue]) -> dict[str, Any]:
    """A secret's text read as the JSON object both readers store; ``malformed`` (the
    reader's own ``MalformedSecretValue``) is raised for anything else."""
    try:
        value = json.loads(text)
    except ValueError:
        raise malformed("the secret is not a JSON object") from None
    if not isinstance(value, dict):
        raise malformed("the secret is not a JSON object")
    return value


class SecretUnreadable(Exception):
    """The first read of a customer's secret failed; ``reason`` says why (safe to log)."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True, slots=True)
class _Held(Generic[Value]):
    value: Value
    refresh_at: float  # monotonic time after which the secret is read again


@dataclass(eq=False)
class SecretCache(Generic[Value]):
    """Parsed secret values per customer, each read from the secret ``secret_ids`` names for
    it (slug -> secret id or ARN). A reader subclasses it: ``parse`` turns a secret's text
    into its value, ``what`` and ``logger`` say what its log lines call the values and where
    they go. Without ``client``, ``client_factory`` builds one on the first read. Tests tune
    the cache with a fake ``monotonic`` clock and short times."""

    what: ClassVar[str]
    logger: ClassVar[logging.Logger]

    secret_ids: Mapping[str, str]
    client: SecretsManagerClient | None = None
    _: KW_ONLY
    client_factory: Callable[[], SecretsManagerClient] = secretsmanager_client
    ttl_seconds: float = DEFAULT_TTL_SECONDS
    retry_after_seconds: float = DEFAULT_RETRY_AFTER_SECONDS
    monotonic: Callable[[], float] = time.monotonic
    _held: dict[str, _Held[Value]] = field(default_factory=dict, init=False)
    _guard: threading.Lock = field(default_factory=threading.Lock, init=False)
    _locks: dict[str, threading.Lock] = field(default_factory=dict, init=False)

    def parse(self, text: str) -> Value:
        """The value of a secret's text; raises ``MalformedSecretValue`` for one of another
        shape."""
        raise NotImplementedError

    def value_for(self, customer: str, secret_id: str) -> Value:
        """The customer's value, read from ``secret_id`` when none is held or it is due for a
        refresh; raises ``SecretUnreadable`` when there is nothing to fall back on."""
        held = self._held.get(customer)
        if held is not None and self.monotonic() < held.refresh_at:
            return held.value
        with self._lock_for(customer):
            held = self._held.get(customer)
            if held is not None and self.monotonic() < held.refresh_at:
                return held.value
            return self._refresh(customer, secret_id, held)

    def _refresh(self, customer: str, secret_id: str, stale: _Held[Value] | None) -> Value:
        try:
            value = self._read(secret_id)
        except (ClientError, BotoCoreError, MalformedSecretValue) as error:
            reason = _describe(error)
            if stale is None:
                raise SecretUnreadable(reason) from error
            self.logger.warning(
                "%s of %s not refreshed (%s): %s; keeping the ones held",
                self.what,
                customer,
                secret_id,
                reason,
            )
            value, wait = stale.value, self.retry_after_seconds
        else:
            wait = self.ttl_seconds
        self._held[customer] = _Held(value, refresh_at=self.monotonic() + wait)
        return value

    def _read(self, secret_id: str) -> Value:
        if self.client is None:
            self.client = self.client_factory()
        text = self.client.get_secret_value(SecretId=secret_id).get("SecretString")
        if text is None:
            raise MalformedSecretValue(
                "the secret has no string value (binary secrets are not read)"
            )
        return self.parse(text)

    def _lock_for(self, customer: str) -> threading.Lock:
        with self._guard:
            return self._locks.setdefault(customer, threading.Lock())


def _describe(error: Exception) -> str:
    """What went wrong, without anything from the secret's value."""
    if isinstance(error, ClientError):
        return str(error.response.get("Error", {}).get("Code", "ClientError"))
    if isinstance(error, MalformedSecretValue):
        return f"malformed secret: {error}"
    return type(error).__name__
