"""API Gateway HTTP API (payload 2.0) events for media requests, from the one event builder
(``pivotkit.local.gateway``) with an AWS domain and fixed ids, and the media sample events."""

from __future__ import annotations

import base64
from typing import Any
from urllib.parse import urlsplit

from pivotkit.local.gateway import GatewayRequest
from pivotkit.local.gateway import http_api_event as gateway_event
from pivotkit.local.replaying import golden_body

API_ID = "k4z0m3d1a"
API_HOST = f"{API_ID}.execute-api.eu-west-1.amazonaws.com"
KAZOO_IP = "198.51.100.7"


def http_api_event(
    method: str, url: str, body: bytes = b"", content_type: str | None = None
) -> dict[str, Any]:
    """``url`` may be absolute (its host is ignored) or a path with a query."""
    parts = urlsplit(url)
    headers = [("host", API_HOST), ("user-agent", "kazoo-http-client")]
    headers += [("x-forwarded-proto", "https"), ("x-forwarded-for", KAZOO_IP)]
    if content_type:
        headers.append(("content-type", content_type))
    if body:
        headers.append(("content-length", str(len(body))))
    sent = GatewayRequest(
        method=method,
        target=parts.path + (f"?{parts.query}" if parts.query else ""),
        headers=headers,
        body=body,
        domain_name=API_HOST,
        source_ip=KAZOO_IP,
    )
    return gateway_event(
        sent,
        request_id="Jx1a2b3c4d5e6f7=",
        now=1716537600.0,
        account_id="123456789012",
        api_id=API_ID,
    )


def response_bytes(result: dict[str, Any]) -> bytes:
    body = result.get("body") or ""
    return base64.b64decode(body) if result.get("isBase64Encoded") else body.encode("utf-8")


SAMPLE_CUSTOMER = "acme"
SAMPLE_TOKEN = "local-acme"  # the local token `pivotkit serve` and `replay` give acme


def sample_events() -> dict[str, tuple[dict[str, Any], dict[str, Any]]]:
    """The media files under ``events/examples/acme/``: name -> (event, golden), replayed in
    name order.

    Goldens have ``pivotkit replay``'s format (``{"status", "body"}``). The events use the
    Acme example customer with its local token and run in order against one bucket, so the
    read finds what the writes before it stored.
    """
    from pivotkit.media.store import sha256_b64
    from tests.unit.media.audio import wav_bytes
    from tests.unit.media.kazoo import (
        ACCOUNT_ID,
        multipart_body,
        read_url,
        record_call_url,
        recording_fields,
        storage_url,
        voicemail_document,
    )

    SLUG, TOKEN = SAMPLE_CUSTOMER, SAMPLE_TOKEN
    call_id = "0d1e2f3a-4b5c-4d6e-8f70-8192a3b4c5d6"
    doc = "202405-5a4b3c2d1e0f9a8b7c6d5e4f3a2b1c0d"
    voicemail = "uploaded_file_63883756800.wav"
    audio = wav_bytes(0.1)
    root = f"/media/{SLUG}/{TOKEN}"
    recording = f"{SLUG}/recordings/{ACCOUNT_ID}/2024/05/{call_id}/call_recording_{call_id}"
    multipart_type, multipart = multipart_body(
        doc,
        voicemail_document(doc, call_id),
        voicemail,
        "audio/wav",
        audio,
        base64_encode_data=True,
    )

    def stored(key: str) -> dict[str, Any]:
        return {
            "status": 201,
            "body": {"stored": key, "bytes": len(audio), "sha256": sha256_b64(audio)},
        }

    def refused(status: int, error: str, message: str) -> dict[str, Any]:
        return {"status": status, "body": {"error": error, "message": message}}

    fields = recording_fields(call_id)
    other_call = "1e2f3a4b-5c6d-4e7f-8091-a2b3c4d5e6f7"
    other_fields = recording_fields(other_call)
    other_recording = recording.replace(call_id, other_call)
    return {
        "media-01-record-call-query-put": (
            http_api_event(
                "PUT",
                record_call_url(f"/media/{SLUG}/recordings?token={TOKEN}", call_id, "wav", fields),
                audio,
                "audio/wav",
            ),
            stored(f"{recording}.wav"),
        ),
        "media-02-record-call-path-master-post": (
            http_api_event(
                "POST",
                record_call_url(root, other_call, "wav", other_fields, version="master"),
                audio,
                "audio/wav",
            ),
            stored(f"{other_recording}.wav"),
        ),
        "media-03-storage-voicemail-multipart-post": (
            http_api_event("POST", storage_url(root, doc, voicemail), multipart, multipart_type),
            stored(f"{SLUG}/storage/{ACCOUNT_ID}/{doc}/{voicemail}"),
        ),
        "media-04-storage-voicemail-get": (
            http_api_event(
                "GET",
                read_url(
                    storage_url(root, doc, voicemail),
                    doc,
                    voicemail,
                    metadata={"folder": "new", "length": 100},
                ),
            ),
            {"status": 200, "body": golden_body("audio/wav", audio)},
        ),
        "media-05-wrong-token-put": (
            http_api_event(
                "PUT",
                storage_url(f"/media/{SLUG}/not-the-token", doc, voicemail),
                audio,
                "audio/wav",
            ),
            refused(401, "unauthorized", "missing or wrong token"),
        ),
        "media-06-traversal-put": (
            http_api_event("PUT", f"{root}/{ACCOUNT_ID}/..%2F..%2Fetc/passwd", audio, "audio/wav"),
            refused(
                400,
                "bad_request",
                "encoded slashes or backslashes are not allowed in media paths",
            ),
        ),
    }
