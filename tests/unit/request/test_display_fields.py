"""Display fields are decoded leniently, identifiers strictly (issue 16 item 2).

Kazoo passes a caller's display name and SIP header values on byte for byte; its form
encoder percent-encodes each byte, so ``Caller-ID-Name=Jos%E9`` is what a Latin-1 phone's
name looks like. Such a request must reach the IVR, not the fallback.
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from pivotkit.errors import BadRequest
from pivotkit.http import HttpRequest
from pivotkit.local.kazoo_encoding import KazooCall, encode_form, kazoo_params
from pivotkit.request import (
    DISPLAY_FIELDS,
    WIRE_NAMES,
    PivotRequest,
    decode_pivot_request,
    display_text,
    parse_params,
    query_params,
)

ACCOUNT = "3a1f0e2d4c5b6a7980f1e2d3c4b5a697"
BASE = f"Account-ID={ACCOUNT}&Call-ID=c1%4010.0.0.5&Direction=inbound"


def _get(query: str) -> HttpRequest:
    return HttpRequest(method="GET", path="/pivot/acme", raw_query=query)


def _post(body: bytes, content_type: str) -> HttpRequest:
    return HttpRequest(
        method="POST", path="/pivot/acme", headers={"content-type": content_type}, body=body
    )


@pytest.mark.parametrize(
    ("encoded", "name"),
    [
        ("Jos%E9", "José"),  # printable Latin-1
        ("%FF%E6", "ÿæ"),
        ("a%81b%9F", "a\ufffdb\ufffd"),  # C1 controls are not printable: replaced
        ("caf%C3%A9+%E9", "café é"),  # real UTF-8 kept, the stray byte read as Latin-1
        ("%C3", "Ã"),  # a cut-off UTF-8 sequence
        ("%ED%A0%80", "í\xa0\ufffd"),  # an encoded surrogate is not UTF-8 either
    ],
)
def test_a_caller_id_name_that_is_not_utf8_decodes(encoded: str, name: str) -> None:
    decoded = decode_pivot_request(_get(f"{BASE}&Caller-ID-Name={encoded}"))
    assert decoded.caller_id_name == name
    assert decoded.raw["Caller-ID-Name"] == name


def test_every_display_field_is_lenient_on_get_and_post_form() -> None:
    form = (
        f"{BASE}&Caller-ID-Name=Ren%E9&Custom-SIP-Headers[X-Name]=M%FCller"
        "&Custom-Application-Vars[note]=%A3+5&Transcription-Text=%E0+bient%F4t"
    )
    for http in (_get(form), _post(form.encode(), "application/x-www-form-urlencoded")):
        decoded = decode_pivot_request(http)
        assert decoded.caller_id_name == "René"
        assert decoded.custom_sip_headers == {"X-Name": "Müller"}
        assert decoded.custom_application_vars == {"note": "£ 5"}
        assert decoded.transcription_text == "à bientôt"


def test_a_json_body_with_stray_bytes_in_display_fields_decodes() -> None:
    body = json.dumps(
        {
            "Account-ID": ACCOUNT,
            "Call-ID": "c1",
            "Caller-ID-Name": "@N@",
            "Custom-SIP-Headers": {"X-Name": ["@S@"]},
        }
    ).encode()
    body = body.replace(b"@N@", b"Jos\xe9").replace(b"@S@", b"\x81ok")
    decoded = decode_pivot_request(_post(body, "application/json"))
    assert decoded.caller_id_name == "José"
    assert decoded.custom_sip_headers == {"X-Name": ["\ufffdok"]}


@pytest.mark.parametrize(
    "parameter",
    [
        "Call-ID=c%FF",
        "From=%E9",
        "Caller-ID-Number=%E9",
        "Digits[menu]=%FF",
        "User-ID=%E9",
        "Language=%E9",
    ],
)
def test_identifiers_stay_strict(parameter: str) -> None:
    with pytest.raises(BadRequest, match="UTF-8"):
        decode_pivot_request(_get(f"{BASE}&{parameter}"))


@pytest.mark.parametrize(
    "body",
    [
        b'{"Account-ID": "%s", "Call-ID": "c\xff"}' % ACCOUNT.encode(),
        b'{"Account-ID": "%s", "Call-ID": "c", "Custom-SIP-Headers": {"X-\xe9": "v"}}'
        % ACCOUNT.encode(),  # a key is an identifier even inside a display field
        b'{"Account-ID": "%s", "Call-ID": "c"}\xff' % ACCOUNT.encode(),
    ],
)
def test_json_stray_bytes_outside_display_values_are_refused(body: bytes) -> None:
    with pytest.raises(BadRequest):
        decode_pivot_request(_post(body, "application/json"))


def test_continuation_parameters_stay_strict() -> None:
    with pytest.raises(BadRequest, match="UTF-8"):
        query_params(_get("token=T%FF&step=menu"), frozenset({"token", "step"}))


def test_query_params_reads_a_lenient_display_field() -> None:
    assert query_params(_get("step=menu&Caller-ID-Name=Jos%E9"))["Caller-ID-Name"] == "José"


def test_a_malformed_escape_is_still_refused_in_a_display_field() -> None:
    with pytest.raises(BadRequest, match="percent-escape"):
        parse_params("Caller-ID-Name=Jos%E")


def test_display_text_maps_every_byte_to_one_printable_character_or_the_replacement() -> None:
    for byte in range(0x80, 0x100):
        text = display_text(bytes([byte]))
        assert text == (chr(byte) if byte >= 0xA0 else "\ufffd")
    assert display_text("naïve ☎".encode()) == "naïve ☎"


def test_the_display_fields_are_kazoo_parameters() -> None:
    wire_names = set(WIRE_NAMES.values())
    assert wire_names >= DISPLAY_FIELDS
    assert set(kazoo_params(KazooCall(account_id=ACCOUNT, call_id="c"))) >= DISPLAY_FIELDS - {
        "Transcription-Text"  # TwiML only: never set by kzt_kazoo
    }


def test_kazoos_encoding_of_a_latin1_name_round_trips_through_the_decoder() -> None:
    # Kazoo passes the display name's bytes on and escapes each one (kz_http_util).
    params: dict[str, Any] = dict(kazoo_params(KazooCall(account_id=ACCOUNT, call_id="c")))
    params["Caller-ID-Name"] = "Zoë Ødegård".encode("latin-1")
    params["Custom-SIP-Headers"] = {"X-Note": b"\x80\xff"}
    raw = encode_form(params)
    assert "Caller-ID-Name=Zo%EB+%D8deg%E5rd" in raw
    decoded = PivotRequest.from_params(parse_params(raw))
    assert decoded.caller_id_name == "Zoë Ødegård"
    assert decoded.custom_sip_headers == {"X-Note": "\ufffdÿ"}
