"""A customer's seed gives its token and its continuation-signing key, independently."""

from __future__ import annotations

import hashlib
import hmac

import pytest

from pivotkit.customers import StaticTokens, derive_credentials, token_signing_key


def test_token_is_40_url_safe_hex_characters_and_stable() -> None:
    first = derive_credentials("seed-one")
    assert first == derive_credentials("seed-one")
    assert len(first.token) == 40
    assert all(c in "0123456789abcdef" for c in first.token)


def test_different_seeds_give_different_credentials() -> None:
    a, b = derive_credentials("seed-one"), derive_credentials("seed-two")
    assert a.token != b.token
    assert a.signing_key != b.signing_key


def test_the_token_is_not_the_signing_key_nor_keyed_by_it() -> None:
    credentials = derive_credentials("seed-one")
    assert credentials.signing_key != credentials.token.encode()
    # Whoever holds the token (it is in every URL) cannot compute the key from it.
    for label in (b"pivotkit continuation signing v1", b"pivotkit token v1"):
        forged = hmac.new(credentials.token.encode(), label, hashlib.sha256).digest()
        assert forged != credentials.signing_key


def test_an_empty_seed_is_refused() -> None:
    with pytest.raises(ValueError, match="empty"):
        derive_credentials("")


def test_static_tokens_sign_with_a_key_derived_from_each_token() -> None:
    """The local convention (PIVOTKIT_TOKENS, local-<slug>): one key per token, in order."""
    tokens = StaticTokens({"acme": ["t1", "t2"]})
    assert tokens.signing_keys_for("acme") == (token_signing_key("t1"), token_signing_key("t2"))
    assert token_signing_key("t1") != token_signing_key("t2")
    assert len(token_signing_key("t1")) == 32
    assert tokens.signing_keys_for("nobody") == ()


def test_static_tokens_from_seeds_hold_what_the_deployed_secret_gives() -> None:
    tokens = StaticTokens.from_seeds({"acme": ["current", "previous"]})
    current, previous = derive_credentials("current"), derive_credentials("previous")
    assert tokens.tokens_for("acme") == (current.token, previous.token)
    assert tokens.signing_keys_for("acme") == (current.signing_key, previous.signing_key)
    # A seed's key is not the key a bare token would have.
    assert current.signing_key != token_signing_key(current.token)
