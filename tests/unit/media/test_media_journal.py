"""Each media upload becomes a ``media`` entry of its call's journal: no body, no token."""

from __future__ import annotations

from dataclasses import replace
from typing import Any
from urllib.parse import urlsplit

from pivotkit.customers import StaticTokens
from pivotkit.http import HttpRequest
from pivotkit.journal import CallJournal, is_journal_line
from pivotkit.media.app import MediaApp
from pivotkit.media.store import InMemoryMediaStore
from pivotkit.redaction import Redactor
from tests.unit.media.audio import wav_bytes
from tests.unit.media.example_customer import OTHER_TOKEN, SLUG, TOKEN, media_customer
from tests.unit.media.kazoo import (
    multipart_body,
    record_call_url,
    recording_fields,
    storage_url,
    voicemail_document,
)

CALL_ID = "5e1d0c9b-8a7f-4e6d-5c4b-3a2f1e0d9c8b"
DOC = "202405-0f0e0d0c0b0a09080706050403020100"


def _app(*, journal_on: bool = True) -> tuple[MediaApp, list[str]]:
    lines: list[str] = []
    journal = CallJournal(lines.append, Redactor([TOKEN]), lambda value, is_number: "masked")
    customer = replace(media_customer(), journal=journal_on)
    tokens = StaticTokens({SLUG: [TOKEN, OTHER_TOKEN]})
    app = MediaApp({SLUG: customer}, InMemoryMediaStore(), tokens, journal=journal.media)
    return app, lines


def _send(app: MediaApp, method: str, url: str, body: bytes, content_type: str) -> int:
    parts = urlsplit(url)
    headers = {"content-type": content_type}
    http = HttpRequest(method, parts.path, parts.query, headers, body, "https://m.example.com")
    return app.handle(http).status


def _entries(lines: list[str]) -> list[dict[str, Any]]:
    entries = [is_journal_line(line) for line in lines]
    return [entry for entry in entries if entry is not None]


def test_a_recording_and_a_refused_one_are_entries_of_their_call_without_body_or_token() -> None:
    app, lines = _app()
    audio = wav_bytes(0.2)
    url = record_call_url(
        f"https://m.example.com/media/{SLUG}/recordings?token={TOKEN}",
        CALL_ID,
        "wav",
        recording_fields(CALL_ID),
    )
    assert _send(app, "PUT", url, audio, "audio/wav") == 201
    assert _send(app, "PUT", url.replace(TOKEN, "not-the-token-at-all"), audio, "audio/wav") == 401
    stored, refused = _entries(lines)
    assert stored["kind"] == "media" and stored["call_id"] == CALL_ID
    assert (stored["status"], stored["error"], stored["size"]) == (201, None, len(audio))
    assert stored["content_type"] == "audio/wav" and stored["media_kind"] == "recording"
    assert stored["key"].startswith(f"{SLUG}/recordings/") and stored["duration_ms"] >= 0
    assert (refused["status"], refused["error"], refused["call_id"]) == (
        401,
        "unauthorized",
        CALL_ID,
    )
    text = "\n".join(lines)
    assert TOKEN not in text and "not-the-token-at-all" not in text
    assert "RIFF" not in text  # never the body


def test_a_voicemail_through_the_storage_plan_names_the_call_its_document_names() -> None:
    app, lines = _app()
    content_type, body = multipart_body(
        DOC,
        voicemail_document(DOC, CALL_ID),
        "uploaded_file_63883756800.wav",
        "audio/wav",
        wav_bytes(0.2),
    )
    url = storage_url(f"https://m.example.com/media/{SLUG}/{TOKEN}", DOC, "uploaded_file_1.wav")
    assert _send(app, "PUT", url, body, content_type) == 201
    (entry,) = _entries(lines)
    assert entry["call_id"] == CALL_ID and entry["media_kind"] == "storage"
    assert entry["size"] < len(body)  # the attachment, not the multipart wrapping
    assert TOKEN not in lines[0]


def test_a_customer_that_opted_out_journals_no_media() -> None:
    app, lines = _app(journal_on=False)
    url = storage_url(f"https://m.example.com/media/{SLUG}/{TOKEN}", DOC, "uploaded_file_1.wav")
    assert _send(app, "PUT", url, wav_bytes(0.1), "audio/wav") == 201
    assert lines == []
