"""The ``pivotkit`` command line reads well: plain help, every option explained, typos
answered with the closest name, colour on a terminal only."""

from __future__ import annotations

import argparse
import io

import pytest

from pivotkit.local.cli import all_parsers, build_parser, main, plain
from pivotkit.local.style import colour_enabled, paint


def parsers() -> list[argparse.ArgumentParser]:
    return list(all_parsers(build_parser()))


def test_every_command_is_reached() -> None:
    names = {p.prog for p in parsers()}
    assert {"pivotkit call", "pivotkit replay", "pivotkit schemas fetch"} <= names


def test_an_action_of_a_command_is_not_also_a_command_of_its_own() -> None:
    names = {p.prog for p in parsers()}
    assert "pivotkit kazoo webhook" in names
    assert "pivotkit webhook" not in names


@pytest.mark.parametrize("parser", parsers(), ids=lambda p: p.prog)
def test_help_is_plain_text_and_every_option_is_explained(
    parser: argparse.ArgumentParser,
) -> None:
    description = parser.description or ""
    assert description, "no description"
    assert "``" not in description
    assert not description.startswith("pivotkit "), "the usage line already names it"
    unexplained = [
        action.option_strings or action.dest
        for action in parser._actions
        if not action.help
        and not isinstance(action, (argparse._HelpAction, argparse._SubParsersAction))
    ]
    assert not unexplained


def test_a_docstring_becomes_plain_help() -> None:
    doc = "``pivotkit call``: a virtual Kazoo, like ``sam local``.\n\nMore ``here``."
    assert plain(doc) == "A virtual Kazoo, like sam local.\n\nMore here."


@pytest.mark.parametrize(
    ("argv", "suggestion"),
    [
        (["serv"], "did you mean 'serve'?"),
        (["schemas", "fecth"], "did you mean 'fetch'?"),
        (["call", "--customer", "acme", "--digts", "1"], "did you mean '--digits'?"),
        (["events", "--customer", "acme", "--shape", "v22"], "did you mean 'v2'?"),
    ],
)
def test_a_typo_gets_the_closest_name(
    capsys: pytest.CaptureFixture[str], argv: list[str], suggestion: str
) -> None:
    with pytest.raises(SystemExit) as exited:
        main(argv)
    assert exited.value.code == 2
    assert suggestion in capsys.readouterr().err


def test_a_mistyped_customer_gets_the_closest_names(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["call", "--customer", "switchbord", "--digits", ""]) == 2
    assert "no customer 'switchbord'" in capsys.readouterr().err
    assert main(["call", "--customer", "zzzz"]) == 2
    # The examples, listed with whatever customers of the operator's handlers/customers holds.
    listed = capsys.readouterr().err.rsplit("customers: ", 1)[1].strip().split(", ")
    assert {"acme", "booking", "frontdesk"} <= set(listed)
    assert listed == sorted(listed)


@pytest.mark.parametrize(
    "command",
    [
        ["call", "--customer", "acme"],
        ["events", "--customer", "acme"],
        [
            "kazoo",
            "callflow",
            "--customer",
            "acme",
            "--numbers",
            "5551234",
            "--url",
            "https://x.example",
            "--token",
            "t",
        ],
    ],
    ids=lambda command: " ".join(command[:2]),
)
def test_every_command_refuses_a_body_format_for_a_get_pivot_node(
    capsys: pytest.CaptureFixture[str], command: list[str]
) -> None:
    assert main([*command, "--body-format", "form"]) == 2
    assert "--body-format applies to --method post only" in capsys.readouterr().err


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_colour_only_on_a_terminal_and_never_with_no_color() -> None:
    assert colour_enabled(Terminal(), {})
    assert not colour_enabled(io.StringIO(), {})
    assert not colour_enabled(Terminal(), {"NO_COLOR": "1"})
    assert not colour_enabled(Terminal(), {"TERM": "dumb"})
    assert paint("x", "failure", enabled=False) == "x"
    assert paint("x", "failure", enabled=True) == "\033[1;31mx\033[0m"


@pytest.mark.parametrize(("no_color", "coloured"), [("", True), ("1", False)])
def test_call_colours_its_transcript_on_a_terminal(
    monkeypatch: pytest.MonkeyPatch, no_color: str, coloured: bool
) -> None:
    monkeypatch.setenv("NO_COLOR", no_color)
    monkeypatch.delenv("TERM", raising=False)
    monkeypatch.delenv("PIVOTKIT_TOKENS", raising=False)
    terminal = Terminal()
    monkeypatch.setattr("sys.stdout", terminal)
    monkeypatch.setattr("sys.stdin", io.StringIO())  # not interactive: no digit prompts
    assert main(["call", "--customer", "acme", "--digits", "1234#,1"]) == 0
    out = terminal.getvalue()
    assert ("\033[36m-> GET" in out) is coloured
    assert ("\033[1;32m== ok" in out) is coloured
    assert "-> GET" in out
