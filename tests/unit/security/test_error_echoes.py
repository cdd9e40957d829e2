"""Error bodies never echo request input; log lines show it only short and escaped
(issue 16 item 10)."""

from __future__ import annotations

import json
import logging
from typing import Any

import pytest

from pivotkit import Call, Customer, Flow, Node, language, tts
from pivotkit.aws.lambda_entry import make_pivot_handler
from pivotkit.errors import (
    BadRequest,
    CallflowError,
    MediaUnavailable,
    NotFound,
    PivotkitError,
    ServerError,
    StateUnavailable,
    StepError,
)
from pivotkit.escaping import escaped
from pivotkit.http import error_response
from pivotkit.request import parse_params
from pivotkit.state import InMemoryStateStore
from tests.signing import signed
from tests.unit.security.support import (
    BASE_URL,
    CUSTOMERS,
    FIRST_URL,
    TOKEN,
    TOKENS,
    environ,
    invoke,
    kazoo_call,
    read,
    restored_logging,
)

__all__ = ["restored_logging"]

# Text a caller's SIP device controls, marked so any echo of it is easy to find.
HEADER_TEXT = "echo-me-<script>\r\nX-Injected: 1"


def _header_flow() -> Flow:
    flow = Flow()

    @flow.step()
    def start(call: Call) -> Node:
        # A step that trusts a SIP header: the builder refuses the value, quoting it.
        header = str(call.request.custom_sip_headers.get("X-Lang", ""))
        return language(header).then(tts("Bonjour."))

    return flow


HEADERS = Customer(slug="headers", flow=_header_flow())


@pytest.fixture
def handler() -> Any:
    tokens = {**TOKENS, "headers": [TOKEN]}
    return make_pivot_handler(
        {"PIVOTKIT_TOKENS": json.dumps(tokens), "PIVOTKIT_OBSERVABILITY": "off"},
        customers={**CUSTOMERS, "headers": HEADERS},
        state=InMemoryStateStore(),
    )


def test_a_500_body_does_not_quote_request_header_text(
    handler: Any, caplog: pytest.LogCaptureFixture
) -> None:
    call = kazoo_call("echo-500@10.0.0.5", custom_sip_headers={"X-Lang": HEADER_TEXT})
    with caplog.at_level(logging.WARNING, logger="pivotkit.http"):
        result = invoke(handler, call, f"{BASE_URL}/pivot/headers?token={TOKEN}")
    assert result["statusCode"] == 500
    body = json.loads(result["body"])
    assert body == {"error": "invalid_callflow", "message": CallflowError.summary}
    assert "echo-me" not in result["body"] and "Injected" not in result["body"]
    # The cause is kept for whoever reads the logs, escaped: no raw line break to forge.
    (record,) = caplog.records
    assert "language must look like" in record.getMessage()
    assert "\r" not in record.getMessage() and "\n" not in record.getMessage()


@pytest.mark.parametrize(
    "error", [ServerError, CallflowError, StepError, StateUnavailable, MediaUnavailable]
)
def test_no_server_error_body_carries_its_message(error: type[PivotkitError]) -> None:
    body = json.loads(error_response(error(f"failed on {HEADER_TEXT}")).body)
    assert body == {"error": error.code, "message": error.summary}


def test_a_client_error_body_keeps_the_kits_own_message() -> None:
    body = json.loads(error_response(NotFound("no such step")).body)
    assert body == {"error": "not_found", "message": "no such step"}


def test_a_conflict_names_only_kazoos_own_parameters() -> None:
    with pytest.raises(BadRequest) as caught:
        parse_params("x-mine=1&x-mine[a]=2")
    assert "x-mine" not in caught.value.message
    with pytest.raises(BadRequest, match="parameter Digits is sent both"):
        parse_params("Digits=1&Digits[a]=2")


def test_an_unknown_step_is_logged_short_and_escaped(
    restored_logging: None, capsys: pytest.CaptureFixture[str]
) -> None:
    handler = make_pivot_handler(environ(), customers=CUSTOMERS, state=InMemoryStateStore())
    capsys.readouterr()
    step = "no\nsuch\x1b[31m" + "x" * 100
    call = kazoo_call()
    # Signed, so the request passes the signature check and reaches the step lookup.
    url = signed(f"{FIRST_URL}&step=no%0Asuch%1B%5B31m{'x' * 100}&hop=1&seq=1", call)
    assert invoke(handler, call, url)["statusCode"] == 404
    (line,) = read(capsys).requests()
    assert line["step"] == escaped(step)
    assert len(line["step"]) < 40 and "\n" not in line["step"] and "\x1b" not in line["step"]
    assert "x" * 30 not in line["step"]


def test_an_unknown_customer_is_logged_short_and_escaped(
    restored_logging: None, capsys: pytest.CaptureFixture[str]
) -> None:
    handler = make_pivot_handler(environ(), customers=CUSTOMERS, state=InMemoryStateStore())
    capsys.readouterr()
    url = f"{BASE_URL}/pivot/nobody-{'y' * 100}?token={TOKEN}"
    assert invoke(handler, kazoo_call(), url)["statusCode"] == 404
    (line,) = read(capsys).requests()
    assert line["customer"] == "unknown" and len(line["requested_customer"]) < 40


def test_escaped_is_short_printable_ascii_and_says_what_it_cut() -> None:
    assert escaped("menu") == "menu"
    assert escaped("a\nb\\c\u202e") == "a\\nb\\\\c\\u202e"
    assert escaped("z" * 30) == "z" * 24 + "...(+6)"
    assert escaped("\ud800") == "\\ud800"
    assert all(32 <= ord(c) < 127 for c in escaped("".join(map(chr, range(300)))))
