"""The one settings model of the deployed (or locally served) functions: every environment
variable the kit reads is named and parsed here, and only here (docs/ARCHITECTURE.md,
"Settings", is its table; tests/unit/aws/test_settings.py keeps the two equal).

``Settings.from_env`` is read once per cold start by the composition roots. The SDK clients
are built lazily and module-wide, so they read their few variables through
``region_from_env`` and ``sdk_timeouts`` when they are built. Nothing here imports boto3 or
Powertools: the Pivot function reads its settings before it knows whether it needs them.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from dataclasses import dataclass, field

from pivotkit.aws.redaction import CallerIdMode

CUSTOMER = "PIVOTKIT_CUSTOMER"
STATE_TABLE = "PIVOTKIT_STATE_TABLE"
MEDIA_BUCKET = "PIVOTKIT_MEDIA_BUCKET"
MEDIA_KMS_KEY_ID = "PIVOTKIT_MEDIA_KMS_KEY_ID"
TOKENS = "PIVOTKIT_TOKENS"
TOKENS_SECRETS = "PIVOTKIT_TOKENS_SECRETS"
PUBLIC_URL = "PIVOTKIT_PUBLIC_URL"
OBSERVABILITY = "PIVOTKIT_OBSERVABILITY"
DEBUG = "PIVOTKIT_DEBUG"
TRACING = "PIVOTKIT_TRACING"
LOG_CALLER_IDS = "PIVOTKIT_LOG_CALLER_IDS"
LOCAL_SDK_TIMEOUTS = "PIVOTKIT_LOCAL_SDK_TIMEOUTS"  # "connect,read" in seconds
STAGE = "PIVOTKIT_STAGE"
SECRETS = "PIVOTKIT_SECRETS"
SELF_FUNCTION = "PIVOTKIT_SELF_FUNCTION"
# Set by Lambda or by the stack; read, never written, by the kit.
LAMBDA_FUNCTION_NAME = "AWS_LAMBDA_FUNCTION_NAME"
LAMBDA_LOG_LEVEL = "AWS_LAMBDA_LOG_LEVEL"
REGION = "AWS_REGION"
DEFAULT_REGION = "AWS_DEFAULT_REGION"
POWERTOOLS_SERVICE_NAME = "POWERTOOLS_SERVICE_NAME"
POWERTOOLS_METRICS_NAMESPACE = "POWERTOOLS_METRICS_NAMESPACE"
POWERTOOLS_LOG_LEVEL = "POWERTOOLS_LOG_LEVEL"
POWERTOOLS_METRICS_DISABLED = "POWERTOOLS_METRICS_DISABLED"

DEFAULT_SERVICE = "pivotkit"
DEFAULT_NAMESPACE = "pivotkit"
_ON = frozenset({"1", "true", "yes", "on"})
_OFF = frozenset({"0", "false", "no", "off"})


@dataclass(frozen=True)
class ObservabilitySettings:
    """Powertools logs, metrics and tracing (``pivotkit.aws.observability``)."""

    service: str = DEFAULT_SERVICE
    namespace: str = DEFAULT_NAMESPACE
    log_level: str = "INFO"
    debug: bool = False
    tracing: bool = False
    metrics: bool = True
    caller_ids: CallerIdMode = CallerIdMode.MASKED

    @classmethod
    def from_env(cls, environ: Mapping[str, str]) -> ObservabilitySettings:
        debug = _flag(environ, DEBUG)
        return cls(
            service=environ.get(POWERTOOLS_SERVICE_NAME) or DEFAULT_SERVICE,
            namespace=environ.get(POWERTOOLS_METRICS_NAMESPACE) or DEFAULT_NAMESPACE,
            log_level=(
                environ.get(POWERTOOLS_LOG_LEVEL)
                or environ.get(LAMBDA_LOG_LEVEL)
                or ("DEBUG" if debug else "INFO")
            ).upper(),
            debug=debug,
            tracing=_flag(environ, TRACING),
            metrics=not _flag(environ, POWERTOOLS_METRICS_DISABLED),
            caller_ids=CallerIdMode.parse(environ.get(LOG_CALLER_IDS)),
        )


def observability_enabled(environ: Mapping[str, str]) -> bool:
    """``PIVOTKIT_OBSERVABILITY`` if set; else on in Lambda or in debug mode."""
    choice = environ.get(OBSERVABILITY, "").strip().lower()
    if choice in _ON | _OFF:
        return choice in _ON
    if choice:
        raise ValueError(f"{OBSERVABILITY} must be on or off, not {choice!r}")
    return _flag(environ, DEBUG) or bool(environ.get(LAMBDA_FUNCTION_NAME))


@dataclass(frozen=True)
class Settings:
    customer: str | None = None
    state_table: str | None = None
    media_bucket: str | None = None
    # Customer-managed KMS key for media objects; unset = SSE-S3.
    media_kms_key_id: str | None = None
    tokens_json: str | None = None
    token_secrets: Mapping[str, str] = field(default_factory=dict)
    public_url: str | None = None
    # None when observability is off (then Powertools is never imported).
    observability: ObservabilitySettings | None = None
    # The stage whose configuration files steps read (call.config); the stack sets it.
    stage: str = "dev"
    # slug -> Secrets Manager secret of the customer's own secrets (call.secrets); empty:
    # the local ones (environment, secrets.local.toml).
    customer_secrets: Mapping[str, str] = field(default_factory=dict)
    # The function (name or ARN, with its alias) that runs this function's background jobs
    # and media hooks: itself, invoked asynchronously (pivotkit.aws.self_invoke). Unset: a
    # thread of this process (local; deployed, the stack always sets it).
    self_function: str | None = None

    @classmethod
    def from_env(cls, environ: Mapping[str, str]) -> Settings:
        token_secrets = _secret_ids(environ, TOKENS_SECRETS)
        enabled = observability_enabled(environ)
        stage = environ.get(STAGE) or "dev"
        if stage not in ("dev", "prod"):  # pivotkit.config.STAGES, not imported for this
            raise ValueError(f"{STAGE} must be dev or prod, not {stage!r}")
        return cls(
            customer=environ.get(CUSTOMER) or None,
            state_table=environ.get(STATE_TABLE) or None,
            media_bucket=environ.get(MEDIA_BUCKET) or None,
            media_kms_key_id=environ.get(MEDIA_KMS_KEY_ID) or None,
            tokens_json=environ.get(TOKENS) or None,
            token_secrets=token_secrets,
            public_url=(environ.get(PUBLIC_URL) or "").rstrip("/") or None,
            observability=ObservabilitySettings.from_env(environ) if enabled else None,
            stage=stage,
            customer_secrets=_secret_ids(environ, SECRETS),
            self_function=environ.get(SELF_FUNCTION) or None,
        )


def region_from_env(environ: Mapping[str, str] | None = None) -> str | None:
    """The SDK's region: ``AWS_REGION`` (Lambda sets it), else ``AWS_DEFAULT_REGION``."""
    env = os.environ if environ is None else environ
    return env.get(REGION) or env.get(DEFAULT_REGION) or None


def sdk_timeouts(environ: Mapping[str, str] | None = None) -> tuple[float, float] | None:
    """(connect, read) seconds a local server widened the SDK's timeouts to, or ``None`` for
    the fail-fast defaults (``pivotkit.aws.clients``). A local stand-in for AWS (moto under
    ``pivotkit serve``) can pause far longer than DynamoDB ever does; never set in Lambda."""
    env = os.environ if environ is None else environ
    text = env.get(LOCAL_SDK_TIMEOUTS, "")
    if not text:
        return None
    connect, _, read = text.partition(",")
    return float(connect), float(read)


def _flag(environ: Mapping[str, str], name: str) -> bool:
    return environ.get(name, "").strip().lower() in _ON


def _secret_ids(environ: Mapping[str, str], variable: str) -> dict[str, str]:
    parsed = json.loads(environ.get(variable) or "{}")
    if not isinstance(parsed, dict) or not all(
        isinstance(k, str) and isinstance(v, str) for k, v in parsed.items()
    ):
        raise ValueError(f"{variable} must be a JSON object of slug -> secret id")
    return parsed
