"""Find the customers to deploy by looking at ``handlers/customers/`` (the operator's) and
``handlers/examples/`` (the kit's examples) on disk.

The operator's customers are deployed unless ``-c customers=`` picks some; the examples only
when ``-c examples=acme,hours`` (or ``all``) asks for them, so the kit's demos never reach an
account by accident. A slug may be a package in one of the two only.

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


def select_customers(
    discovered: tuple[str, ...], wanted: object, examples: tuple[str, ...] = ()
) -> tuple[str, ...]:
    """The operator's customers to deploy: all discovered, or the comma-separated
    ``-c customers=...``. A name that is not a discovered package is an error, not a silently
    missing endpoint; one of the ``examples`` is pointed to ``-c examples=``."""
    if wanted is None or wanted == "":
        return discovered
    names = _names("customers", wanted)
    unknown = [n for n in names if n not in discovered]
    if unknown:
        raise CustomerDiscoveryError(
            f"context customers names {', '.join(unknown)}, not found in handlers/customers"
            f" (found: {', '.join(discovered) or 'none'}){_hint(unknown, discovered, examples)}"
        )
    return names


ALL_EXAMPLES = "all"


def select_examples(discovered: tuple[str, ...], wanted: object) -> tuple[str, ...]:
    """The kit's examples to deploy: none unless ``-c examples=acme,hours`` or
    ``-c examples=all`` asks; an unknown name fails naming the valid ones."""
    if wanted is None or wanted == "":
        return ()
    names = _names("examples", wanted)
    if names == (ALL_EXAMPLES,):
        return discovered
    unknown = [n for n in names if n not in discovered]
    if unknown:
        close = [m for n in unknown for m in difflib.get_close_matches(n, discovered, n=1)]
        hint = f"; did you mean {', '.join(close)}?" if close else ""
        raise CustomerDiscoveryError(
            f"context examples names {', '.join(unknown)}, not an example in handlers/examples"
            f" (valid: {ALL_EXAMPLES}, {', '.join(discovered)}){hint}"
        )
    return names


def check_apart(customers: tuple[str, ...], examples: tuple[str, ...]) -> None:
    """A slug is an operator's customer or an example, never both: its stack, function and
    keys would be one for two packages."""
    both = sorted(set(customers) & set(examples))
    if both:
        raise CustomerDiscoveryError(
            f"{', '.join(both)}: both a customer (handlers/customers) and an example"
            " (handlers/examples); rename the customer"
        )


def _names(key: str, wanted: object) -> tuple[str, ...]:
    if not isinstance(wanted, str):
        raise CustomerDiscoveryError(
            f"context {key} must be a comma-separated string, got {wanted!r}"
        )
    names = tuple(sorted(dict.fromkeys(n.strip() for n in wanted.split(",") if n.strip())))
    if not names:
        raise CustomerDiscoveryError(f"context {key} is empty")
    return names


def _hint(unknown: list[str], discovered: tuple[str, ...], examples: tuple[str, ...]) -> str:
    in_examples = [n for n in unknown if n in examples]
    if in_examples:
        listed = ",".join(in_examples)
        return f"; {listed} is one of the kit's examples: ask for it with -c examples={listed}"
    close = [m for n in unknown for m in difflib.get_close_matches(n, discovered, n=1)]
    close += [f"examples={m}" for n in unknown for m in difflib.get_close_matches(n, examples, n=1)]
    return f"; did you mean {', '.join(close)}?" if close else ""
