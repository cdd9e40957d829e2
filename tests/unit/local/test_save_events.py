"""``pivotkit call --customer ... --save-events DIR``: a walk saved as events replay repeats."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from pivotkit.local.cli import main
from pivotkit.local.events import endpoint_url


@pytest.fixture(autouse=True)
def _local_tokens(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("PIVOTKIT_TOKENS", raising=False)  # token local-<slug>, as replay uses


def save(capsys: pytest.CaptureFixture[str], directory: Path, *options: str) -> str:
    status = main(["call", "--customer", "acme", "--save-events", str(directory), *options])
    out = capsys.readouterr().out
    assert status == 0, out
    return out


def test_a_walk_is_saved_in_request_order_and_replays_as_its_goldens(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    directory = tmp_path / "sales"
    out = save(capsys, directory, "--digits", "1234#,1")

    names = sorted(p.name for p in directory.iterdir())
    assert names == [
        "01-start.expected.json", "01-start.json",
        "02-check_pin.expected.json", "02-check_pin.json",
        "03-menu_choice.expected.json", "03-menu_choice.json",
    ]  # fmt: skip
    assert f"saved 3 event(s) with goldens: pivotkit replay {directory}" in out

    status = main(["replay", "--memory", str(directory)])
    replayed = capsys.readouterr().out
    assert status == 0, replayed
    assert replayed.count("matches golden") == 3


def test_events_have_the_deployed_shape_and_the_goldens_hold_the_answers(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    save(capsys, tmp_path, "--digits", "1234#,1")
    first = json.loads((tmp_path / "01-start.json").read_text())
    assert first["version"] == "2.0"  # the stack's HTTP API
    host = endpoint_url("v2", "acme").split("/")[2]
    assert first["requestContext"]["domainName"] == host
    assert "token=local-acme" in first["rawQueryString"]
    golden = json.loads((tmp_path / "01-start.expected.json").read_text())
    assert golden["status"] == 200
    assert "collect_dtmf" in json.dumps(golden["body"])
    # The next event is the request the first answer's pivot node makes.
    second = json.loads((tmp_path / "02-check_pin.json").read_text())
    assert "step=check_pin" in second["rawQueryString"]


def test_a_directory_holding_events_is_refused_and_left_alone(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "01-start.json").write_text("{}")
    status = main(["call", "--customer", "acme", "--save-events", str(tmp_path)])
    assert status == 2
    assert "already holds events" in capsys.readouterr().err
    assert [p.name for p in tmp_path.iterdir()] == ["01-start.json"]


def test_saving_needs_an_in_process_call(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    url = "http://127.0.0.2:9/pivot/acme?token=x"
    status = main(["call", "--url", url, "--save-events", str(tmp_path / "x")])
    assert status == 2
    assert "use --customer" in capsys.readouterr().err
    assert not (tmp_path / "x").exists()
