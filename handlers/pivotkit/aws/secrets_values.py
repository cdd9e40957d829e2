"""A customer's own secrets (``call.secrets``) from AWS Secrets Manager.

Each customer that declares secrets has one secret of its own (``PIVOTKIT_SECRETS`` maps
slug -> secret ARN; the customer's stack creates it, and only that customer's role may read
it) whose value is a JSON object, declared name -> string value. It is read on the first
``call.secrets[...]`` of a process, not at cold start (a flow that reads no secret on a call
costs no Secrets Manager call), and kept for ``ttl_seconds``: a value set with
``put-secret-value`` reaches every warm function within that time, without a redeploy.

Cached as the credentials secret is (``pivotkit.aws.secrets_cache``): a failed refresh
keeps the values already held; only with nothing to fall back on does a read fail, with
``SecretMissing``, which ``call.secrets`` turns into a 503 ``secret_unavailable`` and one
log line naming the customer, the secret and the reason. A name absent from the object is
reported the same way. Nothing from the value (a key that is not declared, a value of the
wrong type, the text of malformed JSON) reaches a log line.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import TYPE_CHECKING

from pivotkit.aws.secrets_cache import (
    MalformedSecretValue,
    SecretCache,
    SecretUnreadable,
    json_object,
)
from pivotkit.errors import SecretMissing

if TYPE_CHECKING:
    from pivotkit.customers import Customer

# The stack creates the secret without a value: until the operator sets one, reading it
# finds no AWSCURRENT version (ResourceNotFoundException), as a deleted secret would.
_NO_VALUE_HINT = " (no value set yet? aws secretsmanager put-secret-value, docs/deploy.md)"


class MalformedSecrets(MalformedSecretValue):
    """The secret's value is not a JSON object of strings."""


class SecretsManagerSecrets(SecretCache[Mapping[str, str]]):
    """``SecretSource`` backed by one Secrets Manager secret per customer."""

    what = "secrets"
    logger = logging.getLogger("pivotkit.secrets")

    def secret_for(self, customer: Customer, name: str) -> str:
        secret_id = self.secret_ids.get(customer.slug)
        if secret_id is None:
            raise SecretMissing("no secret is configured for this customer (PIVOTKIT_SECRETS)")
        try:
            values = self.value_for(customer.slug, secret_id)
        except SecretUnreadable as error:
            hint = _NO_VALUE_HINT if error.reason == "ResourceNotFoundException" else ""
            raise SecretMissing(f"{secret_id} unreadable: {error.reason}{hint}") from None
        value = values.get(name)
        if value is None:
            raise SecretMissing(
                f"not set in {secret_id} (aws secretsmanager put-secret-value, docs/deploy.md)"
            )
        return value

    def parse(self, text: str) -> Mapping[str, str]:
        """The secret's value, ``{"name": "value", ...}``. Values are kept exactly as stored;
        an empty string counts as not set."""
        parsed = json_object(text, MalformedSecrets)
        wrong = [key for key, value in parsed.items() if not isinstance(value, str)]
        if wrong:  # how many, not which: a mistyped secret may hold a value where a key goes
            raise MalformedSecrets(f"{len(wrong)} value(s) are not strings")
        return {key: value for key, value in parsed.items() if value}
