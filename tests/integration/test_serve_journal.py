"""The call journal of a real `pivotkit serve`: written into its embedded CloudWatch Logs,
read back by `pivotkit calls`, with no token or PIN anywhere and failed calls first.

Calls are placed over HTTP as Kazoo places them (``pivot_http_request``), with the token and
the PIN in every position Kazoo could carry them: the query string, a form body, a JSON body,
the URL path, headers, custom application vars and SIP headers, the caller's name and number,
and the collected digits; then every field of every journal entry, and the raw text of every
line of the log group, is searched for them.
"""

from __future__ import annotations

import json
import subprocess
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest

from pivotkit.journal import MAX_ENTRY_BYTES, MAX_STRING_CHARS, is_journal_line
from pivotkit.local.journal_sources import SERVE_RECORD, ServeRecord, filter_journal, serve_client
from pivotkit.local.kazoo_encoding import KazooCall, pivot_http_request
from tests.integration.serve_support import ServeProcess, cli_command, cli_environment

pytestmark = pytest.mark.slow

TOKEN = "Zq9-secret-Token_777"
WRONG_TOKEN = "wrong-Token-0123456789"
PIN = "86429731"
ACCOUNT = "3a1f0e2d4c5b6a7980f1e2d3c4b5a697"
GROUP = "/aws/lambda/pivotkit-dev-journaltest"

CUSTOMER_SOURCE = """
import time

from pivotkit import Call, Customer, Flow, Node, hangup, raw, tts

flow = Flow()


@flow.step()
def start(call: Call) -> Node:
    return call.gather("pin", prompt=tts("Enter your PIN, then pound."), max_digits=8)


@flow.step()
def pin(call: Call) -> Node:
    call.state["checked"] = len(call.digits or "")
    return call.gather("menu", prompt=tts("1 ends, 2 fails, 3 is slow, 4 is refused."))


@flow.step()
def menu(call: Call) -> Node:
    if call.digits == "2":
        raise RuntimeError("a deliberate failure")
    if call.digits == "3":
        time.sleep(3.0)  # past the step's time: request_timeout_ms less the reply margin
    if call.digits == "4":
        return raw("no_such_module", {})
    return tts("Goodbye.").then(hangup())


customer = Customer(
    slug="journaltest", flow=flow, fallback_message="Sorry.", request_timeout_ms=2000
)
"""


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[ServeProcess, Path]]:
    root = tmp_path_factory.mktemp("journal")
    package = root / "customers" / "journaltest"
    package.mkdir(parents=True)
    (package / "__init__.py").write_text(CUSTOMER_SOURCE, encoding="utf-8")
    environment = {"PIVOTKIT_TOKENS": json.dumps({"journaltest": [TOKEN]})}
    with ServeProcess(
        root, root / "customers", "--customer", "journaltest", cwd=root, environment=environment
    ) as server:
        yield server, root


def _kazoo_call(call_id: str, caller_name: str) -> KazooCall:
    return KazooCall(
        account_id=ACCOUNT,
        call_id=call_id,
        caller_id_name=caller_name,
        caller_id_number=f"+1415{PIN}",
        custom_application_vars={"token": TOKEN, "note": f"token={TOKEN}", "t": TOKEN},
        custom_sip_headers={"X-Auth": TOKEN},
    )


def _send(url: str, call: KazooCall, method: str, body_format: str) -> tuple[int, Any]:
    wire = pivot_http_request(call, url, method=method, req_body_format=body_format)
    body = wire.body
    if body and body_format == "form":
        body += f"&token={TOKEN}&Digits[extra]={PIN}".encode()
    elif body:
        document = json.loads(body)
        document.update({"token": TOKEN, "nested": {"token": TOKEN}})
        if PIN in (call.collections or {}).values():
            document["nested"]["pin"] = PIN
        body = json.dumps(document).encode()
    headers = {k: v for k, v in wire.headers if k not in ("content-length", "host")}
    headers.update({"Authorization": f"Bearer {TOKEN}", "X-Pivot-Token": TOKEN})
    request = urllib.request.Request(wire.url, data=body or None, headers=headers)
    request.method = wire.method
    try:
        with urllib.request.urlopen(request, timeout=20) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, None


def _node(tree: dict[str, Any], module: str) -> dict[str, Any] | None:
    if tree["module"] == module:
        return tree
    for child in tree.get("children", {}).values():
        found = _node(child, module)
        if found is not None:
            return found
    return None


