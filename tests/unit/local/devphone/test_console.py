"""The dev console's API, in process: the guards, a whole phone call, the inspector's data."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator, Mapping
from typing import Any

import pytest

from pivotkit.http import HttpResponse
from pivotkit.local.devphone.calllog import ServeCallLog
from pivotkit.local.devphone.console import DevConsole, DialTarget
from pivotkit.local.gateway import GatewayRequest
from pivotkit.local.runtime import local_runtime
from pivotkit.local.simulator import InProcessTransport
from pivotkit.local.transcript import Event
from pivotkit.redaction import Redactor

HOST = "127.0.0.1:8080"
DEV = [("X-Pivotkit-Dev", "1"), ("Content-Type", "application/json")]
TOKEN = "local-acme"


@pytest.fixture
def console() -> Iterator[DevConsole]:
    with local_runtime("memory", customer="acme") as runtime:
        secrets = [t for ts in runtime.tokens.values() for t in ts]
        log = ServeCallLog(scrub=Redactor(secrets))
        holder: list[DevConsole] = []
        console = DevConsole(
            runtime.gateway(tap=log.record),
            log,
            [DialTarget("acme", runtime.token_for("acme")), DialTarget("vaulted", None)],
            secrets=secrets,
            validator=lambda tree: [] if tree.get("module") else ["no module"],
            validation_label="test schemas",
            transport_factory=lambda: InProcessTransport(holder[0]),
        )
        holder.append(console)
        console.base_url = f"http://{HOST}"
        yield console


def send(
    console: DevConsole,
    method: str,
    target: str,
    body: Mapping[str, Any] | None = None,
    *,
    headers: list[tuple[str, str]] | None = None,
    host: str = HOST,
) -> HttpResponse:
    return console.dispatch(
        GatewayRequest(
            method=method,
            target=target,
            headers=DEV if headers is None else headers,
            body=b"" if body is None else json.dumps(body).encode(),
            domain_name=host,
        )
    )


def data(response: HttpResponse) -> Any:
    return json.loads(response.body)


def wait_for(console: DevConsole, call: str, predicate: Any, timeout: float = 10) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        state = data(send(console, "GET", f"/dev/api/phone/calls/{call}"))
        if predicate(state):
            return state
        time.sleep(0.02)
    raise AssertionError(f"the call never got there: {state}")


def test_a_host_that_is_not_a_loopback_name_is_refused(console: DevConsole) -> None:
    # DNS rebinding: a name the attacker controls resolving to 127.0.0.1.
    response = send(console, "GET", "/dev/api/customers", host="evil.example:8080")
    assert (response.status, data(response)["error"]) == (403, "not_loopback")
    for host in ("localhost:8080", "[::1]:8080", "127.0.0.1"):
        assert send(console, "GET", "/dev/api/customers", host=host).status == 200


@pytest.mark.parametrize(
    ("headers", "status", "code"),
    [
        ([("Content-Type", "application/json")], 403, "dev_header_missing"),
        ([*DEV, ("Origin", "http://evil.example")], 403, "foreign_origin"),
        ([("X-Pivotkit-Dev", "1"), ("Content-Type", "text/plain")], 415, "json_required"),
    ],
)
def test_posts_a_cross_site_page_could_send_are_refused(
    console: DevConsole, headers: list[tuple[str, str]], status: int, code: str
) -> None:
    response = send(console, "POST", "/dev/api/phone/calls", {"customer": "acme"}, headers=headers)
    assert (response.status, data(response)["error"]) == (status, code)


def test_bad_dial_requests_are_4xx_without_echoing_the_input(console: DevConsole) -> None:
    cases = [
        ({"customer": "nobody"}, 404, "unknown_customer"),
        ({"customer": "vaulted"}, 409, "no_local_token"),
        ({"customer": "acme", "caller_number": "<script>"}, 400, "invalid_caller_number"),
        ({"customer": "acme", "account_id": "XYZ<b>"}, 400, "invalid_account_id"),
        ({"customer": "acme", "caller_name": "a\x00b"}, 400, "invalid_caller_name"),
    ]
    for body, status, code in cases:
        response = send(console, "POST", "/dev/api/phone/calls", body)
        assert (response.status, data(response)["error"]) == (status, code)
        assert b"<" not in response.body and b"nobody" not in response.body


def test_a_whole_call_busy_sales_then_the_operator_answers(console: DevConsole) -> None:
    started = send(console, "POST", "/dev/api/phone/calls", {"customer": "acme"})
    assert started.status == 201
    call = data(started)["id"]
    state = wait_for(console, call, lambda s: (s["waiting"] or {}).get("kind") == "digits")
    assert state["waiting"]["max_digits"] == 4
    assert (
        send(console, "POST", f"/dev/api/phone/calls/{call}/keys", {"keys": "1234"}).status == 204
    )
    wait_for(console, call, lambda s: any("For sales" in e["text"] for e in s["events"]))
    send(console, "POST", f"/dev/api/phone/calls/{call}/keys", {"keys": "1"})
    state = wait_for(console, call, lambda s: (s["waiting"] or {}).get("kind") == "bridge")
    assert state["waiting"]["target"].startswith("ring_group")
    send(console, "POST", f"/dev/api/phone/calls/{call}/bridge", {"outcome": "USER_BUSY"})
    state = wait_for(
        console,
        call,
        lambda s: (s["waiting"] or {}).get("target", "").startswith("device"),
    )
    send(console, "POST", f"/dev/api/phone/calls/{call}/bridge", {"outcome": "answer"})
    state = wait_for(console, call, lambda s: s["ended"])
    assert (state["ending"], state["ok"]) == ("bridged", True)
    assert "device 0a0a0a0a" in state["reason"]
    events = data(send(console, "GET", f"/dev/api/phone/calls/{call}"))["events"]
    bridges = [e["text"] for e in events if e["kind"] == "bridge"]
    assert "USER_BUSY (486)" in bridges[0] and bridges[1].endswith("answered")
    everything = json.dumps(events)
    assert TOKEN not in everything and "token=***" in everything


def test_keys_and_outcomes_are_checked(console: DevConsole) -> None:
    call = data(send(console, "POST", "/dev/api/phone/calls", {"customer": "acme"}))["id"]
    for keys in ("", "12a", "1" * 33, 5):
        response = send(console, "POST", f"/dev/api/phone/calls/{call}/keys", {"keys": keys})
        assert (response.status, data(response)["error"]) == (400, "invalid_keys")
    response = send(console, "POST", f"/dev/api/phone/calls/{call}/bridge", {"outcome": "x"})
    assert (response.status, data(response)["error"]) == (400, "invalid_outcome")
    send(console, "POST", f"/dev/api/phone/calls/{call}/hangup", {})
    assert wait_for(console, call, lambda s: s["ended"])["ending"] == "caller_hangup"
    unknown = send(console, "GET", "/dev/api/phone/calls/" + "0" * 32)
    assert (unknown.status, data(unknown)["error"]) == (404, "unknown_phone_call")


def test_kazoo_routes_pass_through_and_the_inspector_sees_them(console: DevConsole) -> None:
    target = f"/pivot/acme?token={TOKEN}&Call-ID=abc%4010.0.0.1&Account-ID={'3' * 32}"
    answer = send(console, "GET", target, headers=[])
    assert answer.status == 200 and json.loads(answer.body)["module"] == "tts"
    bad = send(console, "GET", "/pivot/acme?token=wrong&Call-ID=abc%4010.0.0.1", headers=[])
    assert bad.status == 401

    calls = data(send(console, "GET", "/dev/api/calls"))["calls"]
    assert calls[0]["call_id"] == "abc@10.0.0.1"
    assert (calls[0]["requests"], calls[0]["errors"], calls[0]["failed"]) == (
        2,
        ["unauthorized"],
        True,
    )
    view = data(send(console, "GET", "/dev/api/calls/abc%4010.0.0.1"))
    first, second = view["entries"]
    assert (first["status"], first["step"], first["schema"]["verdict"]) == (200, "start", "valid")
    assert first["callflow"]["module"] == "tts"
    assert (second["status"], second["error"], second["schema"]) == (401, "unauthorized", None)
    assert view["schemas"] == "test schemas" and view["path_from"] == "requests"
    assert "flowchart TD" in view["mermaid"] and "401 unauthorized" in view["mermaid"]
    assert TOKEN not in json.dumps(view)
    missing = send(console, "GET", "/dev/api/calls/nope")
    assert (missing.status, data(missing)["error"]) == (404, "unknown_call")


def test_pages_and_assets_ship_in_the_package_with_a_strict_policy(console: DevConsole) -> None:
    for target, kind in (
        ("/dev/", "text/html"),
        ("/dev/inspector", "text/html"),
        ("/dev/static/app.css", "text/css"),
        ("/dev/static/phone.js", "text/javascript"),
        ("/dev/static/inspector.js", "text/javascript"),
        ("/dev/static/common.js", "text/javascript"),
    ):
        response = send(console, "GET", target)
        assert response.status == 200 and response.headers["Content-Type"].startswith(kind)
        assert "script-src 'self'" in response.headers["Content-Security-Policy"]
        assert b"http://" not in response.body and b"https://" not in response.body  # no CDN
    assert send(console, "GET", "/dev").status == 302
    for target in ("/dev/static/../console.py", "/dev/static/missing.js", "/dev/nothing"):
        assert send(console, "GET", target).status == 404


def test_both_pages_share_one_layout_with_their_own_main_script_and_nav_mark(
    console: DevConsole,
) -> None:
    phone = send(console, "GET", "/dev/").body.decode()
    inspector = send(console, "GET", "/dev/inspector").body.decode()
    assert phone.startswith("<!doctype html>") and inspector.startswith("<!doctype html>")
    assert '<script src="/dev/static/phone.js" defer>' in phone
    assert '<script src="/dev/static/inspector.js" defer>' in inspector
    assert '<a href="/dev/" aria-current="page">Phone</a>' in phone
    assert '<a href="/dev/inspector" aria-current="page">Inspector</a>' in inspector
    assert 'id="dial-form"' in phone and 'id="timeline"' in inspector
    assert "$" not in phone + inspector  # every placeholder of the layout filled
    for fragment in ("phone.html", "inspector.html", "layout.html"):  # pages, not assets
        assert send(console, "GET", f"/dev/static/{fragment}").status == 404


def test_played_media_of_this_server_reaches_the_page_through_the_console(
    console: DevConsole,
) -> None:
    call = data(send(console, "POST", "/dev/api/phone/calls", {"customer": "acme"}))["id"]
    phone = console._phone_call(call)
    media = f"{console.base_url}/media/acme/{TOKEN}/greeting.wav"
    phone._listen(Event("play", media, "play"))
    phone._listen(Event("play", "https://media.example.com/hold.mp3", "play"))
    phone._listen(Event("play", "5ba5e1c0de5ba5e1c0de5ba5e1c0de01", "play"))
    send(console, "POST", f"/dev/api/phone/calls/{call}/hangup", {})
    wait_for(console, call, lambda s: s["ended"])
    state = send(console, "GET", f"/dev/api/phone/calls/{call}")
    events = data(state)["events"]
    players = {e["text"]: (i, e.get("player")) for i, e in enumerate(events) if e["kind"] == "play"}
    index, player = players[f"{console.base_url}/media/acme/***/greeting.wav"]
    assert player == f"/dev/api/phone/calls/{call}/media/{index}"
    assert players["https://media.example.com/hold.mp3"][1] == "https://media.example.com/hold.mp3"
    assert players["5ba5e1c0de5ba5e1c0de5ba5e1c0de01"][1] is None
    assert TOKEN not in state.body.decode()
    proxied = send(console, "GET", player)
    # The media function answered (no such recording), not the console.
    assert proxied.status == 404 and b"no_media" not in proxied.body
    not_a_play = send(console, "GET", f"/dev/api/phone/calls/{call}/media/0")
    assert data(not_a_play)["error"] == "no_media"
