"""``pivotkit replay``: every example's sample events in events/examples/, and goldens made
and checked here. The operator's own events (events/<customer>/) are theirs to replay: the
kit's tests do not depend on them."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

import customers
from pivotkit.local.cli import main
from pivotkit.local.commands.replay import event_files
from pivotkit.local.events import EventContext, lambda_event
from pivotkit.local.kazoo_encoding import KazooCall, pivot_http_request
from pivotkit.local.replaying import golden_path
from pivotkit.local.runtime import find_customers
from pivotkit.local.schemas import load_schema_sets
from tests.integration.serve_support import PROJECT_ROOT, write_test_customer
from tests.signing import signed

pytestmark = pytest.mark.slow

DOMAIN = "https://pivot.example.com"
ACCOUNT = "3a1f0e2d4c5b6a7980f1e2d3c4b5a697"
CALL = KazooCall(account_id=ACCOUNT, call_id="replay-1@test")


@pytest.fixture
def with_test_customer(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    directory = write_test_customer(tmp_path / "customers")
    monkeypatch.setattr(customers, "__path__", [*customers.__path__, str(directory)])
    monkeypatch.delenv("PIVOTKIT_TOKENS", raising=False)
    yield


def write_event(path: Path, url: str, *, digits: dict[str, str] | None = None) -> Path:
    call = replace(CALL, collections=digits)
    context = EventContext(request_id="req-1", time=datetime(2024, 1, 1, tzinfo=UTC))
    event = lambda_event(pivot_http_request(call, url), "v2", context=context)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(event), encoding="utf-8")
    return path


def replay(*args: str | Path) -> int:
    return main(["replay", *map(str, args)])


def golden(path: Path) -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads(golden_path(path).read_text(encoding="utf-8"))
    return loaded


SAMPLES = PROJECT_ROOT / "events" / "examples"
SAMPLE_SETS = sorted(p for p in SAMPLES.iterdir() if p.is_dir()) if SAMPLES.is_dir() else []


@pytest.mark.parametrize(
    "sample_set", SAMPLE_SETS or [None], ids=lambda p: getattr(p, "name", "none")
)
def test_every_sample_event_replays(
    sample_set: Path | None, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """events/examples/<example>/*.json: each directory names the example its events call."""
    monkeypatch.delenv("PIVOTKIT_TOKENS", raising=False)  # events carry local-<slug>
    if sample_set is None or not list(event_files([sample_set])):
        pytest.skip("events/examples/ holds no sample events yet")
    if sample_set.name not in find_customers():
        pytest.skip(
            f"events/examples/{sample_set.name}/ names no example package, so replay cannot"
            " answer its events (convention: events/examples/<example>/<scenario>.json)"
        )
    status = replay(sample_set, "--quiet")
    output = capsys.readouterr().out
    assert status == 0, output


@pytest.mark.usefixtures("with_test_customer")
def test_update_writes_goldens_that_later_runs_must_match(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    event = write_event(
        tmp_path / "events/simtest/start.json", f"{DOMAIN}/pivot/simtest?token=local-simtest"
    )
    assert replay(event, "--memory") == 0
    assert "no golden" in capsys.readouterr().out

    assert replay(event, "--memory", "--update") == 0
    recorded = golden(event)
    assert recorded["status"] == 200
    assert recorded["body"]["module"] == "tts"
    assert recorded["body"]["children"]["_"]["module"] == "collect_dtmf"
    capsys.readouterr()

    assert replay(event, "--memory") == 0
    assert "matches golden" in capsys.readouterr().out

    recorded["body"]["data"]["text"] = "Something else."
    golden_path(event).write_text(json.dumps(recorded), encoding="utf-8")
    assert replay(event, "--memory") == 1
    output = capsys.readouterr().out
    assert "DIFFERS from golden" in output
    assert '-      "text": "Something else."' in output
    assert '+      "text": "Enter your PIN, then pound."' in output


@pytest.mark.usefixtures("with_test_customer")
def test_non_200_against_a_golden_expecting_200_fails(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    event = write_event(tmp_path / "e/start.json", f"{DOMAIN}/pivot/simtest?token=local-simtest")
    assert replay(event, "--memory", "--update") == 0
    write_event(event, f"{DOMAIN}/pivot/simtest?token=not-the-token")
    assert replay(event, "--memory") == 1
    output = capsys.readouterr().out
    assert f"FAIL {event}: 401" in output
    assert '+  "status": 401' in output


@pytest.mark.usefixtures("with_test_customer")
def test_events_replay_in_order_and_share_call_state_on_embedded_aws(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A three-request call: the last request needs the state the second one stored."""
    base = f"{DOMAIN}/pivot/simtest?token=local-simtest"
    first = write_event(tmp_path / "call/1-start.json", base)
    # The continuations the kit emits, signed for this call under the local key.
    pin = signed(f"{base}&step=pin&hop=1&seq=0&g=pin_1", CALL)
    second = write_event(tmp_path / "call/2-pin.json", pin, digits={"pin_1": "2468"})
    menu = signed(f"{base}&step=menu&hop=2&seq=1&g=menu_2", CALL)
    third = write_event(
        tmp_path / "call/3-menu.json", menu, digits={"pin_1": "2468", "menu_2": "3"}
    )
    assert replay(tmp_path / "call", "--update", "--quiet") == 0, capsys.readouterr().out
    assert golden(first)["status"] == golden(second)["status"] == 200
    assert golden(third) == {
        "status": 200,
        "body": {
            "module": "tts",
            "data": {"text": "Your PIN was 2468, ? digits. Goodbye."},
            "children": {"_": {"module": "hangup", "data": {}}},
        },
    }
    # Without the earlier events, the continuation finds no state: Kazoo would fall back.
    assert replay(third, "--quiet") == 1
    assert "410" in capsys.readouterr().out


@pytest.mark.usefixtures("with_test_customer")
def test_schema_invalid_answers_fail_the_replay(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    if not load_schema_sets():
        pytest.skip("Kazoo schemas not found (set KAZOO_SCHEMAS)")
    url = signed(f"{DOMAIN}/pivot/simtest?token=local-simtest&step=invalid", CALL)
    event = write_event(tmp_path / "bad.json", url)
    assert replay(event, "--memory") == 1
    output = capsys.readouterr().out
    assert "answer fails Kazoo's schemas" in output
    assert "'text' is a required property" in output


@pytest.mark.usefixtures("with_test_customer")
def test_replay_says_when_schemas_are_missing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("KAZOO_SCHEMAS", str(tmp_path / "nowhere"))
    event = write_event(tmp_path / "e.json", f"{DOMAIN}/pivot/simtest?token=local-simtest")
    assert replay(event, "--memory") == 0
    assert "schemas: skipped: Kazoo schemas not found" in capsys.readouterr().out


def test_unreadable_or_unroutable_events_fail(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "broken.json").write_text("{not json", encoding="utf-8")
    (tmp_path / "elsewhere.json").write_text(
        json.dumps(
            {"version": "2.0", "rawPath": "/admin", "requestContext": {"http": {"method": "GET"}}}
        ),
        encoding="utf-8",
    )
    assert replay(tmp_path, "--memory") == 1
    output = capsys.readouterr().out
    assert f"FAIL {tmp_path / 'broken.json'}" in output
    assert "neither a /pivot nor a /media route" in output
    assert replay(tmp_path / "missing.json") == 2


def test_a_pass_prints_only_its_verdict_unless_asked(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Answers are what a failure needs; a green run stays one line per event."""
    event = SAMPLES / "acme" / "01-first-request-get-http-api.json"
    assert replay(event, "--memory") == 0
    quiet_pass = capsys.readouterr().out
    assert "ok   " in quiet_pass and '"module"' not in quiet_pass
    assert replay(event, "--memory", "--verbose") == 0
    assert '"module"' in capsys.readouterr().out
    changed = tmp_path / event.name
    changed.write_text(event.read_text())
    golden = json.loads(golden_path(event).read_text())
    golden["status"] = 201
    golden_path(changed).write_text(json.dumps(golden))
    assert replay(changed, "--memory") == 1
    failed = capsys.readouterr().out
    assert "FAIL" in failed and '"module"' in failed
