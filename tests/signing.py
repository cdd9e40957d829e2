"""Continuation URLs written by hand in tests, signed as the engine would sign them."""

from __future__ import annotations

from urllib.parse import parse_qsl, urlsplit

from pivotkit.continuation import sign_url
from pivotkit.customers import token_signing_key
from pivotkit.local.kazoo_encoding import KazooCall


def signed(url: str, call: KazooCall, token: str | None = None) -> str:
    """``url`` with the ``sig`` that makes it a valid continuation of ``call``, under the
    key that goes with ``token`` (default: the URL's own ``token``), the local convention
    of ``StaticTokens``."""
    if token is None:
        token = dict(parse_qsl(urlsplit(url).query))["token"]
    key = token_signing_key(token)
    return sign_url(url, key, account_id=call.account_id, call_id=call.call_id)