def _walk(base: str, call_id: str, presses: list[str], method: str, body_format: str,
          caller_name: str = f"John {TOKEN} {PIN}") -> list[int]:  # fmt: skip
    """One call: the first request, then each press into the answer's collection."""
    call = _kazoo_call(call_id, caller_name)
    status, tree = _send(f"{base}/pivot/journaltest?token={TOKEN}", call, method, body_format)
    statuses = [status]
    for digits in presses:
        assert tree is not None, statuses
        collect, pivot = _node(tree, "collect_dtmf"), _node(tree, "pivot")
        assert collect is not None and pivot is not None
        call = call.with_digits(collect["data"]["collection_name"], digits)
        if digits == PIN:  # as if a step had set it as a variable: Kazoo sends it back
            call = call.with_vars({"entered": f"pin {PIN}", "pin": PIN})
        status, tree = _send(pivot["data"]["voice_url"], call, method, body_format)
        statuses.append(status)
    return statuses


@pytest.fixture(scope="module")
def walked(served: tuple[ServeProcess, Path]) -> tuple[ServeRecord, Path]:
    server, root = served
    base = server.url
    hostile = "\x1b[31m\n\r\x00" + f"{TOKEN} {PIN} " + "N" * 40_000  # under the 64 KB body limit
    assert _walk(base, "call-ok", [PIN, "1"], "get", "form") == [200, 200, 200]
    assert _walk(base, "call-raises", [PIN, "2"], "post", "form", hostile) == [200, 200, 500]
    assert _walk(base, "call-slow", [PIN, "3"], "post", "json") == [200, 200, 503]
    assert _walk(base, "call-refused", [PIN, "4"], "get", "form") == [200, 200, 500]
    wrong = _kazoo_call("call-wrong-token", "Jane")
    url = f"{base}/pivot/journaltest?token={WRONG_TOKEN}"
    assert _send(url, wrong, "get", "form")[0] == 401
    # The token also as a path segment (a voice_url with a stray tail): answered, journaled.
    path_url = f"{base}/pivot/journaltest/{TOKEN}?token={TOKEN}"
    assert _send(path_url, _kazoo_call("call-path", "Jo"), "get", "form")[0] == 200
    # A recording of the good call, and one sent with a wrong token.
    recording = "call_recording_call-ok.mp3"
    for token, expected in ((TOKEN, 201), (WRONG_TOKEN, 401)):
        upload = urllib.request.Request(
            f"{base}/media/journaltest/recordings?token={token}&recording={recording}"
            f"&call_id=call-ok&caller_id_number=%2B1415{PIN}",
            data=b"ID3" + b"\x00" * 2048,
            headers={"Content-Type": "audio/mpeg"},
            method="PUT",
        )
        try:
            with urllib.request.urlopen(upload, timeout=20) as response:
                assert response.status == expected
        except urllib.error.HTTPError as error:
            assert error.code == expected
    record = ServeRecord.read(root / SERVE_RECORD)
    assert record is not None and record.log_groups == {"journaltest": GROUP}
    return record, root


