"""``pivotkit new customer NAME``: start a customer of your own, tested and deployable at once.

It writes the customer's package (a flow with opening hours, a menu, the front desk or a
voicemail box), its configuration model and dev/prod values, a test walking its calls with
pivotkit.testing, and events recorded from its calls for ``pivotkit replay``. Every file is
new: a name that is taken, an example's name or a file in the way writes nothing. The
walkthrough is docs/customers.md.
"""

from __future__ import annotations

import argparse
import shlex
import sys
from pathlib import Path

from pivotkit.local.commands import add_command
from pivotkit.local.scaffold import SLUG_RULE, ScaffoldError, new_customer, recording_commands

HELP = "scaffold a new customer of your own (package, config, test, events)"
DESCRIPTION = "Make something new in the project: ``pivotkit new customer NAME``."


def register(parser: argparse.ArgumentParser) -> None:
    kinds = parser.add_subparsers(dest="new_command", metavar="KIND", required=True)
    customer = add_command(
        kinds,
        "customer",
        help="a customer package with configuration, a test and recorded events",
        description=__doc__ or "",
    )
    customer.add_argument("name", metavar="NAME", help=f"the customer's slug: {SLUG_RULE}")
    customer.add_argument(
        "--root",
        type=Path,
        default=Path(),
        metavar="DIR",
        help="the project's root, holding handlers/customers/ (default: the current directory)",
    )
    customer.set_defaults(func=run_customer)


def run_customer(args: argparse.Namespace) -> int:
    try:
        made = new_customer(args.name, args.root)
    except ScaffoldError as error:
        print(f"pivotkit new customer: {error}", file=sys.stderr)
        return 2
    root = args.root.resolve()
    for path in made.files:
        print(f"wrote {path.relative_to(root)}")
    events = made.events.relative_to(root)
    print(f"recorded {events}/ (events and goldens of {len(list(events_of(made.events)))} calls)")
    slug = made.slug
    print(
        f"\nNext (docs/customers.md):\n"
        f"  edit handlers/customers/{slug}/config/dev.toml and prod.toml (your Kazoo ids)\n"
        f"  .venv/bin/pytest tests/customers/{slug}\n"
        f"  .venv/bin/pivotkit replay {events}\n"
        f"  .venv/bin/pivotkit call --customer {slug} --now 2026-06-01T10:00-05:00 --digits 1\n"
        f"  make synth CDK_ARGS='-c customers={slug}'\n"
        f"After changing the flow, record a scenario again (delete its directory first), e.g.:\n"
        f"  .venv/bin/pivotkit {shlex.join(recording_commands(slug, events)[0])}"
    )
    return 0


def events_of(directory: Path) -> list[Path]:
    return sorted(p for p in directory.iterdir() if p.is_dir())
