"""Customers: who we answer for, how they authenticate, and how they are found.

A customer is a package ``customers.<slug>`` (the operator's) or ``examples.<slug>`` (the
kit's examples) exporting ``customer = Customer(...)``. Tokens
and continuation-signing keys never live in code: a ``TokenSource`` supplies them
(environment locally, Secrets Manager when deployed), and every customer may have two valid
tokens and two signing keys at once so they can be rotated without dropping calls.
"""

from __future__ import annotations

import hashlib
import hmac
import importlib
import importlib.util
import json
import pkgutil
import re
import sys
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Protocol

from pivotkit.callflow import Node, hangup
from pivotkit.errors import Forbidden, Unauthorized

if TYPE_CHECKING:
    from pydantic import BaseModel

    from pivotkit.call_events import CallEvent
    from pivotkit.flow import Flow
    from pivotkit.media.app import StoredMedia

SLUG_PATTERN = re.compile(r"^[a-z][a-z0-9_]{0,47}$")
# A secret's name: one environment variable word (PIVOTKIT_SECRET_<SLUG>_<NAME>) and one key
# of the customer's secret.
SECRET_NAME_PATTERN = re.compile(r"^[a-z][a-z0-9_]{0,63}$")
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
    # Runs when Kazoo's webhook says a channel of the customer's calls was destroyed (the
    # caller hung up, or the call ended), with how and after how long (``CallEvent``). It
    # runs before Kazoo gets its 200, under a 3 s limit; if it raises or overruns, the error
    # is logged and Kazoo still gets its 200. Kazoo may rarely send one event twice.
    on_call_end: Callable[[CallEvent], None] | None = None
    # Write this customer's calls to the call journal (``pivotkit.journal``): False opts out.
    journal: bool = True
    # Typed configuration: a pydantic model whose values, per stage, are in
    # ``config/<stage>.toml`` beside the module that declares the customer; steps read
    # ``call.config`` (``pivotkit.config``). None: no configuration, and no pydantic import.
    config_model: type[BaseModel] | None = None
    # The names of the secrets its steps read as ``call.secrets[name]`` (API keys). Their
    # values never live in code or config: Secrets Manager deployed, locally the environment
    # or ``secrets.local.toml`` (``pivotkit.secrets``).
    secrets: tuple[str, ...] = ()
    # The module that declares this customer (``customers.dental``): its directory holds
    # ``config/`` and ``secrets.local.toml``. Default: the module that calls ``Customer(...)``.
    module: str | None = None

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
        if self.config_model is not None and not (
            isinstance(self.config_model, type) and hasattr(self.config_model, "model_validate")
        ):
            raise TypeError("config_model must be a pydantic model class (a BaseModel subclass)")
        object.__setattr__(self, "secrets", _secret_names(self.secrets))
        if self.module is None:
            object.__setattr__(self, "module", _declaring_module())

    def allows_account(self, account_id: str) -> bool:
        return not self.allowed_account_ids or account_id.lower() in self.allowed_account_ids

    def check_account(self, account_id: str) -> None:
        """Raise ``Forbidden`` unless this Kazoo account may use the customer's endpoints."""
        if not self.allows_account(account_id):
            raise Forbidden("this Kazoo account may not use this endpoint")


def _secret_names(names: object) -> tuple[str, ...]:
    if isinstance(names, str) or not isinstance(names, Iterable):
        raise TypeError('secrets must be a tuple of names, e.g. secrets=("booking_api_key",)')
    checked = tuple(names)
    for name in checked:
        if not isinstance(name, str) or not SECRET_NAME_PATTERN.match(name):
            raise ValueError(
                f"secret name {name!r} must be lower-case letters, digits and _"
                " (starting with a letter, at most 64 characters)"
            )
    if len(set(checked)) != len(checked):
        raise ValueError("a secret is named twice in secrets=")
    return checked


