"""The ``pivotkit`` subcommands, one module each.

A command module declares ``HELP`` (its line in ``pivotkit --help``) and ``register(parser)``,
which adds its arguments to the parser made for it and sets ``func``; the parser's
description is the module's ``DESCRIPTION``, else its docstring, and its name the module's
``NAME``, else the module's own name. ``add_module_command`` is the one place those parsers
are made, for top-level commands and actions under one (``kazoo webhook``) alike. A module
whose ``PARENT`` names another command is an action of that command only, never top-level.
Options that mean the same in several commands are declared here, once.
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


def add_pivot_node_arguments(parser: Any) -> None:  # a parser or an argument group
    """``--method`` and ``--body-format``: how the pivot node in Kazoo's callflow sends its
    request (call, events, kazoo callflow). ``--body-format`` stays None unless given, so that
    ``body_format_error`` tells a choice from the default and kazoo callflow leaves Kazoo's
    own default unwritten."""
    parser.add_argument(
        "--method",
        choices=("get", "post"),
        default="get",
        help="how the pivot node sends the Pivot request (default get)",
    )
    parser.add_argument(
        "--body-format",
        choices=("form", "json"),
        help="req_body_format of the pivot node, for --method post (default form)",
    )


def body_format_error(args: argparse.Namespace) -> str | None:
    """Why ``--body-format`` cannot be used with the ``--method`` given, or None."""
    if args.body_format is not None and args.method != "post":
        return "--body-format applies to --method post only"
    return None
