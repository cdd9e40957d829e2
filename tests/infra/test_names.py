"""Names derived from customer slugs stay legal and unique, or the synth says which two clash."""

from __future__ import annotations

import pytest

from infra.discovery import SLUG_PATTERN
from infra.names import (
    NameCollision,
    check_unique,
    customer_stack_name,
    failures_queue_name,
    function_name,
    label,
    secret_name,
)
from infra.settings import DeploymentSettings, Stage
from pivotkit.local import journal_sources

PROD = DeploymentSettings(stage=Stage.PROD)


@pytest.mark.parametrize(
    ("slug", "name"), [("acme", "Acme"), ("globex_west", "GlobexWest"), ("a1_b2", "A1B2")]
)
def test_labels_are_camel_case(slug: str, name: str) -> None:
    assert label(slug) == name
    assert name.isalnum()


def test_stack_names_use_hyphens_cloudformation_accepts() -> None:
    assert customer_stack_name(PROD, "globex_west") == "pivotkit-prod-globex-west"


@pytest.mark.parametrize(("first", "second"), [("acme_west", "acme__west"), ("ab", "ab_")])
def test_two_customers_that_would_share_a_name_fail_naming_both(first: str, second: str) -> None:
    with pytest.raises(NameCollision) as caught:
        check_unique(PROD, ["acme", first, second])
    message = str(caught.value)
    assert repr(first) in message and repr(second) in message
    assert "acme'" not in message.replace(first, "").replace(second, "")


def test_distinct_slugs_pass() -> None:
    check_unique(PROD, ["acme", "acme_west", "acmewest", "a_cme", "globex"])


def test_the_longest_slug_still_makes_legal_physical_names() -> None:
    longest = "a" * 48
    assert SLUG_PATTERN.match(longest)
    assert len(function_name(PROD, longest)) <= 64  # Lambda function names
    assert len(f"/aws/lambda/{function_name(PROD, longest)}") <= 512  # log group names
    assert len(customer_stack_name(PROD, longest)) <= 128  # stack names
    assert len(secret_name(PROD, longest)) <= 512  # secret names
    assert len(failures_queue_name(PROD, longest)) <= 80  # SQS queue names


@pytest.mark.parametrize("stage", list(Stage))
@pytest.mark.parametrize("slug", ["acme", "globex_west"])
def test_the_local_journal_sources_derive_the_names_infra_gives(stage: Stage, slug: str) -> None:
    """``pivotkit calls --stage`` cannot import infra (it needs the CDK); its copy agrees."""
    settings = DeploymentSettings(stage=stage)
    assert journal_sources.customer_stack_name(stage.value, slug) == customer_stack_name(
        settings, slug
    )
    assert journal_sources.function_name(stage.value, slug) == function_name(settings, slug)
