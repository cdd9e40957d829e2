"""Local tokens: the convention shared by ``serve``, ``replay``, ``call`` and sample events.

Unless ``PIVOTKIT_TOKENS`` says otherwise, customer ``<slug>`` accepts the token
``local-<slug>`` on this machine. Sample events under ``events/`` carry that token, so
they replay anywhere without configuration, and a token printed by ``serve`` can be pasted
into a Kazoo callflow pointing at a tunnel. Deployed functions never use these: their
tokens come from Secrets Manager.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping

from pivotkit.customers import StaticTokens

LOCAL_TOKEN_PREFIX = "local-"  # noqa: S105 - a public convention, not a secret


def local_token(slug: str) -> str:
    return f"{LOCAL_TOKEN_PREFIX}{slug}"


def local_tokens(slugs: Iterable[str], environ: Mapping[str, str]) -> dict[str, tuple[str, ...]]:
    """Each customer's valid tokens: ``PIVOTKIT_TOKENS`` when set, else ``local-<slug>``."""
    configured = environ.get("PIVOTKIT_TOKENS")
    if configured:
        source = StaticTokens.from_json(configured)
        return {slug: source.tokens_for(slug) for slug in slugs}
    return {slug: (local_token(slug),) for slug in slugs}


def tokens_json(tokens: Mapping[str, Iterable[str]]) -> str:
    """The ``PIVOTKIT_TOKENS`` value the handlers read."""
    return json.dumps({slug: list(values) for slug, values in tokens.items()}, sort_keys=True)
