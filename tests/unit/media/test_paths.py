"""Media URL shapes -> targets and S3 keys; path tricks refused before anything is stored."""

from __future__ import annotations

from urllib.parse import urlsplit

import pytest

from pivotkit.errors import BadRequest, NotFound, Unauthorized
from pivotkit.media.paths import MediaKind, MediaTarget, parse_media_request
from tests.unit.media.kazoo import (
    ACCOUNT_ID,
    OWNER_ID,
    read_url,
    record_call_url,
    record_caller_url,
    recording_fields,
    storage_url,
)

BASE = "https://media.example.com"
CALL_ID = "8f3c2a10-5b7e-4d21-9c3e-1a2b3c4d5e6f"
NOW = 1_717_200_000.0  # 2024-06-01 UTC: differs from the call's month on purpose


def parse(url: str) -> MediaTarget:
    parts = urlsplit(url)
    return parse_media_request(parts.path, parts.query, now=NOW)


@pytest.mark.parametrize("version", ["4.3", "master"])
def test_record_call_query_form(version: str) -> None:
    url = record_call_url(
        f"{BASE}/media/acme/recordings?token=T1",
        CALL_ID,
        "mp3",
        recording_fields(CALL_ID),
        version=version,
    )
    assert "?token=T1&recording=call_recording_" in url
    target = parse(url)
    assert target.kind is MediaKind.RECORDING
    assert (target.customer, target.token, target.account_id) == ("acme", "T1", ACCOUNT_ID)
    assert target.name == f"call_recording_{CALL_ID}.mp3"
    # The month comes from the CDR id, so a retry next month lands on the same key.
    assert target.key == f"acme/recordings/{ACCOUNT_ID}/2024/05/{CALL_ID}/{target.name}"
    assert target.fields["caller_id_name"] == "Zoë Müller"
    assert target.fields["from"] == "1001@acme.sip.example.com"
    assert ("duration_ms" in target.fields) is (version == "4.3")


@pytest.mark.parametrize("glued", ["&file=", "&recording="])
def test_record_call_last_parameter_glued(glued: str) -> None:
    url = record_call_url(
        f"{BASE}/media/acme/recordings?token=T1{glued}", CALL_ID, "wav", recording_fields(CALL_ID)
    )
    assert f"{glued}call_recording_" in url
    target = parse(url)
    assert target.name == f"call_recording_{CALL_ID}.wav"
    assert target.token == "T1"


def test_record_call_path_appended_form() -> None:
    url = record_call_url(f"{BASE}/media/acme/T1/", CALL_ID, "mp3", recording_fields(CALL_ID))
    assert f"/media/acme/T1/call_recording_{CALL_ID}.mp3?from=" in url
    target = parse(url)
    assert target.kind is MediaKind.RECORDING
    assert target.token == "T1"
    assert (
        target.key == f"acme/recordings/{ACCOUNT_ID}/2024/05/{CALL_ID}/call_recording_{CALL_ID}.mp3"
    )


def test_recording_date_falls_back_to_start_then_arrival() -> None:
    no_cdr = recording_fields(CALL_ID, cdr_id="")
    target = parse(record_call_url(f"{BASE}/media/acme/T1", CALL_ID, "mp3", no_cdr))
    assert "/2024/05/" in target.key  # from start (gregorian seconds)
    bare = recording_fields(CALL_ID, cdr_id="", start="")
    target = parse(record_call_url(f"{BASE}/media/acme/T1", CALL_ID, "mp3", bare))
    assert "/2024/06/" in target.key  # arrival time


def test_call_id_with_at_sign_is_decoded_once() -> None:
    call_id = "abc123@10.0.0.7"
    url = record_call_url(f"{BASE}/media/acme/T1", call_id, "mp3", recording_fields(call_id))
    assert "abc123%4010.0.0.7" in url
    target = parse(url)
    assert target.call_id == call_id
    assert target.key.endswith(f"/{call_id}/call_recording_{call_id}.mp3")


def test_record_caller_with_and_without_account() -> None:
    target = parse(record_caller_url(f"{BASE}/media/acme/T1/callers/{ACCOUNT_ID}", CALL_ID, "mp3"))
    assert target.kind is MediaKind.CALLER
    assert target.key == f"acme/recordings/{ACCOUNT_ID}/2024/06/{CALL_ID}/{CALL_ID}.mp3"
    target = parse(record_caller_url(f"{BASE}/media/acme/T1/callers", CALL_ID, "wav"))
    assert target.account_id == "unknown_account"
    # A record_caller url without "callers" still works: any non-recording file name.
    assert (
        parse(record_caller_url(f"{BASE}/media/acme/T1", CALL_ID, "wav")).kind is MediaKind.CALLER
    )


def test_storage_plan_paths_with_and_without_owner() -> None:
    doc = "202405-0f0e0d0c0b0a09080706050403020100"
    target = parse(storage_url(f"{BASE}/media/acme/T1", doc, "uploaded_file_63883756800.mp3"))
    assert target.kind is MediaKind.STORAGE
    assert target.key == f"acme/storage/{ACCOUNT_ID}/{doc}/uploaded_file_63883756800.mp3"
    owned = parse(storage_url(f"{BASE}/media/acme/T1", doc, "fax.tiff", owner_id=OWNER_ID))
    assert owned.key == f"acme/storage/{ACCOUNT_ID}/{OWNER_ID}/{doc}/fax.tiff"
    assert owned.owner_id == OWNER_ID