def _strings(value: Any) -> Iterator[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for key, item in value.items():
            yield str(key)
            yield from _strings(item)
    elif isinstance(value, list):
        for item in value:
            yield from _strings(item)
    elif value is not None:
        yield str(value)


def _raw_messages(record: ServeRecord) -> list[str]:
    client = serve_client(record)
    messages: list[str] = []
    kwargs: dict[str, Any] = {"logGroupName": GROUP}
    while True:
        page = client.filter_log_events(**kwargs)
        messages += [event["message"] for event in page["events"]]
        if not page.get("nextToken"):
            return messages
        kwargs["nextToken"] = page["nextToken"]


def _calls(root: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        cli_command(root / "customers", "calls", *args),
        capture_output=True, text=True, env=cli_environment(), cwd=root, timeout=60,
        check=False,
    )  # fmt: skip


def test_no_token_or_pin_in_any_field_or_line_and_every_line_bounded(
    walked: tuple[ServeRecord, Path],
) -> None:
    record, _ = walked
    messages = _raw_messages(record)
    entries = [e for e in (is_journal_line(m) for m in messages) if e is not None]
    assert len(entries) == len(messages) >= 12  # the group holds the journal and nothing else
    assert {e["call_id"] for e in entries} >= {
        "call-ok", "call-raises", "call-slow", "call-refused", "call-wrong-token",
    }  # fmt: skip
    forbidden = [TOKEN, WRONG_TOKEN, PIN, quote(TOKEN, safe=""), TOKEN.lower(), TOKEN.upper()]
    for message in messages:
        assert len(message.encode()) <= MAX_ENTRY_BYTES
        assert message.isascii() and message.isprintable(), message[:200]
        for secret in forbidden:
            at = message.lower().find(secret.lower())
            assert at < 0, (secret, message[max(0, at - 200) : at + 50])
    for entry in entries:
        for text in _strings(entry):
            for secret in forbidden:
                assert secret.lower() not in text.lower(), (secret, entry)
    raised = [e for e in entries if e["call_id"] == "call-raises" and e["kind"] == "request"]
    first = raised[0]
    name = first["caller_id_name"]  # masked to initials, control characters shown escaped
    assert name.startswith("\\x1b*") and len(name) <= MAX_STRING_CHARS + 16
    assert len(json.dumps(first)) <= MAX_ENTRY_BYTES
    pressed = next(e for e in entries if e["call_id"] == "call-ok" and e["step"] == "pin")
    assert pressed["digits_length"] == len(PIN) and "digits" not in pressed


def test_failed_calls_are_listed_first_with_their_code_and_step(
    walked: tuple[ServeRecord, Path],
) -> None:
    _, root = walked
    result = _calls(root, "list", "--status", "error")
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    by_call = {line.split()[3]: line for line in lines}
    assert set(by_call) == {"call-raises", "call-slow", "call-refused", "call-wrong-token"}
    assert "500 step_failed at menu" in by_call["call-raises"]
    assert "503 step_timed_out at menu" in by_call["call-slow"]
    assert "500 invalid_callflow at menu" in by_call["call-refused"]
    assert "401 unauthorized" in by_call["call-wrong-token"]
    everything = _calls(root, "list").stdout.splitlines()
    assert everything[: len(lines)] == lines  # failed calls first, then the good ones
    assert {line.split()[3] for line in everything[len(lines) :]} == {"call-ok", "call-path"}


def test_show_lists_the_media_uploads_of_the_call(walked: tuple[ServeRecord, Path]) -> None:
    _, root = walked
    result = _calls(root, "show", "call-ok", "--json")
    assert result.returncode == 0, result.stderr
    media = [
        json.loads(block) for block in _json_blocks(result.stdout) if '"kind": "media"' in block
    ]
    stored = next(m for m in media if m["status"] == 201)
    assert stored["key"].startswith("journaltest/recordings/")
    assert stored["size"] == 2051 and stored["content_type"] == "audio/mpeg"
    assert stored["media_kind"] == "recording" and stored["error"] is None
    refused = next(m for m in media if m["status"] == 401)
    assert refused["error"] == "unauthorized"
    assert TOKEN not in result.stdout and WRONG_TOKEN not in result.stdout


def _json_blocks(text: str) -> list[str]:
    """`calls show` prints one indented JSON object per entry."""
    blocks, current = [], []
    for line in text.splitlines():
        current.append(line)
        if line == "}":
            blocks.append("\n".join(current))
            current = []
    return blocks


def test_the_inspector_lists_the_calls_the_journal_holds(
    served: tuple[ServeProcess, Path], walked: tuple[ServeRecord, Path]
) -> None:
    server, _ = served
    with urllib.request.urlopen(f"{server.url}/dev/api/calls", timeout=20) as answer:
        listed = {c["call_id"]: c for c in json.loads(answer.read())["calls"]}
    assert listed["call-raises"]["failed"] and listed["call-raises"]["errors"] == ["step_failed"]
    assert listed["call-slow"]["errors"] == ["step_timed_out"]
    assert listed["call-wrong-token"]["errors"] == ["unauthorized"]
    ok = listed["call-ok"]
    assert (ok["requests"], ok["media"], ok["failed"]) == (3, 2, False)
    # Each call's timeline still comes from the gateway's tap, with whole answers.
    with urllib.request.urlopen(f"{server.url}/dev/api/calls/call-ok", timeout=20) as answer:
        assert len(json.loads(answer.read())["entries"]) >= 3


def test_the_record_goes_when_serve_stops(served: tuple[ServeProcess, Path]) -> None:
    server, root = served
    record = ServeRecord.read(root / SERVE_RECORD)
    assert record is not None
    # The journal is read through the same FilterLogEvents path as a deployed stage.
    assert any(e["call_id"] for e in filter_journal(serve_client(record), [GROUP], 0))
    assert server.stop() == 0
    assert not (root / SERVE_RECORD).exists()
