"""Deployment settings: the stage and the options given with ``cdk -c key=value``.

Everything a deployment may vary is parsed and checked here, once, so constructs receive
plain validated values and a typo in ``-c`` fails the synth with a message naming the key.

Context keys (all optional):

``stage``             ``dev`` (default) or ``prod``: names, log retention, removal policies
``customers``         comma-separated customers to synthesize (default: every package); read
                      by ``infra.app``, not here
``generated_customers``  N synthetic customers added for scale tests (``infra.app``)
``provisioned``       provisioned concurrency per customer: ``acme:2,globex:1``
``reserved``          reserved concurrency per customer: ``acme:20`` (the customer's flood
                      limit; default ``reserved_default``)
``reserved_default``  reserved concurrency of every customer not in ``reserved`` (default
                      10; ``0`` reserves none, leaving customers to share the account pool)
``alarm_email``       address subscribed to the alarm topic
``media_expiry_days`` days after which media objects expire (default by stage)

Keys of the former HTTP API front door (``domain``, ``certificate_arn``, ``hosted_zone_*``,
``throttle_rate``, ``throttle_burst``) are refused with the reason: each customer is now
served by its own Lambda Function URL (docs/deploy.md), which has no custom domain and no
stage throttle; reserved concurrency is the per-customer limit instead.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum

from aws_cdk import RemovalPolicy, aws_logs


class SettingsError(ValueError):
    """A context value is missing, malformed or inconsistent with the others."""


class Stage(StrEnum):
    DEV = "dev"
    PROD = "prod"


@dataclass(frozen=True)
class StagePolicy:
    """What differs between a throw-away and a production deployment."""

    removal_policy: RemovalPolicy
    # Empty the buckets on `cdk destroy` (a small CDK-provided function does it).
    auto_delete_objects: bool
    deletion_protection: bool
    log_retention: aws_logs.RetentionDays
    media_expiry_days: int
    # Storage class transitions only pay off for objects kept long enough.
    media_infrequent_access_after_days: int | None
    media_glacier_ir_after_days: int | None
    noncurrent_version_expiry_days: int
    access_log_expiry_days: int


STAGE_POLICIES: Mapping[Stage, StagePolicy] = {
    Stage.DEV: StagePolicy(
        removal_policy=RemovalPolicy.DESTROY,
        auto_delete_objects=True,
        deletion_protection=False,
        log_retention=aws_logs.RetentionDays.TWO_WEEKS,
        media_expiry_days=30,
        media_infrequent_access_after_days=None,
        media_glacier_ir_after_days=None,
        noncurrent_version_expiry_days=7,
        access_log_expiry_days=30,
    ),
    Stage.PROD: StagePolicy(
        removal_policy=RemovalPolicy.RETAIN,
        auto_delete_objects=False,
        deletion_protection=True,
        log_retention=aws_logs.RetentionDays.THREE_MONTHS,
        media_expiry_days=365,
        # Glacier *Instant Retrieval* only: Kazoo's storage plan GETs voicemail and faxes
        # back synchronously, and Flexible Retrieval objects would need a restore first.
        media_infrequent_access_after_days=30,
        media_glacier_ir_after_days=90,
        noncurrent_version_expiry_days=30,
        access_log_expiry_days=365,
    ),
}

# Concurrent executions reserved for each customer's function: the most calls (Pivot and
# media requests together) one customer can have in flight, so a flood against one URL is
# throttled (429) there and cannot take the account's pool from the others. 10 in flight
# at ~50 ms per warm Pivot answer is ~200 requests per second for one customer.
DEFAULT_RESERVED_CONCURRENCY = 10

REMOVED_KEYS: Mapping[str, str] = dict.fromkeys(
    (
        "domain",
        "certificate_arn",
        "hosted_zone_id",
        "hosted_zone_name",
        "throttle_rate",
        "throttle_burst",
    ),
    "customers are served by Lambda Function URLs now (docs/deploy.md, Front door);"
    " a Function URL has no custom domain and no stage throttle, and the per-customer"
    " limit is reserved concurrency (-c reserved=slug:N, -c reserved_default=N)",
)

_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


@dataclass(frozen=True)
class DeploymentSettings:
    stage: Stage = Stage.DEV
    provisioned_concurrency: Mapping[str, int] = field(default_factory=dict)
    reserved_concurrency: Mapping[str, int] = field(default_factory=dict)
    default_reserved_concurrency: int = DEFAULT_RESERVED_CONCURRENCY
    alarm_email: str | None = None
    media_expiry_days: int | None = None

    @property
    def policy(self) -> StagePolicy:
        return STAGE_POLICIES[self.stage]

    @property
    def name_prefix(self) -> str:
        """Prefix of every physical name, so dev and prod can share one account."""
        return f"pivotkit-{self.stage.value}"

    def reserved_for(self, slug: str) -> int | None:
        """Reserved concurrency of ``slug``'s function; None reserves nothing."""
        reserved = self.reserved_concurrency.get(slug, self.default_reserved_concurrency)
        return reserved or None

    @property
    def effective_media_expiry_days(self) -> int:
        return self.media_expiry_days or self.policy.media_expiry_days

    @classmethod
    def from_context(
        cls, context: Mapping[str, object], customers: Sequence[str]
    ) -> DeploymentSettings:
        """Parse ``cdk -c`` values (strings) or ``cdk.json`` values (JSON types)."""
        for key, reason in REMOVED_KEYS.items():
            if _text(context, key) is not None:
                raise SettingsError(f"context {key} is no longer supported: {reason}")
        stage_text = _text(context, "stage") or Stage.DEV.value
        try:
            stage = Stage(stage_text)
        except ValueError:
            raise SettingsError(f"stage must be dev or prod, got {stage_text!r}") from None
        settings = cls(
            stage=stage,
            provisioned_concurrency=_parse_per_customer(context, "provisioned", customers),
            reserved_concurrency=_parse_per_customer(context, "reserved", customers),
            default_reserved_concurrency=_count(context, "reserved_default"),
            alarm_email=_parse_email(context),
            media_expiry_days=_positive_int(context, "media_expiry_days"),
        )
        settings._check_consistency()
        return settings

    def _check_consistency(self) -> None:
        for slug, provisioned in self.provisioned_concurrency.items():
            reserved = self.reserved_for(slug)
            if reserved is not None and provisioned > reserved:
                raise SettingsError(
                    f"{slug}: provisioned concurrency {provisioned} exceeds reserved {reserved}"
                )
        policy = self.policy
        transitions = [
            d
            for d in (policy.media_infrequent_access_after_days, policy.media_glacier_ir_after_days)
            if d is not None
        ]
        if transitions and self.effective_media_expiry_days <= max(transitions):
            raise SettingsError(
                f"media_expiry_days must be above {max(transitions)} in {self.stage.value}"
                " (objects move to cheaper storage before they expire)"
            )