def test_storage_read_ignores_the_metadata_query() -> None:
    doc = "202405-0f0e0d0c0b0a09080706050403020100"
    plain = parse(storage_url(f"{BASE}/media/acme/T1", doc, "a.mp3"))
    with_query = parse(
        storage_url(f"{BASE}/media/acme/T1", doc, "a.mp3", metadata={"from": "x@y", "length": 3})
    )
    assert with_query.key == plain.key


def test_missing_token_in_query_form_is_unauthorized() -> None:
    with pytest.raises(Unauthorized):
        parse(
            f"{BASE}/media/acme/recordings?recording=call_recording_x.mp3&account_id={ACCOUNT_ID}"
        )


def test_not_a_media_path() -> None:
    for url in (f"{BASE}/pivot/acme", f"{BASE}/media/Not-A-Slug/T/x.mp3", f"{BASE}/media"):
        with pytest.raises(NotFound):
            parse(url)


TRICKS = {
    "dot-dot segment": "/media/acme/T1/{a}/../../etc/passwd",
    "encoded dot-dot": "/media/acme/T1/{a}/%2E%2E/doc/name.mp3",
    "dot segment": "/media/acme/T1/{a}/./doc/name.mp3",
    "encoded slash": "/media/acme/T1/{a}/doc%2Fother/name.mp3",
    "encoded slash lower": "/media/acme/T1/{a}/doc/..%2fname.mp3",
    "encoded backslash": "/media/acme/T1/{a}/doc/%5C..%5Cname.mp3",
    "backslash": "/media/acme/T1/{a}/doc/..\\name.mp3",
    "absolute (double slash)": "/media/acme/T1//etc/passwd/x",
    "empty segment": "/media/acme/T1/{a}//name.mp3",
    "trailing slash": "/media/acme/T1/{a}/doc/name.mp3/",
    "NUL byte": "/media/acme/T1/{a}/doc/name%00.mp3",
    "newline": "/media/acme/T1/{a}/doc/na%0Ame.mp3",
    "DEL": "/media/acme/T1/{a}/doc/na%7Fme.mp3",
    "over-long name": "/media/acme/T1/{a}/doc/" + "n" * 256 + ".mp3",
    "malformed escape": "/media/acme/T1/{a}/doc/na%zzme.mp3",
    "invalid UTF-8": "/media/acme/T1/{a}/doc/na%C3%28me.mp3",
    "account not hex": "/media/acme/T1/not-an-account/doc/name.mp3",
    "unknown shape": "/media/acme/T1/a/b/c/d/e/f.mp3",
}


@pytest.mark.parametrize("path", TRICKS.values(), ids=TRICKS.keys())
def test_path_tricks_are_bad_requests(path: str) -> None:
    with pytest.raises(BadRequest):
        parse_media_request(path.format(a=ACCOUNT_ID), "", now=NOW)


@pytest.mark.parametrize(
    "query",
    [
        "token=T&recording=../../x.mp3",
        "token=T&recording=a%2Fb.mp3",
        "token=T&recording=call_recording_x.mp3&call_id=..",
        "token=T&recording=call_recording_x%00.mp3",
        "token=T&recording=call_recording_x.mp3&account_id=nothex",
        "token=T&from=nobody",
        "token=T&recording=x%ff.mp3",
        "token=T&recording=notarecording.mp3",
    ],
)
def test_query_tricks_are_bad_requests(query: str) -> None:
    with pytest.raises(BadRequest):
        parse_media_request("/media/acme/recordings", query, now=NOW)


def test_too_many_query_fields() -> None:
    query = "token=T&recording=call_recording_x.mp3&" + "&".join(f"f{i}=1" for i in range(300))
    with pytest.raises(BadRequest):
        parse_media_request("/media/acme/recordings", query, now=NOW)


def test_storage_read_with_kazoo_repeated_tail() -> None:
    """Kazoo reads from the stored URL plus <account>/[<owner>/]<doc>/<name> once more."""
    doc, name = "202405-0f0e0d0c0b0a09080706050403020100", "uploaded_file_1.mp3"
    stored = storage_url(f"{BASE}/media/acme/T1", doc, name, owner_id=OWNER_ID)
    read = read_url(stored, doc, name, owner_id=OWNER_ID, metadata={"folder": "new"})
    assert read.count(f"/{doc}/{name}") == 2
    assert parse(read).key == parse(stored).key
    plain = storage_url(f"{BASE}/media/acme/T1", doc, name)
    assert parse(read_url(plain, doc, name)).key == parse(plain).key


@pytest.mark.parametrize("version", ["4.3", "master"])
@pytest.mark.parametrize("url", ["/media/acme/recordings?token=T1", "/media/acme/T1"])
def test_recording_read_with_kazoo_glued_tail(version: str, url: str) -> None:
    """On a URL with a query Kazoo glues that tail onto the last field it sent."""
    fields = recording_fields(CALL_ID)
    stored = record_call_url(f"{BASE}{url}", CALL_ID, "mp3", fields, version=version)
    name = f"call_recording_{CALL_ID}.mp3"
    read = read_url(stored, fields["recording_id"], name, metadata={"call_id": CALL_ID})
    glued = "recording_id" if version == "4.3" else "account_id"
    assert f"&{glued}={fields[glued]}{ACCOUNT_ID}/" in read
    target = parse(read)
    assert target.key == parse(stored).key
    assert target.fields[glued] == fields[glued]
