"""The ``pivotkit`` subcommands, one module each; ``add_command`` is how each registers."""

from __future__ import annotations

import argparse
from typing import Any


def add_command(subparsers: Any, name: str, *, help: str, description: str) -> Any:
    """A (sub)command's parser whose ``--help`` shows ``description`` as written: the
    modules' docstrings carry examples and tables that argparse would otherwise re-wrap."""
    return subparsers.add_parser(
        name,
        help=help,
        description=description,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