def _text(context: Mapping[str, object], key: str) -> str | None:
    value = context.get(key)
    if value is None or value == "":
        return None
    if isinstance(value, bool) or not isinstance(value, str | int):
        raise SettingsError(f"context {key} must be a string, got {value!r}")
    return str(value).strip()


def _positive_int(context: Mapping[str, object], key: str) -> int | None:
    text = _text(context, key)
    if text is None:
        return None
    if not text.isdigit() or int(text) < 1:
        raise SettingsError(f"context {key} must be a positive integer, got {text!r}")
    return int(text)


def _count(context: Mapping[str, object], key: str) -> int:
    """A count that may be 0 (``reserved_default=0``: reserve nothing)."""
    text = _text(context, key)
    if text is None:
        return DEFAULT_RESERVED_CONCURRENCY
    if not text.isdigit():
        raise SettingsError(f"context {key} must be 0 or a positive integer, got {text!r}")
    return int(text)


def _parse_email(context: Mapping[str, object]) -> str | None:
    email = _text(context, "alarm_email")
    if email is not None and not _EMAIL.match(email):
        raise SettingsError(f"alarm_email {email!r} is not an e-mail address")
    return email


def _parse_per_customer(
    context: Mapping[str, object], key: str, customers: Sequence[str]
) -> dict[str, int]:
    """``acme:2,globex:1`` (or a JSON object in cdk.json) -> ``{"acme": 2, "globex": 1}``."""
    value = context.get(key)
    if value is None or value == "":
        return {}
    pairs: list[tuple[str, object]]
    if isinstance(value, Mapping):
        pairs = [(str(k), v) for k, v in value.items()]
    elif isinstance(value, str):
        pairs = []
        for item in filter(None, (part.strip() for part in value.split(","))):
            slug_text, sep, count_text = item.partition(":")
            if not sep:
                raise SettingsError(f"context {key} wants slug:count pairs, got {item!r}")
            pairs.append((slug_text.strip(), count_text.strip()))
    else:
        raise SettingsError(f"context {key} must be 'slug:count,...', got {value!r}")
    parsed: dict[str, int] = {}
    for slug, raw_count in pairs:
        if slug not in customers:
            known = ", ".join(customers) or "none"
            raise SettingsError(f"context {key} names unknown customer {slug!r} (known: {known})")
        text = str(raw_count)
        if isinstance(raw_count, bool) or not text.isdigit() or int(text) < 1:
            raise SettingsError(f"context {key}: {slug} needs a positive count, got {raw_count!r}")
        parsed[slug] = int(text)
    return parsed
