"""Tokens: two valid at once (rotation), compared in constant time against each, and never
echoed in an error answer or written to a log, whatever went wrong."""

from __future__ import annotations

import hmac
import json
from typing import Any

import pytest

from pivotkit.aws.lambda_entry import make_pivot_handler
from pivotkit.customers import token_matches
from pivotkit.state import InMemoryStateStore
from tests.signing import signed
from tests.unit.security.support import (
    BASE_URL,
    CUSTOMERS,
    FIRST_URL,
    NEXT_TOKEN,
    TOKEN,
    environ,
    invoke,
    kazoo_call,
    next_request,
    restored_logging,
)

__all__ = ["restored_logging"]


@pytest.fixture
def store() -> InMemoryStateStore:
    return InMemoryStateStore()


@pytest.fixture
def handler(store: InMemoryStateStore, restored_logging: None) -> Any:
    return make_pivot_handler(environ(PIVOTKIT_DEBUG="1"), customers=CUSTOMERS, state=store)


@pytest.mark.parametrize("token", [TOKEN, NEXT_TOKEN])
def test_both_tokens_of_a_rotation_are_accepted(handler: Any, token: str) -> None:
    call = kazoo_call()
    first = invoke(handler, call, f"{BASE_URL}/pivot/probe?token={token}")
    assert first["statusCode"] == 200
    collection, url = next_request(first)
    # The continuation carries the token the request came with, so a call started under
    # either token finishes under it.
    assert f"token={token}&" in url
    assert invoke(handler, call.with_digits(collection, "1"), url)["statusCode"] == 200


@pytest.mark.parametrize(
    "query",
    [
        "",
        "token=",
        f"token={TOKEN[:-1]}",
        f"token={TOKEN}x",
        f"token={TOKEN.upper()}",
        f"token={TOKEN[:8]}",
        "token=local-probe",
        "Token=" + TOKEN,
    ],
)
def test_anything_but_a_valid_token_is_401_and_stores_nothing(
    handler: Any, store: InMemoryStateStore, query: str
) -> None:
    result = invoke(handler, kazoo_call(), f"{BASE_URL}/pivot/probe?{query}")
    assert result["statusCode"] == 401
    assert json.loads(result["body"]) == {
        "error": "unauthorized",
        "message": "missing or wrong token",
    }
    assert (store.reads, store.writes) == (0, 0)


def test_another_customers_token_is_refused(handler: Any) -> None:
    gated_only = make_pivot_handler(
        {"PIVOTKIT_TOKENS": json.dumps({"probe": [TOKEN], "gated": ["gated-token-91ab7c"]})},
        customers=CUSTOMERS,
    )
    url = f"{BASE_URL}/pivot/probe?token=gated-token-91ab7c"
    assert invoke(gated_only, kazoo_call(), url)["statusCode"] == 401


@pytest.mark.parametrize(
    "presented",
    ["", "x", TOKEN[:5], TOKEN, NEXT_TOKEN, TOKEN + "-and-much-longer-than-either-token"],
)
def test_every_valid_token_is_compared_in_full_whatever_is_presented(
    monkeypatch: pytest.MonkeyPatch, presented: str
) -> None:
    """No early exit on a length mismatch or on the first match: one constant-time
    comparison per valid token, so timing says nothing about which (or how long) they are."""
    compared: list[tuple[bytes, bytes]] = []
    real = hmac.compare_digest

    def spy(a: bytes, b: bytes) -> bool:
        compared.append((a, b))
        return real(a, b)

    monkeypatch.setattr(hmac, "compare_digest", spy)  # the module token_matches calls
    valid = (TOKEN, NEXT_TOKEN)
    assert token_matches(presented, valid) is (presented in valid)
    assert compared == [(presented.encode(), token.encode()) for token in valid]


def _post(handler: Any, content_type: str, body: str) -> dict[str, Any]:
    event = {
        "version": "2.0",
        "rawPath": "/pivot/probe",
        "rawQueryString": f"token={TOKEN}",
        "headers": {"content-type": content_type},
        "requestContext": {"http": {"method": "POST"}},
        "body": body,
    }
    result: dict[str, Any] = handler(event, None)
    return result


def _answers_for_every_failure(handler: Any) -> list[dict[str, Any]]:
    """Error answers of every kind, each from a request that carried a real token."""
    call = kazoo_call()
    collection, menu_url = next_request(invoke(handler, call, FIRST_URL))
    call = call.with_digits(collection, "1")
    collection, pin_url = next_request(invoke(handler, call, menu_url))
    invoke(handler, call.with_digits(collection, "1234"), pin_url)
    gone = kazoo_call("gone")
    return [
        invoke(handler, call, signed(f"{FIRST_URL}&step=nosuchstep", call)),  # 404
        invoke(handler, call, signed(f"{FIRST_URL}&step=broken", call)),  # 500; quotes a URL
        invoke(handler, call, f"{FIRST_URL}&step=broken"),  # 403: not signed
        invoke(handler, call, menu_url),  # 409: the call has moved on
        invoke(handler, gone, signed(f"{FIRST_URL}&step=menu&seq=3&hop=1", gone)),  # 410
        invoke(handler, call, f"{FIRST_URL}&seq=abc"),  # 400
        invoke(handler, kazoo_call(account_id="not-an-account"), FIRST_URL),  # 400
        invoke(handler, call, f"{BASE_URL}/pivot/gated?token={NEXT_TOKEN}"),  # 401
        _post(handler, "text/plain", f"token={TOKEN}"),  # 415
        _post(handler, "application/x-www-form-urlencoded", f"token={TOKEN}&" + "x" * 99_000),
    ]


def test_tokens_never_appear_in_error_answers_or_logs(
    handler: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    answers = _answers_for_every_failure(handler)
    statuses = sorted(result["statusCode"] for result in answers)
    assert statuses == [400, 400, 401, 403, 404, 409, 410, 413, 415, 500]
    for result in answers:
        assert TOKEN not in result["body"] and NEXT_TOKEN not in result["body"]
    captured = capsys.readouterr()
    logged = captured.out + captured.err
    assert "decoded Pivot request" in logged and "Pivot answer" in logged  # debug was on
    assert TOKEN not in logged and NEXT_TOKEN not in logged
