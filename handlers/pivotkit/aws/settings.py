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
    # The stage whose configuration files steps read (call.config); the stack sets it.
    stage: str = "dev"
    # slug -> Secrets Manager secret of the customer's own secrets (call.secrets); empty:
    # the local ones (environment, secrets.local.toml).
    customer_secrets: Mapping[str, str] = field(default_factory=dict)

    @classmethod
    def from_env(cls, environ: Mapping[str, str]) -> Settings:
        token_secrets = _secret_ids(environ, "PIVOTKIT_TOKENS_SECRETS")
        stage = environ.get("PIVOTKIT_STAGE") or "dev"
        if stage not in ("dev", "prod"):  # pivotkit.config.STAGES, not imported for this
            raise ValueError(f"PIVOTKIT_STAGE must be dev or prod, not {stage!r}")
        return cls(
            customer=environ.get("PIVOTKIT_CUSTOMER") or None,
            state_table=environ.get("PIVOTKIT_STATE_TABLE") or None,
            media_bucket=environ.get("PIVOTKIT_MEDIA_BUCKET") or None,
            tokens_json=environ.get("PIVOTKIT_TOKENS") or None,
            token_secrets=token_secrets,
            public_url=(environ.get("PIVOTKIT_PUBLIC_URL") or "").rstrip("/") or None,
            stage=stage,
            customer_secrets=_secret_ids(environ, "PIVOTKIT_SECRETS"),
        )


def _secret_ids(environ: Mapping[str, str], variable: str) -> dict[str, str]:
    parsed = json.loads(environ.get(variable) or "{}")
    if not isinstance(parsed, dict) or not all(
        isinstance(k, str) and isinstance(v, str) for k, v in parsed.items()
    ):
        raise ValueError(f"{variable} must be a JSON object of slug -> secret id")
    return parsed
