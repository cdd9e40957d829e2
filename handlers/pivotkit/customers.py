"""Customers: who we answer for, how they authenticate, and how they are found.

A customer is a package ``customers.<slug>`` exporting ``customer = Customer(...)``. Tokens
and continuation-signing keys never live in code: a ``TokenSource`` supplies them
(environment locally, Secrets Manager when deployed), and every customer may have two valid
tokens and two signing keys at once so they can be rotated without dropping calls.
"""

from __future__ import annotations

import hashlib
import hmac
import importlib
import json
import pkgutil
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Protocol

from pivotkit.callflow import Node, hangup

if TYPE_CHECKING:
    from pivotkit.flow import Flow
    from pivotkit.media import StoredMedia

SLUG_PATTERN = re.compile(r"^[a-z][a-z0-9_]{0,47}$")
DEFAULT_FALLBACK_MESSAGE = "Sorry, we are having trouble with your call."


@dataclass(frozen=True)
class Customer:
    """One customer's endpoint: its flow and the rules around it."""

    slug: str
    flow: Flow
    # Kazoo accounts allowed to call this endpoint; empty = any account holding the token.
    allowed_account_ids: frozenset[str] = field(default_factory=frozenset)
    # What a caller gets when a later Pivot request fails: the message, then this target.
    fallback_message: str = DEFAULT_FALLBACK_MESSAGE
    fallback_target: Callable[[], Node] = hangup
    # How long a call's state is kept after its last change.
    state_ttl_seconds: int = 4 * 3600
    # req_timeout_ms of the pivot nodes the kit emits (Kazoo's maximum is 5000).
    request_timeout_ms: int = 5000
    # Runs after media (a recording, voicemail, fax) is stored and Kazoo has its 2xx, in
    # another invocation (pivotkit.deferred): transcribe it, post it to a chat, attach it to
    # a CRM. It gets the object's key and metadata (``StoredMedia.read()`` for the bytes).
    # If it raises, the object stays; deployed, Lambda retries it twice, then dead-letters it.
    on_media_stored: Callable[[StoredMedia], None] | None = None

    def __post_init__(self) -> None:
        if not SLUG_PATTERN.match(self.slug):
            raise ValueError(
                f"customer slug {self.slug!r} must be lower-case letters, digits and _"
                " (starting with a letter, at most 48 characters)"
            )
        if not 60 <= self.state_ttl_seconds <= 7 * 86400:
            raise ValueError("state_ttl_seconds must be between 60 s and 7 days")
        if not 1 <= self.request_timeout_ms <= 5000:
            raise ValueError("request_timeout_ms must be between 1 and 5000")
        object.__setattr__(
            self, "allowed_account_ids", frozenset(a.lower() for a in self.allowed_account_ids)
        )

    def allows_account(self, account_id: str) -> bool:
        return not self.allowed_account_ids or account_id.lower() in self.allowed_account_ids


class TokenSource(Protocol):
    def tokens_for(self, customer: str) -> tuple[str, ...]:
        """The customer's currently valid tokens (one, or two during a rotation)."""
        ...

    def signing_keys_for(self, customer: str) -> tuple[bytes, ...]:
        """The customer's continuation-signing keys, the current one first: it signs new
        continuations, and every key verifies (two during a rotation)."""
        ...


