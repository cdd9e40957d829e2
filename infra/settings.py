"""Deployment settings: the stage and the options given with ``cdk -c key=value``.

Everything a deployment may vary is parsed and checked here, once, so constructs receive
plain validated values and a typo in ``-c`` fails the synth with a message naming the key.

Context keys (all optional):

``stage``           ``dev`` (default) or ``prod``: names, log retention, removal policies
``domain``          custom domain for the HTTP API, e.g. ``pivot.example.com``
``certificate_arn`` ACM certificate for ``domain`` (same region as the stack); required with it
``hosted_zone_id``, ``hosted_zone_name``  Route 53 zone in which to create the domain's alias
``provisioned``     provisioned concurrency per customer: ``acme:2,globex:1``
``reserved``        reserved concurrency per customer: ``acme:20``
``alarm_email``     address subscribed to the alarm topic
``throttle_rate``, ``throttle_burst``  stage-wide request rate (per second) and burst
``media_expiry_days``  days after which media objects expire (default by stage)
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

DEFAULT_THROTTLE_RATE = 100
DEFAULT_THROTTLE_BURST = 200

_DOMAIN = re.compile(r"^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$")
_ACM_ARN = re.compile(r"^arn:aws[a-z-]*:acm:[a-z0-9-]+:\d{12}:certificate/[A-Za-z0-9-]+$")
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


@dataclass(frozen=True)
class CustomDomain:
    name: str
    certificate_arn: str
    hosted_zone_id: str | None = None
    hosted_zone_name: str | None = None

    @property
    def base_url(self) -> str:
        return f"https://{self.name}"


@dataclass(frozen=True)
class DeploymentSettings:
    stage: Stage = Stage.DEV
    domain: CustomDomain | None = None
    provisioned_concurrency: Mapping[str, int] = field(default_factory=dict)
    reserved_concurrency: Mapping[str, int] = field(default_factory=dict)
    alarm_email: str | None = None
    throttle_rate: int = DEFAULT_THROTTLE_RATE
    throttle_burst: int = DEFAULT_THROTTLE_BURST
    media_expiry_days: int | None = None

    @property
    def policy(self) -> StagePolicy:
        return STAGE_POLICIES[self.stage]

    @property
    def name_prefix(self) -> str:
        """Prefix of every physical name, so dev and prod can share one account."""
        return f"pivotkit-{self.stage.value}"

    @property
    def effective_media_expiry_days(self) -> int:
        return self.media_expiry_days or self.policy.media_expiry_days

    @classmethod
    def from_context(
        cls, context: Mapping[str, object], customers: Sequence[str]
    ) -> DeploymentSettings:
        """Parse ``cdk -c`` values (strings) or ``cdk.json`` values (JSON types)."""
        stage_text = _text(context, "stage") or Stage.DEV.value
        try:
            stage = Stage(stage_text)
        except ValueError:
            raise SettingsError(f"stage must be dev or prod, got {stage_text!r}") from None
        settings = cls(
            stage=stage,
            domain=_parse_domain(context),
            provisioned_concurrency=_parse_per_customer(context, "provisioned", customers),
            reserved_concurrency=_parse_per_customer(context, "reserved", customers),
            alarm_email=_parse_email(context),
            throttle_rate=_positive_int(context, "throttle_rate") or DEFAULT_THROTTLE_RATE,
            throttle_burst=_positive_int(context, "throttle_burst") or DEFAULT_THROTTLE_BURST,
            media_expiry_days=_positive_int(context, "media_expiry_days"),
        )
        settings._check_consistency()
        return settings

    def _check_consistency(self) -> None:
        for slug, provisioned in self.provisioned_concurrency.items():
            reserved = self.reserved_concurrency.get(slug)
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


def _parse_domain(context: Mapping[str, object]) -> CustomDomain | None:
    name = _text(context, "domain")
    certificate_arn = _text(context, "certificate_arn")
    zone_id = _text(context, "hosted_zone_id")
    zone_name = _text(context, "hosted_zone_name")
    if name is None:
        if certificate_arn or zone_id or zone_name:
            raise SettingsError("certificate_arn and hosted_zone_* need domain as well")
        return None
    name = name.lower().rstrip(".")
    if not _DOMAIN.match(name):
        raise SettingsError(f"domain {name!r} is not a valid DNS name")
    if certificate_arn is None or not _ACM_ARN.match(certificate_arn):
        raise SettingsError("domain needs certificate_arn, the ARN of an ACM certificate")
    if (zone_id is None) != (zone_name is None):
        raise SettingsError("give both hosted_zone_id and hosted_zone_name, or neither")
    return CustomDomain(name, certificate_arn, zone_id, zone_name)


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
