"""Kazoo's fields as S3 metadata: ASCII-safe, reversible, within S3's 2 KB."""

from __future__ import annotations

from urllib.parse import unquote

from pivotkit.media.metadata import DOCUMENT_FIELDS, object_metadata
from pivotkit.media.paths import parse_media_request
from pivotkit.media.store import METADATA_LIMIT_BYTES, check_metadata
from tests.unit.media.kazoo import ACCOUNT_ID, record_call_url, recording_fields, voicemail_document

CALL_ID = "c0ffee00-1111-2222-3333-444455556666"


def _recording_target(**overrides: str):  # type: ignore[no-untyped-def]
    url = record_call_url(
        "https://x/media/acme/recordings?token=T",
        CALL_ID,
        "mp3",
        recording_fields(CALL_ID, **overrides),
    )
    path, _, query = url.partition("https://x")[2].partition("?")
    return parse_media_request(path, query, now=0)


def test_recording_metadata_keeps_kazoo_fields_ascii_safe() -> None:
    metadata = object_metadata(_recording_target())
    check_metadata(metadata)
    assert metadata["kazoo-source"] == "recording"
    assert metadata["account-id"] == ACCOUNT_ID
    assert metadata["call-id"] == CALL_ID
    assert metadata["media-name"] == f"call_recording_{CALL_ID}.mp3"
    assert metadata["caller-id-name"] == "Zo%C3%AB M%C3%BCller"
    assert unquote(metadata["caller-id-name"]) == "Zoë Müller"
    assert metadata["from"] == "1001@acme.sip.example.com"
    for name in ("cdr-id", "interaction-id", "start", "duration-ms", "recording-id", "to"):
        assert metadata[name]


def test_percent_and_control_characters_are_encoded() -> None:
    metadata = object_metadata(_recording_target(caller_id_name="50% off\r\nX-Injected: 1"))
    check_metadata(metadata)
    assert metadata["caller-id-name"] == "50%25 off%0D%0AX-Injected: 1"


def test_budget_is_respected_with_huge_values() -> None:
    huge = "é" * 800
    target = _recording_target(caller_id_name=huge, to=huge, interaction_id=huge)
    document = {"metadata": dict.fromkeys(DOCUMENT_FIELDS, huge), "description": huge}
    metadata = object_metadata(target, document)
    check_metadata(metadata)
    assert sum(len(k) + len(v) for k, v in metadata.items()) <= METADATA_LIMIT_BYTES
    # Cut values never end in half an escape.
    assert all(not v.endswith(("%", "%C", "%C3%A")) for v in metadata.values())
    assert metadata["call-id"] == CALL_ID  # the important fields come first


def test_voicemail_document_fields_are_flattened() -> None:
    target = parse_media_request(
        f"/media/acme/T/{ACCOUNT_ID}/202405-abc/uploaded_file_1.mp3", "", now=0
    )
    metadata = object_metadata(target, voicemail_document("202405-abc", CALL_ID))
    check_metadata(metadata)
    assert metadata["kazoo-source"] == "storage"
    assert metadata["doc-id"] == "202405-abc"
    assert metadata["caller-id-number"] == "+15551239876"
    assert metadata["folder"] == "new"
    assert metadata["length"] == "4200"
    assert metadata["source-type"] == "voicemail"