class StaticTokens:
    """Tokens given up front: tests, local serving, or parsed from ``PIVOTKIT_TOKENS``.

    Without ``signing_keys``, each token's key is ``token_signing_key(token)``: derived from
    the token, so whoever knows the token can sign continuations. That is the local
    convention (local tokens are public knowledge anyway); a deployed customer's key comes
    from its seed (``derive_credentials``) and the token reveals nothing about it.
    """

    def __init__(
        self,
        tokens: Mapping[str, Iterable[str]],
        signing_keys: Mapping[str, Iterable[bytes]] | None = None,
    ) -> None:
        self._tokens = {slug: tuple(t for t in ts if t) for slug, ts in tokens.items()}
        if signing_keys is None:
            self._keys = {
                slug: tuple(token_signing_key(t) for t in ts) for slug, ts in self._tokens.items()
            }
        else:
            self._keys = {slug: tuple(k for k in ks if k) for slug, ks in signing_keys.items()}

    @classmethod
    def from_seeds(cls, seeds: Mapping[str, Iterable[str]]) -> StaticTokens:
        """Credentials as a deployed customer has them: from seeds, the current one first."""
        credentials = {slug: [derive_credentials(s) for s in ss] for slug, ss in seeds.items()}
        return cls(
            {slug: [c.token for c in cs] for slug, cs in credentials.items()},
            {slug: [c.signing_key for c in cs] for slug, cs in credentials.items()},
        )

    def tokens_for(self, customer: str) -> tuple[str, ...]:
        return self._tokens.get(customer, ())

    def signing_keys_for(self, customer: str) -> tuple[bytes, ...]:
        return self._keys.get(customer, ())

    @classmethod
    def from_json(cls, text: str) -> StaticTokens:
        """Parse ``{"slug": ["token", ...]}`` (a single string is accepted for one token)."""
        parsed = json.loads(text)
        if not isinstance(parsed, dict):
            raise ValueError("PIVOTKIT_TOKENS must be a JSON object of slug -> tokens")
        tokens: dict[str, list[str]] = {}
        for slug, value in parsed.items():
            values = [value] if isinstance(value, str) else value
            if not isinstance(values, list) or not all(isinstance(v, str) for v in values):
                raise ValueError(f"PIVOTKIT_TOKENS[{slug!r}] must be a string or list of strings")
            tokens[slug] = values
        return cls(tokens)


# Labels of the two credentials drawn from a customer's seed (see ``derive_credentials``).
_TOKEN_LABEL = b"pivotkit token v1"
_SIGNING_LABEL = b"pivotkit continuation signing v1"
# The local convention's label (``token_signing_key``): a key keyed by a token.
_TOKEN_KEY_LABEL = b"pivotkit token-derived continuation signing v1"
TOKEN_HEX_CHARS = 40


@dataclass(frozen=True, slots=True)
class Credentials:
    """What one seed gives a customer: the URL token Kazoo presents, and the key that signs
    continuation URLs. Knowing the token reveals nothing about the key (both are HMACs of
    the seed), so whoever reads a callflow's ``voice_url`` still cannot forge a continuation."""

    token: str
    signing_key: bytes


def derive_credentials(seed: str) -> Credentials:
    """The token (40 hex characters: URL-safe anywhere) and signing key of ``seed``.

    Deployed, a customer's one secret holds a random seed (``{"seed": ...}``, plus
    ``"previous_seed"`` while a rotation is under way), so one generated value gives both
    credentials and rotating the seed rotates both together.
    """
    if not seed:
        raise ValueError("a customer seed must not be empty")
    key = seed.encode("utf-8")
    token = hmac.new(key, _TOKEN_LABEL, hashlib.sha256).hexdigest()[:TOKEN_HEX_CHARS]
    return Credentials(token, hmac.new(key, _SIGNING_LABEL, hashlib.sha256).digest())


def token_signing_key(token: str) -> bytes:
    """The signing key that goes with a bare token (``PIVOTKIT_TOKENS``, tests): an HMAC
    keyed by the token, so it is as secret as the token and no more."""
    return hmac.new(
        token.encode("utf-8", "surrogatepass"), _TOKEN_KEY_LABEL, hashlib.sha256
    ).digest()


def token_matches(presented: str, valid: Iterable[str]) -> bool:
    """Constant-time comparison against every valid token (no early exit on a match)."""
    given = presented.encode("utf-8", "surrogatepass")
    matched = False
    for token in valid:
        matched |= hmac.compare_digest(given, token.encode("utf-8"))
    return matched


def discover_customers(package: str = "customers", only: str | None = None) -> dict[str, Customer]:
    """Import ``<package>.<slug>`` modules and collect their ``customer`` objects.

    With ``only`` (a deployed function serves one customer) just that module is imported,
    which keeps cold starts independent of how many customers the kit holds.
    """
    root = importlib.import_module(package)
    if only is not None:
        names = [only]
    else:
        names = [m.name for m in pkgutil.iter_modules(root.__path__) if not m.name.startswith("_")]
    found: dict[str, Customer] = {}
    for name in sorted(names):
        module = importlib.import_module(f"{package}.{name}")
        customer = getattr(module, "customer", None)
        if not isinstance(customer, Customer):
            raise TypeError(f"{package}.{name} must define `customer = pivotkit.Customer(...)`")
        if customer.slug != name:
            raise ValueError(f"{package}.{name} declares slug {customer.slug!r}; use {name!r}")
        found[name] = customer
    return found
