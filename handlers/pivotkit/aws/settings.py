"""Settings of a deployed (or locally served) function, read once from the environment."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field


@dataclass(frozen=True)
class Settings:
    customer: str | None = None
    state_table: str | None = None
    media_bucket: str | None = None
    tokens_json: str | None = None
    token_secrets: Mapping[str, str] = field(default_factory=dict)
    public_url: str | None = None

    @classmethod
    def from_env(cls, environ: Mapping[str, str]) -> Settings:
        secrets_text = environ.get("PIVOTKIT_TOKENS_SECRETS") or "{}"
        token_secrets = json.loads(secrets_text)
        if not isinstance(token_secrets, dict) or not all(
            isinstance(k, str) and isinstance(v, str) for k, v in token_secrets.items()
        ):
            raise ValueError("PIVOTKIT_TOKENS_SECRETS must be a JSON object of slug -> secret id")
        return cls(
            customer=environ.get("PIVOTKIT_CUSTOMER") or None,
            state_table=environ.get("PIVOTKIT_STATE_TABLE") or None,
            media_bucket=environ.get("PIVOTKIT_MEDIA_BUCKET") or None,
            tokens_json=environ.get("PIVOTKIT_TOKENS") or None,
            token_secrets=token_secrets,
            public_url=(environ.get("PIVOTKIT_PUBLIC_URL") or "").rstrip("/") or None,
        )
