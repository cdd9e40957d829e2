"""Issue 14's walk end to end: calls placed with `pivotkit call` against a real `pivotkit
serve` (one that ends well, a wrong token, a step that raises, a step that overruns) are
listed and shown from serve's journal with no source flag, the good call is pulled as events,
`pivotkit replay` runs them green, and a changed flow fails the replay with a diff."""

from __future__ import annotations

import json
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.integration.serve_support import ServeProcess, cli_command, cli_environment

pytestmark = pytest.mark.slow

SLUG = "pullwalk"
TOKEN = "pullwalk-token-0123456789"
GREETING = "Press 1 to finish, 2 to break, 3 to wait."
CUSTOMER_SOURCE = f"""
import time

from pivotkit import Call, Customer, Flow, Node, hangup, tts

flow = Flow()


@flow.step()
def start(call: Call) -> Node:
    return call.gather("menu", prompt=tts({GREETING!r}))


@flow.step()
def menu(call: Call) -> Node:
    call.state["choice"] = call.digits
    if call.digits == "2":
        raise RuntimeError("a deliberate failure")
    if call.digits == "3":
        time.sleep(2.0)  # past the deadline: 2 s request timeout less the 0.5 s margin
    return tts("Goodbye.").then(hangup())


customer = Customer(slug={SLUG!r}, flow=flow, fallback_message="Sorry.", request_timeout_ms=2000)
"""


def _cli(root: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        cli_command(root / "customers", *args),
        capture_output=True, text=True, env=cli_environment(), cwd=root, timeout=120,
        check=False,
    )  # fmt: skip


@pytest.fixture(scope="module")
def walked(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    root = tmp_path_factory.mktemp("pullwalk")
    package = root / "customers" / SLUG
    package.mkdir(parents=True)
    (package / "__init__.py").write_text(CUSTOMER_SOURCE, encoding="utf-8")
    environment = {"PIVOTKIT_TOKENS": json.dumps({SLUG: [TOKEN]})}
    with ServeProcess(
        root, root / "customers", "--customer", SLUG, cwd=root, environment=environment
    ) as server:
        for call_id, token, digits in (
            ("call-good", TOKEN, "1"),
            ("call-intruder", "a-wrong-token-guess", "1"),
            ("call-raises", TOKEN, "2"),
            ("call-slow", TOKEN, "3"),
        ):
            url = f"{server.url}/pivot/{SLUG}?token={token}"
            _cli(root, "call", "--url", url, "--call-id", call_id, "--digits", digits)
        yield root


def test_calls_walked_against_serve_are_listed_failed_first(walked: Path) -> None:
    listed = _cli(walked, "calls", "list", "--status", "error")
    assert listed.returncode == 0, listed.stderr
    lines = listed.stdout.splitlines()
    assert any("call-intruder" in line and "401 unauthorized" in line for line in lines)
    assert any("call-raises" in line and "500 step_failed at menu" in line for line in lines)
    assert any("call-slow" in line and "503 step_timed_out at menu" in line for line in lines)
    assert not any("call-good" in line for line in lines)


def test_a_call_is_shown_pulled_replayed_green_and_a_changed_flow_fails(walked: Path) -> None:
    shown = _cli(walked, "calls", "show", "call-good")
    assert shown.returncode == 0, shown.stderr
    assert GREETING in shown.stdout and "```mermaid" in shown.stdout
    events = walked / "events" / SLUG
    pulled = _cli(walked, "calls", "pull", "call-good", "--to", str(events))
    assert pulled.returncode == 0, pulled.stderr
    replayed = _cli(walked, "replay", str(events))
    assert replayed.returncode == 0, replayed.stdout + replayed.stderr
    module = walked / "customers" / SLUG / "__init__.py"
    module.write_text(CUSTOMER_SOURCE.replace("Goodbye.", "See you soon."), encoding="utf-8")
    changed = _cli(walked, "replay", str(events))
    assert changed.returncode == 1
    assert "-" in changed.stdout and "Goodbye." in changed.stdout + changed.stderr
    assert "See you soon." in changed.stdout + changed.stderr
