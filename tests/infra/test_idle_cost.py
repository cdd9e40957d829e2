"""Idle cost per customer, computed from the synthesized templates (infra.idle_cost)."""

from __future__ import annotations

import pytest

from infra.idle_cost import (
    ALARM_METRIC_MONTH,
    SECRET_MONTH,
    UnpricedResource,
    alarm_metrics,
    idle_cost,
)
from tests.infra.conftest import Synthesized

pytestmark = pytest.mark.slow
BUDGET_PER_CUSTOMER = 0.50


def test_a_customer_costs_at_most_fifty_cents_a_month_idle(synthesized: Synthesized) -> None:
    cost = idle_cost(synthesized.templates["pivotkit-prod-acme"])
    assert (cost.alarm_metrics, cost.secrets, cost.dashboards) == (1, 1, 0)
    assert cost.monthly == pytest.approx(ALARM_METRIC_MONTH + SECRET_MONTH)
    assert cost.monthly <= BUDGET_PER_CUSTOMER


@pytest.mark.parametrize("stack", ["pivotkit-prod-globex-west", "pivotkit-dev-globex-west"])
def test_declaring_secrets_costs_one_secret_more(synthesized: Synthesized, stack: str) -> None:
    """globex_west names a secret (Customer(secrets=...)): its stack holds a second secret,
    for $0.40 a month; a customer that declares none pays nothing for the feature."""
    cost = idle_cost(synthesized.templates[stack])
    assert (cost.alarm_metrics, cost.secrets, cost.dashboards) == (1, 2, 0)
    assert cost.monthly == pytest.approx(BUDGET_PER_CUSTOMER + SECRET_MONTH)


def test_provisioned_concurrency_is_priced_when_an_operator_asks_for_it(
    synthesized: Synthesized,
) -> None:
    """dev's acme has 2 provisioned executions of 1 GB: about $17.52 a month on top."""
    cost = idle_cost(synthesized.templates["pivotkit-dev-acme"])
    assert cost.provisioned_gb == 2.0
    assert cost.monthly == pytest.approx(0.50 + 2 * 730 * 3600 * 0.0000033334)


@pytest.mark.parametrize("stage", ["dev", "prod"])
def test_the_platform_is_a_fixed_amount(synthesized: Synthesized, stage: str) -> None:
    cost = idle_cost(synthesized.platform(stage))
    assert cost.secrets == 0 and cost.dashboards == 1
    # Lambda errors and throttles (one metric each), DynamoDB throttles (five operations).
    assert cost.alarm_metrics == 7
    assert cost.monthly == pytest.approx(0.70 + 3.00)


def test_metric_math_alarms_are_billed_per_metric_and_unknown_types_refused() -> None:
    math = {"Metrics": [{"Id": "e", "Expression": "a+b"}, {"MetricStat": {}}, {"MetricStat": {}}]}
    assert alarm_metrics(math) == 2
    assert alarm_metrics({"MetricName": "Errors"}) == 1
    with pytest.raises(UnpricedResource, match="AWS::EC2::NatGateway"):
        idle_cost({"Resources": {"Nat": {"Type": "AWS::EC2::NatGateway"}}})
