"""Context values (``cdk -c key=value`` or cdk.json) become checked deployment settings."""

from __future__ import annotations

import pytest
from aws_cdk import RemovalPolicy, aws_logs

from infra.settings import (
    DEFAULT_RESERVED_CONCURRENCY,
    REMOVED_KEYS,
    DeploymentSettings,
    SettingsError,
    Stage,
)

CUSTOMERS = ("acme", "globex_west")


def parse(**context: object) -> DeploymentSettings:
    return DeploymentSettings.from_context(context, CUSTOMERS)


def test_defaults_are_a_dev_stage_without_options() -> None:
    settings = parse()
    assert settings.stage is Stage.DEV
    assert settings.name_prefix == "pivotkit-dev"
    assert settings.provisioned_concurrency == {}
    assert settings.reserved_concurrency == {}
    # Every customer gets a flood limit unless told otherwise.
    assert settings.reserved_for("acme") == DEFAULT_RESERVED_CONCURRENCY == 10


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
        ({"reserved_default": "-1"}, "0 or a positive integer"),
        ({"provisioned": "acme:11"}, "exceeds reserved 10"),
        ({"alarm_email": "not-an-address"}, "e-mail"),
        ({"media_expiry_days": "60", "stage": "prod"}, "above 90"),
    ],
)
def test_bad_values_name_the_key(context: dict[str, object], message: str) -> None:
    with pytest.raises(SettingsError, match=message):
        parse(**context)


def test_reserved_per_customer_overrides_the_default_and_zero_reserves_nothing() -> None:
    settings = parse(reserved="acme:25", reserved_default="3")
    assert (settings.reserved_for("acme"), settings.reserved_for("globex_west")) == (25, 3)
    none = parse(reserved_default=0)
    assert none.reserved_for("acme") is None


@pytest.mark.parametrize("key", sorted(REMOVED_KEYS))
def test_keys_of_the_former_http_api_are_refused_with_the_reason(key: str) -> None:
    with pytest.raises(SettingsError, match=f"context {key} is no longer supported.*Function URL"):
        parse(**{key: "pivot.example.com"})


def test_numbers_given_as_strings_or_integers() -> None:
    settings = parse(reserved_default="50", media_expiry_days=10)
    assert settings.default_reserved_concurrency == 50
    assert settings.effective_media_expiry_days == 10
    assert parse(reserved_default=7).default_reserved_concurrency == 7
