"""The ``pivotkit`` subcommands, one module each.

A command module declares ``HELP`` (its line in ``pivotkit --help``) and ``register(parser)``,
which adds its arguments to the parser made for it and sets ``func``; the parser's
description is the module's ``DESCRIPTION``, else its docstring, and its name the module's
``NAME``, else the module's own name. ``add_module_command`` is the one place those parsers
are made, for top-level commands and actions under one (``kazoo webhook``) alike. A module
whose ``PARENT`` names another command is an action of that command only, never top-level.
"""

from __future__ import annotations

import argparse
from types import ModuleType
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


def add_module_command(subparsers: Any, module: ModuleType) -> None:
    """Register the command ``module`` declares (see above) under ``subparsers``."""
    name = getattr(module, "NAME", module.__name__.rpartition(".")[2])
    description = getattr(module, "DESCRIPTION", module.__doc__) or ""
    module.register(add_command(subparsers, name, help=module.HELP, description=description))
