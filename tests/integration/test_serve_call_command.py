"""``pivotkit call``: the command line around the simulator, over HTTP and in-process."""

from __future__ import annotations

import json
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

import customers
from pivotkit.local.cli import main
from tests.integration.serve_support import (
    PROJECT_ROOT,
    ServeProcess,
    cli_command,
    cli_environment,
    write_test_customer,
)

pytestmark = pytest.mark.slow


@pytest.fixture
def customers_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    directory = write_test_customer(tmp_path / "customers")
    monkeypatch.setattr(customers, "__path__", [*customers.__path__, str(directory)])
    monkeypatch.delenv("PIVOTKIT_TOKENS", raising=False)
    yield directory


def test_call_over_http_prints_json_and_writes_a_diagram(
    tmp_path: Path, customers_dir: Path
) -> None:
    with ServeProcess(tmp_path, customers_dir, "--memory") as server:
        diagram = tmp_path / "call.md"
        url = f"{server.url}/pivot/simtest?token=local-simtest"
        command = cli_command(
            customers_dir, "call", "--url", url, "--digits", "1234#,3", "--json",
            "--diagram", str(diagram), "--method", "post", "--body-format", "json",
        )  # fmt: skip
        result = subprocess.run(
            command, capture_output=True, text=True, env=cli_environment(), cwd=PROJECT_ROOT,
            stdin=subprocess.DEVNULL, timeout=60, check=False,
        )  # fmt: skip
    assert result.returncode == 0, result.stderr
    transcript = json.loads(result.stdout)
    assert transcript["ok"] is True
    assert transcript["heard"][-1] == "Your PIN was 1234, 4 digits. Goodbye."
    first = transcript["events"][0]
    assert (first["method"], first["body_format"]) == ("post", "json")
    assert "local-simtest" not in result.stdout
    assert diagram.read_text(encoding="utf-8").startswith("```mermaid\nflowchart TD\n")


def test_in_process_call_prints_a_readable_transcript(
    customers_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    status = main(["call", "--customer", "simtest", "--digits", "1234,1", "--bridge", "NO_ANSWER"])
    output = capsys.readouterr().out
    assert status == 0, output
    assert "-> GET https://pivotkit.local/pivot/simtest?token=***" in output
    assert "   says: Nobody answered. Goodbye." in output
    assert "NO_ANSWER (480)" in output
    assert "== ok: 3 request(s)" in output


def test_exit_status_is_1_when_kazoo_had_to_fall_back(
    customers_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    status = main(["call", "--customer", "simtest", "--digits", "1234,2", "--json"])
    transcript = json.loads(capsys.readouterr().out)
    assert status == 1
    assert transcript["failures"] == ["answered 500, not 200"]
    assert "Sorry, something broke." in transcript["heard"]


def test_usage_errors_exit_2(customers_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["call", "--customer", "nobody"]) == 2
    assert "no customer 'nobody'" in capsys.readouterr().err
    assert main(["call", "--customer", "simtest", "--digits", "12x"]) == 2
    assert "only 0-9, * and #" in capsys.readouterr().err
