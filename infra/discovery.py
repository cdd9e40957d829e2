"""Find the customers to deploy by looking at ``handlers/customers/`` on disk.

Discovery imports no customer code: the rules match what ``pivotkit.customers`` accepts at
run time, so a package deployed here is a package the function can load. What only a
customer's code can tell (the secrets it names, whether its configuration is valid) is asked
of it in a subprocess, for the customers being synthesized only (``infra.declarations``).
"""

from __future__ import annotations

import difflib
import re
from pathlib import Path

# Same rule as pivotkit.customers.SLUG_PATTERN: the slug names a Python package, a URL path
# segment, a DynamoDB key prefix, an S3 prefix and part of a Lambda function name (64 max).
SLUG_PATTERN = re.compile(r"^[a-z][a-z0-9_]{0,47}$")


class CustomerDiscoveryError(ValueError):
    """The customers directory holds something that cannot be deployed as a customer."""


def discover_customer_slugs(customers_dir: Path) -> tuple[str, ...]:
    """The slugs of the customer packages under ``customers_dir``, sorted.

    A customer is a directory holding ``__init__.py`` whose name does not start with ``_``.
    Anything else (modules, data files, ``__pycache__``) is not a customer.
    """
    if not customers_dir.is_dir():
        raise CustomerDiscoveryError(f"customers directory {customers_dir} does not exist")
    slugs: list[str] = []
    for entry in customers_dir.iterdir():
        if entry.name.startswith(("_", ".")) or not (entry / "__init__.py").is_file():
            continue
        if not SLUG_PATTERN.match(entry.name):
            raise CustomerDiscoveryError(
                f"customer package {entry.name!r} is not a valid slug: lower-case letters,"
                " digits and _, starting with a letter, at most 48 characters"
            )
        slugs.append(entry.name)
    return tuple(sorted(slugs))


def select_customers(discovered: tuple[str, ...], wanted: object) -> tuple[str, ...]:
    """The customers to deploy: all discovered, or the comma-separated ``-c customers=...``.

    The kit ships example customers; a real deployment usually names its own. A name that
    is not a discovered package is an error, not a silently missing endpoint.
    """
    if wanted is None or wanted == "":
        return discovered
    if not isinstance(wanted, str):
        raise CustomerDiscoveryError(
            f"context customers must be a comma-separated string, got {wanted!r}"
        )
    names = tuple(dict.fromkeys(n.strip() for n in wanted.split(",") if n.strip()))
    unknown = [n for n in names if n not in discovered]
    if unknown:
        close = [m for n in unknown for m in difflib.get_close_matches(n, discovered, n=1)]
        hint = f"; did you mean {', '.join(close)}?" if close else ""
        raise CustomerDiscoveryError(
            f"context customers names {', '.join(unknown)}, not found in handlers/customers"
            f" (found: {', '.join(discovered)}){hint}"
        )
    if not names:
        raise CustomerDiscoveryError("context customers is empty")
    return tuple(sorted(names))
