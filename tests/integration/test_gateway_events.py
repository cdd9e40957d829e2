"""REST API shapes in ``events/examples/acme/gateway-*.json``: built here, replayed by
``pivotkit replay``.

Two REST API set-ups route on something other than the path a function sees: a custom
domain's base path mapping (``path`` and ``requestContext.path`` both ``/kazoo/pivot/acme``,
resource ``/pivot/{customer}``) and SAM's default catch-all resource ``/{proxy+}`` (its
``resourcePath`` names no function). Each sample is a first Pivot request or a media upload,
so it needs no state an earlier event left and its golden holds no continuation of a call.

Regenerate after a deliberate change with ``PIVOTKIT_WRITE_EVENTS=1 pytest <this file>``
(events), then ``pivotkit replay --update events/examples/acme/gateway-*.json`` (goldens).
"""

from __future__ import annotations

import json
import os
from datetime import UTC, datetime
from typing import Any

import pytest

from pivotkit.local.cli import main
from pivotkit.local.events import EventContext, rest_v1_event
from pivotkit.local.kazoo_encoding import KazooCall, KazooHttpRequest, pivot_http_request
from pivotkit.local.replaying import golden_path
from tests.integration.serve_support import PROJECT_ROOT

pytestmark = pytest.mark.slow

EVENTS = PROJECT_ROOT / "events" / "examples" / "acme"
PATTERN = "gateway-*.json"
KAZOO_ACCOUNT = "3a1f0e2d4c5b6a7980f1e2d3c4b5a697"
MEDIA_ACCOUNT = "4b1c0e9d2a3f4e5d6c7b8a9f0e1d2c3b"
CUSTOM_DOMAIN = "https://pivot.example.com/kazoo"  # base path mapping /kazoo -> stage prod
EXECUTE_API = "https://a1b2c3d4e5.execute-api.us-east-1.amazonaws.com/prod"
TOKEN = "local-acme"
# An MP3 frame header and some silence: not UTF-8, so the REST API passes it base64.
AUDIO = b"\xff\xfb\x90\x64" + b"\x00" * 412


def _context(n: int) -> EventContext:
    return EventContext(
        request_id=f"00000000-0000-4000-8000-00000000000{n}",
        time=datetime(2026, 6, 1, 15, 0, n, tzinfo=UTC),
    )


def _first_request(call_id: str, url: str, method: str) -> KazooHttpRequest:
    return pivot_http_request(KazooCall(KAZOO_ACCOUNT, call_id), url, method=method)


def _recording_upload(base: str, call_id: str) -> KazooHttpRequest:
    """``record_call`` without a query in its url: Kazoo puts the token in the path and
    the call's fields in a query of its own."""
    query = f"call_id={call_id}&cdr_id=202405-{call_id}&account_id={MEDIA_ACCOUNT}"
    url = f"{base}/media/acme/{TOKEN}/call_recording_{call_id}.mp3?{query}"
    host = url.split("/")[2]
    headers = (("content-type", "audio/mpeg"), ("content-length", str(len(AUDIO))), ("host", host))
    return KazooHttpRequest("PUT", url, headers, AUDIO)


def gateway_events() -> dict[str, dict[str, Any]]:
    return {
        "gateway-01-rest-base-path-first-request-post": rest_v1_event(
            _first_request(
                "gw-base-path@10.0.0.5", f"{CUSTOM_DOMAIN}/pivot/acme?token={TOKEN}", "post"
            ),
            base_path="/kazoo",
            context=_context(1),
        ),
        "gateway-02-rest-proxy-resource-first-request-get": rest_v1_event(
            _first_request("gw-proxy@10.0.0.5", f"{EXECUTE_API}/pivot/acme?token={TOKEN}", "get"),
            route="/{proxy+}",
            context=_context(2),
        ),
        "gateway-03-rest-base-path-media-put": rest_v1_event(
            _recording_upload(CUSTOM_DOMAIN, "2f3a4b5c-6d7e-4f80-91a2-b3c4d5e6f708"),
            base_path="/kazoo",
            route="/media/{customer}/{proxy+}",
            context=_context(3),
        ),
        "gateway-04-rest-proxy-resource-media-put": rest_v1_event(
            _recording_upload(EXECUTE_API, "3a4b5c6d-7e8f-4091-a2b3-c4d5e6f70819"),
            route="/{proxy+}",
            context=_context(4),
        ),
    }


def _dump(document: Any) -> str:
    return json.dumps(document, indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def test_event_files_match_the_builder() -> None:
    wanted = {name: _dump(event) for name, event in gateway_events().items()}
    if os.environ.get("PIVOTKIT_WRITE_EVENTS") == "1":
        for name, text in wanted.items():
            (EVENTS / f"{name}.json").write_text(text, encoding="utf-8")
    found = sorted(p.name for p in EVENTS.glob(PATTERN) if not p.name.endswith(".expected.json"))
    assert found == sorted(f"{name}.json" for name in wanted)
    for name, text in wanted.items():
        assert (EVENTS / f"{name}.json").read_text(encoding="utf-8") == text


def test_both_rest_shapes_replay_through_the_handlers_as_their_goldens(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The same path as ``pivotkit replay events/examples/acme``: the composition roots' handlers on
    the embedded AWS, each answer checked against Kazoo's schemas and its golden."""
    monkeypatch.delenv("PIVOTKIT_TOKENS", raising=False)  # the events carry local-acme
    monkeypatch.delenv("PIVOTKIT_PUBLIC_URL", raising=False)  # the events alone must do
    files = sorted(p for p in EVENTS.glob(PATTERN) if not p.name.endswith(".expected.json"))
    assert main(["replay", "--quiet", *map(str, files)]) == 0, capsys.readouterr().out
    output = capsys.readouterr().out
    assert output.count("matches golden") == len(files) == 4, output


def _golden(name: str) -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads(golden_path(EVENTS / f"{name}.json").read_text())
    return loaded


def _continuation(body: dict[str, Any]) -> str:
    """The voice_url of the first pivot node in a callflow."""
    node = body
    while node.get("module") != "pivot":
        node = node["children"]["_"]
    url: str = node["data"]["voice_url"]
    return url


def test_the_goldens_answer_the_call_where_kazoo_reached_it() -> None:
    """Continuations keep the custom domain's base path (Kazoo must come back through the
    mapping) or the stage; uploads are stored under the key the path names."""
    base_path = _golden("gateway-01-rest-base-path-first-request-post")
    assert base_path["status"] == 200
    assert _continuation(base_path["body"]).startswith(f"{CUSTOM_DOMAIN}/pivot/acme?")
    proxy = _golden("gateway-02-rest-proxy-resource-first-request-get")
    assert proxy["status"] == 200
    assert _continuation(proxy["body"]).startswith(f"{EXECUTE_API}/pivot/acme?")
    for name in ("gateway-03-rest-base-path-media-put", "gateway-04-rest-proxy-resource-media-put"):
        stored = _golden(name)
        assert stored["status"] == 201
        assert stored["body"]["stored"].startswith(f"acme/recordings/{MEDIA_ACCOUNT}/2024/05/")
        assert stored["body"]["bytes"] == len(AUDIO)
