"""Call.media_url / record_call / record_caller: the URLs a flow hands Kazoo, end to end."""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import urlsplit

import pytest

from pivotkit.callflow import Node, render
from pivotkit.customers import StaticTokens
from pivotkit.flow import Call, CallState
from pivotkit.http import HttpRequest
from pivotkit.local.schemas import KNOWN_VERSIONS, NOT_FOUND, load_schema_sets
from pivotkit.media.app import MediaApp
from pivotkit.media.store import InMemoryMediaStore
from pivotkit.request import PivotRequest
from tests.unit.media.audio import wav_bytes
from tests.unit.media.example_customer import SLUG, TOKEN, media_customer
from tests.unit.media.kazoo import (
    ACCOUNT_ID,
    record_call_url,
    record_caller_url,
    recording_fields,
)

BASE = "https://pivot.example.com/prod"
CALL_ID = "9d8c7b6a-5f4e-4d3c-2b1a-0f9e8d7c6b5a"


def make_call(token: str = TOKEN) -> Call:
    return Call(
        request=PivotRequest(account_id=ACCOUNT_ID, call_id=CALL_ID),
        customer=media_customer(),
        step="start",
        hop=0,
        digits=None,
        state=CallState(),
        continuation_base=f"{BASE}/pivot/{SLUG}",
        token_mark=token,
        seq_placeholder="PKSEQ0",
        sig_placeholder="PKSIG0",
    )


def data_of(node: Node) -> dict[str, Any]:
    return dict(node.to_dict()["data"])


def test_media_url_puts_the_token_first_and_encodes_parts() -> None:
    call = make_call("t/k n")
    assert call.media_url() == f"{BASE}/media/{SLUG}/t%2Fk%20n"
    assert call.media_url("callers", "a b") == f"{BASE}/media/{SLUG}/t%2Fk%20n/callers/a%20b"


def test_record_call_node() -> None:
    node = make_call().record_call()
    assert node.module == "record_call"
    assert data_of(node) == {
        "action": "start",
        "url": f"{BASE}/media/{SLUG}/recordings?token={TOKEN}",
        "method": "put",
        "format": "mp3",
        "time_limit": 528,  # 64 kbps (16 kHz stereo mp3) within the Lambda payload limit
    }
    assert data_of(make_call().record_call(format="wav"))["time_limit"] == 66
    assert (
        data_of(make_call().record_call(format="wav", record_sample_rate=8000))["time_limit"] == 132
    )
    assert data_of(make_call().record_call(time_limit=60))["time_limit"] == 60
    assert data_of(make_call().record_call(action="stop")) == {"action": "stop"}


def test_record_caller_node() -> None:
    data = data_of(make_call().record_caller(format="wav"))
    assert data == {
        "url": f"{BASE}/media/{SLUG}/{TOKEN}/callers/{ACCOUNT_ID}",
        "method": "put",
        "format": "wav",
        "time_limit": 132,  # 256 kbps (16 kHz mono wav)
    }


def test_nodes_validate_against_kazoo_schemas() -> None:
    sets = load_schema_sets()
    if any(version not in sets for version in KNOWN_VERSIONS):
        pytest.skip(NOT_FOUND)
    call = make_call()
    for node in (call.record_call(), call.record_call(action="stop"), call.record_caller()):
        tree = json.loads(render(node))
        for version in KNOWN_VERSIONS:
            assert sets[version].errors(tree) == []


def _upload(app: MediaApp, url: str, body: bytes) -> tuple[int, list[str]]:
    parts = urlsplit(url)
    path = parts.path.removeprefix(urlsplit(BASE).path)  # HttpRequest.path has no stage
    response = app.handle(HttpRequest("PUT", path, parts.query, {}, body, BASE))
    return response.status, app.store.keys()  # type: ignore[attr-defined]


@pytest.mark.parametrize("version", ["4.3", "master"])
def test_kazoo_uploads_to_the_builder_urls_land_under_the_call(version: str) -> None:
    call = make_call()
    store = InMemoryMediaStore()
    app = MediaApp(
        {SLUG: media_customer()}, store, StaticTokens({SLUG: [TOKEN]}), clock=lambda: 1.7e9
    )
    audio = wav_bytes(0.2)
    record_url = data_of(call.record_call(format="wav"))["url"]
    upload = record_call_url(record_url, CALL_ID, "wav", recording_fields(CALL_ID), version=version)
    status, keys = _upload(app, upload, audio)
    assert status == 201
    assert keys == [
        f"{SLUG}/recordings/{ACCOUNT_ID}/2024/05/{CALL_ID}/call_recording_{CALL_ID}.wav"
    ]

    caller_url = data_of(call.record_caller(format="wav"))["url"]
    status, keys = _upload(app, record_caller_url(caller_url, CALL_ID, "wav"), audio)
    assert status == 201
    assert f"{SLUG}/recordings/{ACCOUNT_ID}/2023/11/{CALL_ID}/{CALL_ID}.wav" in keys