def _declaring_module() -> str:
    """The module whose code called ``Customer(...)``: the first frame outside this module
    (the dataclass's generated ``__init__`` runs with this module's globals)."""
    frame = sys._getframe(1)
    while frame is not None and frame.f_globals.get("__name__") in (__name__, "dataclasses"):
        frame = frame.f_back  # type: ignore[assignment]
    name = frame.f_globals.get("__name__") if frame is not None else None
    return name if isinstance(name, str) else "__main__"


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


def check_token(tokens: TokenSource, customer: str, presented: str) -> None:
    """Raise ``Unauthorized`` unless ``presented`` is one of the customer's valid tokens: the
    check every endpoint (Pivot, media, call webhooks) makes before it reads the request."""
    valid = tokens.tokens_for(customer)
    if not presented or not valid or not token_matches(presented, valid):
        raise Unauthorized("missing or wrong token")


def token_matches(presented: str, valid: Iterable[str]) -> bool:
    """Constant-time comparison against every valid token (no early exit on a match)."""
    given = presented.encode("utf-8", "surrogatepass")
    matched = False
    for token in valid:
        matched |= hmac.compare_digest(given, token.encode("utf-8"))
    return matched


# Where customer packages live: the operator's own, then the kit's examples. A slug names one
# package in one of them; the same slug in both is refused (which would answer its calls?).
OPERATOR_PACKAGE = "customers"
EXAMPLES_PACKAGE = "examples"
CUSTOMER_PACKAGES = (OPERATOR_PACKAGE, EXAMPLES_PACKAGE)


class CustomerClash(ValueError):
    """One slug is a package in two customer packages (``customers.x`` and ``examples.x``)."""


def customer_modules(
    packages: Iterable[str] = CUSTOMER_PACKAGES, only: str | None = None
) -> dict[str, str]:
    """slug -> module name (``customers.dental``, ``examples.acme``) of every customer
    package, or of ``only``, found without importing any customer.

    A package root that is not importable holds no customers (a deployed function's asset
    has only its own customer's). ``only`` that is in none raises ``ModuleNotFoundError``
    naming ``customers.<only>``.
    """
    found: dict[str, list[str]] = {}
    for package in packages:
        try:
            root = importlib.import_module(package)
        except ModuleNotFoundError as exc:
            if exc.name != package:
                raise
            continue
        if only is not None:
            if importlib.util.find_spec(f"{package}.{only}") is not None:
                found.setdefault(only, []).append(f"{package}.{only}")
            continue
        for module in pkgutil.iter_modules(root.__path__):
            if not module.name.startswith("_"):
                found.setdefault(module.name, []).append(f"{package}.{module.name}")
    clashes = {slug: names for slug, names in found.items() if len(names) > 1}
    if clashes:
        listed = "; ".join(" and ".join(names) for names in clashes.values())
        raise CustomerClash(
            f"a customer slug must be unique across {', '.join(packages)}: {listed};"
            " rename your customer (the examples keep their names)"
        )
    if only is not None and only not in found:
        first = next(iter(packages), OPERATOR_PACKAGE)
        raise ModuleNotFoundError(f"No module named '{first}.{only}'", name=f"{first}.{only}")
    return {slug: names[0] for slug, names in sorted(found.items())}


def discover_customers(
    packages: str | Iterable[str] = CUSTOMER_PACKAGES, only: str | None = None
) -> dict[str, Customer]:
    """Import each customer module (``customers.<slug>``, ``examples.<slug>``) and collect
    its ``customer`` object.

    With ``only`` (a deployed function serves one customer) just that module is imported,
    which keeps cold starts independent of how many customers the kit holds.
    """
    roots = (packages,) if isinstance(packages, str) else tuple(packages)
    found: dict[str, Customer] = {}
    for name, module_name in customer_modules(roots, only).items():
        module = importlib.import_module(module_name)
        customer = getattr(module, "customer", None)
        if not isinstance(customer, Customer):
            raise TypeError(f"{module_name} must define `customer = pivotkit.Customer(...)`")
        if customer.slug != name:
            raise ValueError(f"{module_name} declares slug {customer.slug!r}; use {name!r}")
        found[name] = customer
    return found
