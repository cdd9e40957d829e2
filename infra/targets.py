"""``python -m infra.targets <customer> [stage]``: the stack to deploy for one customer, and
the context that synthesizes it.

``make deploy-customer CUSTOMER=dental STAGE=prod`` asks this first, so a mistyped customer
fails with the list of known ones (the CDK CLI would only say that no stack matches) and the
deploy synthesizes the platform and that customer alone. It prints the stack name and the
context key selecting the customer: ``customers=dental`` for one of the operator's, or
``examples=acme`` for one of the kit's examples (asked for by name, so this is the asking).
"""

from __future__ import annotations

import sys
from pathlib import Path

from infra.discovery import (
    CustomerDiscoveryError,
    check_apart,
    discover_customer_slugs,
    select_customers,
)
from infra.names import customer_stack_name
from infra.settings import DeploymentSettings, SettingsError, Stage

HANDLERS = Path(__file__).resolve().parent.parent / "handlers"


def stack_for(customer: str, stage: str, handlers: Path = HANDLERS) -> str:
    return target_for(customer, stage, handlers)[0]


def target_for(customer: str, stage: str, handlers: Path = HANDLERS) -> tuple[str, str]:
    """(stack name, ``customers=<slug>`` or ``examples=<slug>``) of one customer."""
    operators = discover_customer_slugs(handlers / "customers")
    examples_dir = handlers / "examples"
    examples = discover_customer_slugs(examples_dir) if examples_dir.is_dir() else ()
    check_apart(operators, examples)
    if customer in examples:
        slug, key = customer, "examples"
    else:
        (slug,) = select_customers(operators, customer, examples)
        key = "customers"
    try:
        settings = DeploymentSettings(stage=Stage(stage))
    except ValueError:
        raise SettingsError(f"stage must be dev or prod, got {stage!r}") from None
    return customer_stack_name(settings, slug), f"{key}={slug}"


def main(argv: list[str]) -> int:
    if len(argv) not in (2, 3) or "," in argv[1]:
        print("usage: python -m infra.targets <customer> [dev|prod]", file=sys.stderr)
        return 2
    try:
        print(*target_for(argv[1], argv[2] if len(argv) == 3 else "dev"))
    except (CustomerDiscoveryError, SettingsError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
