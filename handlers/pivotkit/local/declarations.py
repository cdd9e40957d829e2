"""What ``cdk synth`` needs to know of the customers it deploys, asked of their own code.

``python -m pivotkit.local.declarations --handlers DIR --stage STAGE SLUG...`` imports each
customer package from ``DIR`` (``DIR/customers/<slug>``, or the kit's examples beside it),
validates its configuration file for ``STAGE`` with its model, and prints one JSON object:

    {"customers": {"dental": {"secrets": ["booking_api_key"], "config": "DentalConfig"}},
     "errors": ["dental: handlers/customers/dental/config/dev.toml: booking_url: ..."]}

The CDK app runs it in a subprocess (``infra.declarations``) rather than importing customer
code into its own process: the packages then load from exactly the tree being synthesized,
under their deployed names, without touching the CDK app's modules. Every problem is a line
of ``errors``, named by customer, file and field; the exit status is 0 whenever the JSON
was written.
"""

from __future__ import annotations

import argparse
import importlib
import importlib.util
import json
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

# The packages customer code lives in, under the handlers/ root (the operator's, the kit's
# examples); a slug is a package in one of them.
CUSTOMER_HOMES = ("customers", "examples")


def describe(handlers: Path, slugs: Sequence[str], stage: str) -> dict[str, Any]:
    from pivotkit.config import ConfigError, load_config
    from pivotkit.customers import Customer

    _root_homes_at(handlers)
    found: dict[str, Any] = {}
    errors: list[str] = []
    for slug in slugs:
        home = next((h for h in CUSTOMER_HOMES if (handlers / h / slug).is_dir()), None)
        if home is None:
            errors.append(f"{slug}: no package {slug} under {handlers}")
            continue
        try:
            module = importlib.import_module(f"{home}.{slug}")
        except Exception as error:  # the customer's own code: report it, go on with the rest
            errors.append(
                f"{slug}: importing {home}.{slug} failed: {type(error).__name__}: {error}"
            )
            continue
        customer = getattr(module, "customer", None)
        if not isinstance(customer, Customer) or customer.slug != slug:
            errors.append(f"{slug}: {home}.{slug} must define customer = Customer(slug={slug!r})")
            continue
        model = customer.config_model
        if model is not None:
            try:
                load_config(customer, stage)
            except ConfigError as error:
                errors.extend(str(error).splitlines())
        found[slug] = {
            "secrets": list(customer.secrets),
            "config": None if model is None else model.__name__,
        }
    return {"customers": found, "errors": errors}


def _root_homes_at(handlers: Path) -> None:
    """Make ``customers`` and ``examples`` the packages under ``handlers`` (whatever this
    interpreter would otherwise import by those names)."""
    for home in CUSTOMER_HOMES:
        init = handlers / home / "__init__.py"
        if not init.is_file():
            continue
        spec = importlib.util.spec_from_file_location(
            home, init, submodule_search_locations=[str(init.parent)]
        )
        assert spec is not None and spec.loader is not None
        package = importlib.util.module_from_spec(spec)
        sys.modules[home] = package
        spec.loader.exec_module(package)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m pivotkit.local.declarations")
    parser.add_argument("--handlers", type=Path, required=True)
    parser.add_argument("--stage", required=True)
    parser.add_argument("slugs", nargs="*")
    args = parser.parse_args(argv)
    print(json.dumps(describe(args.handlers.resolve(), args.slugs, args.stage)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
