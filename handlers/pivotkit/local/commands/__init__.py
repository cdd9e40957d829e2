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
from typing import TYPE_CHECKING, Any

from pivotkit.request import ACCOUNT_ID_PATTERN

if TYPE_CHECKING:
    from pivotkit.local.simulator import Caller


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


def add_caller_arguments(parser: Any) -> None:  # a parser or an argument group
    """Who calls, as the first Pivot request describes them (call, events); ``caller_of``
    makes the simulator's ``Caller`` of them."""
    # Imported here: only the commands that make a call need the simulator.
    from pivotkit.local.simulator import DEFAULT_ACCOUNT_ID, Caller

    parser.add_argument(
        "--caller-number", default=Caller.number, help=f"Caller-ID-Number (default {Caller.number})"
    )
    parser.add_argument(
        "--caller-name", default=Caller.name, help=f"Caller-ID-Name (default {Caller.name!r})"
    )
    parser.add_argument(
        "--dialled",
        default=Caller.dialled,
        help=f"the number dialled, Request and To (default {Caller.dialled})",
    )
    parser.add_argument(
        "--account-id",
        type=_account_id,
        default=DEFAULT_ACCOUNT_ID,
        help=f"Kazoo Account-ID, 32 hex characters (default {DEFAULT_ACCOUNT_ID})",
    )
    parser.add_argument("--call-id", help="Call-ID (default: a new random one)")
    parser.add_argument(
        "--user-id", action="append", default=[], help="owner of the calling device (repeatable)"
    )
    parser.add_argument(
        "--language", default=Caller.language, help=f"Language (default {Caller.language})"
    )


def caller_of(args: argparse.Namespace) -> Caller:
    """The caller ``add_caller_arguments``' options describe."""
    from pivotkit.local.simulator import Caller

    return Caller(
        number=args.caller_number,
        name=args.caller_name,
        dialled=args.dialled,
        account_id=args.account_id,
        call_id=args.call_id,
        user_ids=tuple(args.user_id),
        language=args.language,
    )


def _account_id(text: str) -> str:
    if not ACCOUNT_ID_PATTERN.fullmatch(text):
        raise argparse.ArgumentTypeError("a Kazoo account id is 32 lower-case hex digits")
    return text
