"""What each deployed customer declares (its secrets, its configuration), checked at synth.

A customer's stack needs two facts only its code knows: the secrets it names (its stack
then makes a secret for them) and whether its configuration for the stage is valid (a bad
value must fail ``make synth``, naming the customer, the file and the field, not a call
after the deploy). The CDK app asks ``pivotkit.local.declarations`` in one subprocess per
synthesized stage, so customer code loads from the tree being synthesized and never into
the CDK app's own process. Customers without a package (``-c generated_customers``) declare
nothing and start no subprocess.
"""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from infra.function_code import CUSTOMER_PACKAGES

# Where customer packages may live under handlers/ (pivotkit.local.declarations agrees).
CUSTOMER_HOMES = CUSTOMER_PACKAGES


class CustomerDeclarationError(ValueError):
    """A deployed customer's code or configuration is broken; one line per problem."""


@dataclass(frozen=True)
class Declaration:
    secrets: tuple[str, ...] = ()
    config_model: str | None = None  # the model's class name, when it has configuration


def has_package(handlers_dir: Path, slug: str) -> bool:
    return any((handlers_dir / home / slug / "__init__.py").is_file() for home in CUSTOMER_HOMES)


def declarations(handlers_dir: Path, slugs: Sequence[str], stage: str) -> Mapping[str, Declaration]:
    """Each of ``slugs``' declaration (an empty one for a slug without a package), its
    configuration for ``stage`` validated; ``CustomerDeclarationError`` lists what is wrong."""
    packaged = [slug for slug in slugs if has_package(handlers_dir, slug)]
    found: dict[str, Declaration] = {slug: Declaration() for slug in slugs}
    if not packaged:
        return found
    command = [
        sys.executable,
        "-m",
        "pivotkit.local.declarations",
        "--handlers",
        str(handlers_dir),
        "--stage",
        stage,
        *packaged,
    ]
    done = subprocess.run(  # noqa: S603 - our own interpreter and module, no shell
        command, capture_output=True, text=True, check=False
    )
    try:
        answer = json.loads(done.stdout.strip().splitlines()[-1])
    except (IndexError, ValueError):
        last = (done.stderr.strip().splitlines() or ["no output"])[-1]
        raise CustomerDeclarationError(
            f"reading the customers' declarations failed: {last}"
        ) from None
    if answer["errors"]:
        raise CustomerDeclarationError("\n".join(answer["errors"]))
    for slug, described in answer["customers"].items():
        found[slug] = Declaration(tuple(described["secrets"]), described["config"])
    return found
