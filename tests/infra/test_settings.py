"""Context values (``cdk -c key=value`` or cdk.json) become checked deployment settings."""

from __future__ import annotations

import pytest
from aws_cdk import RemovalPolicy, aws_logs

from infra.settings import (
    DEFAULT_THROTTLE_BURST,
    DEFAULT_THROTTLE_RATE,
    DeploymentSettings,
    SettingsError,
    Stage,
)

CUSTOMERS = ("acme", "globex_west")
CERT = "arn:aws:acm:eu-west-1:123456789012:certificate/0f1e2d3c-4b5a-6978"


def parse(**context: object) -> DeploymentSettings:
    return DeploymentSettings.from_context(context, CUSTOMERS)


def test_defaults_are_a_dev_stage_without_options() -> None:
    settings = parse()
    assert settings.stage is Stage.DEV
    assert settings.name_prefix == "pivotkit-dev"
    assert settings.domain is None
    assert settings.provisioned_concurrency == {}
    assert settings.reserved_concurrency == {}
    assert (settings.throttle_rate, settings.throttle_burst) == (
        DEFAULT_THROTTLE_RATE,
        DEFAULT_THROTTLE_BURST,
    )


def test_stages_differ_in_retention_and_removal() -> None:
    dev, prod = parse(stage="dev"), parse(stage="prod")
    assert dev.policy.removal_policy == RemovalPolicy.DESTROY
    assert prod.policy.removal_policy == RemovalPolicy.RETAIN
    assert dev.policy.auto_delete_objects and not prod.policy.auto_delete_objects
    assert not dev.policy.deletion_protection and prod.policy.deletion_protection
    assert dev.policy.log_retention == aws_logs.RetentionDays.TWO_WEEKS
    assert prod.policy.log_retention == aws_logs.RetentionDays.THREE_MONTHS
    assert dev.effective_media_expiry_days < prod.effective_media_expiry_days
    assert prod.name_prefix == "pivotkit-prod"


def test_unknown_stage_is_refused() -> None:
    with pytest.raises(SettingsError, match="dev or prod"):
        parse(stage="staging")


def test_concurrency_per_customer_from_a_cli_string_or_a_json_object() -> None:
    settings = parse(provisioned="acme:2, globex_west:1", reserved={"acme": 10})
    assert settings.provisioned_concurrency == {"acme": 2, "globex_west": 1}
    assert settings.reserved_concurrency == {"acme": 10}


@pytest.mark.parametrize(
    ("context", "message"),
    [
        ({"provisioned": "initech:2"}, "unknown customer 'initech'"),
        ({"provisioned": "acme"}, "slug:count"),
        ({"provisioned": "acme:0"}, "positive count"),
        ({"reserved": "acme:two"}, "positive count"),
        ({"reserved": {"acme": True}}, "positive count"),
        ({"provisioned": "acme:5", "reserved": "acme:2"}, "exceeds reserved"),
        ({"throttle_rate": "-1"}, "positive integer"),
        ({"alarm_email": "not-an-address"}, "e-mail"),
        ({"media_expiry_days": "60", "stage": "prod"}, "above 90"),
    ],
)
def test_bad_values_name_the_key(context: dict[str, object], message: str) -> None:
    with pytest.raises(SettingsError, match=message):
        parse(**context)


def test_custom_domain_needs_a_certificate_and_both_zone_values() -> None:
    settings = parse(domain="Pivot.Example.com.", certificate_arn=CERT)
    assert settings.domain is not None
    assert settings.domain.name == "pivot.example.com"
    assert settings.domain.base_url == "https://pivot.example.com"
    assert settings.domain.hosted_zone_id is None

    with pytest.raises(SettingsError, match="certificate_arn"):
        parse(domain="pivot.example.com")
    with pytest.raises(SettingsError, match="not a valid DNS name"):
        parse(domain="pivot_example", certificate_arn=CERT)
    with pytest.raises(SettingsError, match="both hosted_zone_id and hosted_zone_name"):
        parse(domain="pivot.example.com", certificate_arn=CERT, hosted_zone_id="Z1")
    with pytest.raises(SettingsError, match="need domain"):
        parse(certificate_arn=CERT)


def test_numbers_given_as_strings_or_integers() -> None:
    settings = parse(throttle_rate="50", throttle_burst=80, media_expiry_days=10)
    assert (settings.throttle_rate, settings.throttle_burst) == (50, 80)
    assert settings.effective_media_expiry_days == 10
