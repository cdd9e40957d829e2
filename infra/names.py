"""Every name derived from a customer slug, in one place, and the check that they are unique.

A customer's stack, function, secret and readable labels are all built from its slug. Two
slugs must never map to the same name: CloudFormation would then update one customer's
stack with the other's, or CDK would refuse two constructs with one id. ``check_unique``
fails the synth naming both customers before any of that can happen.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping

from infra.settings import DeploymentSettings


class NameCollision(ValueError):
    """Two customers would share a physical or logical name."""


def label(slug: str) -> str:
    """``acme_west`` -> ``AcmeWest``: the customer in alarm names, readable in a
    notification. Not injective (``acme__west`` gives the same), hence ``check_unique``."""
    return "".join(part[:1].upper() + part[1:] for part in slug.split("_"))


def platform_stack_name(settings: DeploymentSettings) -> str:
    return settings.name_prefix


def customer_stack_name(settings: DeploymentSettings, slug: str) -> str:
    """``pivotkit-dev-acme-west``: stack names allow letters, digits and hyphens only."""
    return f"{settings.name_prefix}-{slug.replace('_', '-')}"


def function_name(settings: DeploymentSettings, slug: str) -> str:
    """``pivotkit-dev-acme_west`` (64 characters at most: prefix 14 + slug 48 = 62)."""
    return f"{settings.name_prefix}-{slug}"


def secret_name(settings: DeploymentSettings, slug: str) -> str:
    return f"{settings.name_prefix}/{slug}/credentials"


def customer_secrets_name(settings: DeploymentSettings, slug: str) -> str:
    """The secret holding the customer's own secrets (``call.secrets``), if it declares any."""
    return f"{settings.name_prefix}/{slug}/secrets"


def failures_queue_name(settings: DeploymentSettings, slug: str) -> str:
    """``pivotkit-dev-acme_west-failures``: where the customer's failed background jobs and
    media hooks land after Lambda's retries (80 characters at most: 14 + 48 + 9 = 71)."""
    return f"{settings.name_prefix}-{slug}-failures"


def alarm_name(settings: DeploymentSettings, slug: str) -> str:
    return f"{settings.name_prefix}-{label(slug)}-Fallbacks"


def service_name(slug: str) -> str:
    """The function's ``POWERTOOLS_SERVICE_NAME``: the ``service`` dimension of its metrics."""
    return f"pivotkit-{slug}"


def derived_names(settings: DeploymentSettings) -> Mapping[str, Callable[[str], str]]:
    return {
        "stack name": lambda slug: customer_stack_name(settings, slug),
        "function name": lambda slug: function_name(settings, slug),
        "secret name": lambda slug: secret_name(settings, slug),
        "secrets secret name": lambda slug: customer_secrets_name(settings, slug),
        "alarm name": lambda slug: alarm_name(settings, slug),
        "failures queue name": lambda slug: failures_queue_name(settings, slug),
        "metrics service": service_name,
    }


def check_unique(settings: DeploymentSettings, slugs: Iterable[str]) -> None:
    """Refuse the synth if two customers would get the same name of any kind."""
    slugs = tuple(slugs)
    for kind, derive in derived_names(settings).items():
        seen: dict[str, str] = {}
        for slug in slugs:
            name = derive(slug)
            if name in seen:
                raise NameCollision(
                    f"customers {seen[name]!r} and {slug!r} would share the {kind} {name!r};"
                    " rename one of the packages"
                )
            seen[name] = slug
