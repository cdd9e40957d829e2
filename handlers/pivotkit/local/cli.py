"""The ``pivotkit`` command line. Never shipped to Lambda.

Each sub-command lives in ``pivotkit.local.commands.<name>`` and declares ``HELP`` and
``register(parser)``, which adds its arguments and sets ``func`` to a callable taking the
parsed arguments and returning the exit status (``pivotkit.local.commands`` says how its
parser is made). Adding a command means adding a module.
"""

from __future__ import annotations

import argparse
import difflib
import importlib
import pkgutil
import re
import sys
from collections.abc import Iterator, Sequence
from typing import NoReturn

from pivotkit.customers import CustomerClash
from pivotkit.local import commands
from pivotkit.local.commands import add_module_command

# Module docstrings are reST (``literal``) and open with "``pivotkit name``: ..."; help
# shows plain text, and the usage line already names the command.
_DOC_HEAD = re.compile(r"^``pivotkit [a-z ]+``:\s*")
_LITERAL = re.compile(r"``(.+?)``", re.S)
_INVALID_CHOICE = re.compile(r"invalid choice: '([^']*)' \(choose from (.*)\)$")
_UNRECOGNISED = re.compile(r"unrecognized arguments: (.*)$")


class Parser(argparse.ArgumentParser):
    """argparse, plus the closest match when a command, choice or option is mistyped."""

    def error(self, message: str) -> NoReturn:
        self.print_usage(sys.stderr)
        self.exit(2, f"{self.prog}: error: {message}{self._suggestion(message)}\n")

    def _suggestion(self, message: str) -> str:
        choice = _INVALID_CHOICE.search(message)
        if choice is not None:
            options = re.findall(r"'([^']*)'", choice.group(2))
            return _closest(choice.group(1), options)
        unknown = _UNRECOGNISED.search(message)
        if unknown is not None:
            # The top parser reports leftovers of any sub-command: look at every option.
            known = sorted(
                {
                    option
                    for each in all_parsers(self)
                    for action in each._actions
                    for option in action.option_strings
                    if option.startswith("--")
                }
            )
            first = unknown.group(1).split()[0].split("=", 1)[0]
            return _closest(first, known) if first.startswith("--") else ""
        return ""


def _closest(word: str, options: Sequence[str]) -> str:
    close = difflib.get_close_matches(word, options, n=1, cutoff=0.6)
    return f" (did you mean {close[0]!r}?)" if close else ""


def plain(text: str | None) -> str | None:
    """A module docstring as help text: no reST literals, no leading command name."""
    if not text:
        return text
    text = _DOC_HEAD.sub("", text, count=1)
    text = _LITERAL.sub(r"\1", text)
    return text[:1].upper() + text[1:]


def build_parser() -> argparse.ArgumentParser:
    parser = Parser(
        prog="pivotkit",
        description="Hosted Kazoo Pivot endpoints on AWS Lambda: local tools.",
    )
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for info in sorted(pkgutil.iter_modules(commands.__path__), key=lambda m: m.name):
        if info.name.startswith("_"):
            continue
        module = importlib.import_module(f"{commands.__name__}.{info.name}")
        if getattr(module, "PARENT", None) is None:  # an action is registered by its parent
            add_module_command(subparsers, module)
    for each in all_parsers(parser):
        each.description = plain(each.description)
    return parser


def all_parsers(parser: argparse.ArgumentParser) -> Iterator[argparse.ArgumentParser]:
    """``parser`` and every sub-command's parser below it."""
    yield parser
    for action in parser._actions:  # argparse has no public way to reach sub-parsers
        if isinstance(action, argparse._SubParsersAction):
            for child in dict.fromkeys(action.choices.values()):
                yield from all_parsers(child)


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        status = args.func(args)
    except KeyboardInterrupt:
        return 130
    except CustomerClash as clash:  # the same slug in customers/ and examples/: the user's fix
        print(f"pivotkit {args.command}: {clash}", file=sys.stderr)
        return 2
    return int(status or 0)


if __name__ == "__main__":
    sys.exit(main())
