"""Kazoo's send_multipart bodies (with and without base64_encode_data) and garbage."""

from __future__ import annotations

import base64

import pytest

from pivotkit.errors import BadRequest
from pivotkit.media.multipart import kazoo_upload, parse_multipart
from tests.unit.media.audio import wav_bytes
from tests.unit.media.kazoo import BOUNDARY, multipart_body, voicemail_document

DOC = "202405-0f0e0d0c0b0a09080706050403020100"
NAME = "uploaded_file_63883756800.wav"
CT = f"multipart/form-data; boundary={BOUNDARY}"


def test_kazoo_multipart_gives_back_the_exact_audio_and_document() -> None:
    audio = wav_bytes(0.3)
    content_type, body = multipart_body(
        DOC, voicemail_document(DOC, "c1"), NAME, "audio/wav", audio
    )
    upload = kazoo_upload(body, content_type, NAME)
    assert upload.data == audio
    assert upload.document is not None
    assert upload.document["metadata"]["caller_id_name"] == "Zoë Müller"
    assert not upload.was_base64


def test_base64_encode_data_is_decoded() -> None:
    audio = wav_bytes(0.3)
    content_type, body = multipart_body(
        DOC, {"id": DOC}, NAME, "audio/wav", audio, base64_encode_data=True
    )
    upload = kazoo_upload(body, content_type, NAME)
    assert upload.data == audio
    assert upload.was_base64


def test_storage_probe_text_round_trips_with_and_without_base64() -> None:
    """Kazoo's storage-plan check writes this text and compares what it reads back."""
    probe = b"some random content: 0123456789abcdef0123456789abcdef"
    name = "0123456789abcdef0123456789abcdef_test_credentials_file.txt"
    for encode in (False, True):
        content_type, body = multipart_body(
            DOC, {"att_uuid": "u1"}, name, "text/plain", probe, base64_encode_data=encode
        )
        assert kazoo_upload(body, content_type, name).data == probe


def test_binary_containing_crlf_and_dashes_survives() -> None:
    tricky = b"\r\n--" + BOUNDARY[:-1].encode() + b"\r\n\r\n\x00\xff--\r\n" * 50
    content_type, body = multipart_body(DOC, {"id": DOC}, NAME, "audio/wav", tricky)
    assert kazoo_upload(body, content_type, NAME).data == tricky


def test_declared_base64_transfer_encoding_is_honoured() -> None:
    encoded = base64.encodebytes(b"\x00\x01binary")  # with line breaks
    body = (
        b"--B\r\ncontent-disposition: form-data; name=f.wav\r\ncontent-type: audio/wav\r\n"
        b"content-transfer-encoding: base64\r\n\r\n" + encoded + b"\r\n--B--\r\n"
    )
    assert kazoo_upload(body, "multipart/form-data; boundary=B", "f.wav").data == b"\x00\x01binary"


def test_quoted_parameters_and_epilogue_are_accepted() -> None:
    body = (
        b'preamble\r\n--b c\r\ncontent-disposition: form-data; name="f.mp3"\r\n\r\nDATA'
        b"\r\n--b c--\r\nepilogue"
    )
    parts = parse_multipart(body, 'multipart/form-data; boundary="b c"')
    assert [p.body for p in parts] == [b"DATA"]
    assert parts[0].name == "f.mp3"


GARBAGE = {
    "no boundary parameter": ("multipart/form-data", b"--x\r\n\r\nA\r\n--x--"),
    "boundary absent from body": (CT, b"just some bytes"),
    "no closing delimiter": (CT, b"--" + BOUNDARY.encode() + b"\r\n\r\nA"),
    "delimiter glued to data": (CT, b"--" + BOUNDARY.encode() + b"junk\r\n\r\nA"),
    "no parts": (CT, b"--" + BOUNDARY.encode() + b"--"),
    "header without colon": (
        CT,
        b"--" + BOUNDARY.encode() + b"\r\nbroken\r\n\r\nA\r\n--" + BOUNDARY.encode() + b"--",
    ),
    "no header terminator": (
        CT,
        b"--" + BOUNDARY.encode() + b"\r\nx: y\r\nA\r\n--" + BOUNDARY.encode() + b"--",
    ),
}


@pytest.mark.parametrize(("content_type", "body"), GARBAGE.values(), ids=GARBAGE.keys())
def test_garbage_multipart_is_a_bad_request(content_type: str, body: bytes) -> None:
    with pytest.raises(BadRequest):
        kazoo_upload(body, content_type, NAME)


def test_metadata_part_must_be_a_json_object() -> None:
    for document in (b"not json", b"[1, 2]"):
        body = (
            b"--B\r\ncontent-type: application/json\r\n\r\n" + document + b"\r\n"
            b"--B\r\ncontent-disposition: form-data; name=f.wav\r\n\r\nAUDIO\r\n--B--"
        )
        with pytest.raises(BadRequest):
            kazoo_upload(body, "multipart/form-data; boundary=B", "f.wav")


def test_two_attachment_parts_are_ambiguous() -> None:
    body = (
        b"--B\r\ncontent-type: audio/wav\r\n\r\nONE\r\n"
        b"--B\r\ncontent-type: audio/wav\r\n\r\nTWO\r\n--B--"
    )
    with pytest.raises(BadRequest):
        kazoo_upload(body, "multipart/form-data; boundary=B", "f.wav")


def test_too_many_parts() -> None:
    body = b"".join(b"--B\r\ncontent-type: text/plain\r\n\r\nx\r\n" for _ in range(20)) + b"--B--"
    with pytest.raises(BadRequest):
        parse_multipart(body, "multipart/form-data; boundary=B")
