"""What the Lambda entry refuses before a step runs, with nothing stored: Kazoo accounts
outside a customer's allowlist, bodies over the size limit, content types Kazoo never
sends, methods other than GET and POST."""

from __future__ import annotations

import base64
import json
from typing import Any

import pytest

from pivotkit.aws.lambda_entry import make_pivot_handler
from pivotkit.http import DEFAULT_MAX_BODY_BYTES
from pivotkit.local.kazoo_encoding import encode_form, kazoo_params
from pivotkit.state import InMemoryStateStore
from tests.unit.security.support import (
    BASE_URL,
    CUSTOMERS,
    OTHER_ACCOUNT_ID,
    TOKEN,
    TOKENS,
    invoke,
    kazoo_call,
    next_request,
)

GATED_URL = f"{BASE_URL}/pivot/gated?token={TOKEN}"


@pytest.fixture
def store() -> InMemoryStateStore:
    return InMemoryStateStore()


@pytest.fixture
def handler(store: InMemoryStateStore) -> Any:
    return make_pivot_handler(
        {"PIVOTKIT_TOKENS": json.dumps(TOKENS)}, customers=CUSTOMERS, state=store
    )


def test_an_account_outside_the_allowlist_is_403_and_stores_nothing(
    handler: Any, store: InMemoryStateStore
) -> None:
    allowed = kazoo_call()
    first = invoke(handler, allowed, GATED_URL)
    assert first["statusCode"] == 200
    collection, continuation = next_request(first)
    before = store.records()

    outsider = kazoo_call(account_id=OTHER_ACCOUNT_ID)
    for url in (GATED_URL, continuation):  # the first request, and a continuation URL
        result = invoke(handler, outsider.with_digits(collection, "1"), url)
        assert result["statusCode"] == 403
        assert json.loads(result["body"])["error"] == "forbidden"
    assert store.records() == before and store.writes == 1
    # Kazoo account ids are lower-case hex; anything else is not one at all.
    upper = kazoo_call(account_id=allowed.account_id.upper())
    assert invoke(handler, upper, GATED_URL)["statusCode"] == 400


def _form_event(body: bytes, *, base64_encoded: bool, content_type: str) -> dict[str, Any]:
    return {
        "version": "2.0",
        "rawPath": "/pivot/probe",
        "rawQueryString": f"token={TOKEN}",
        "headers": {"content-type": content_type},
        "requestContext": {"http": {"method": "POST"}, "domainName": "pivot.example.com"},
        "body": base64.b64encode(body).decode() if base64_encoded else body.decode(),
        "isBase64Encoded": base64_encoded,
    }


def _padded_form(size: int) -> bytes:
    """A real Kazoo form body padded with a custom variable to exactly ``size`` bytes."""
    form = encode_form(kazoo_params(kazoo_call())) + "&Custom-Application-Vars[pad]="
    return (form + "x" * (size - len(form))).encode()


@pytest.mark.parametrize("base64_encoded", [False, True])
def test_bodies_up_to_the_limit_are_read_beyond_it_refused(
    handler: Any, store: InMemoryStateStore, base64_encoded: bool
) -> None:
    form = "application/x-www-form-urlencoded"
    fits = _form_event(
        _padded_form(DEFAULT_MAX_BODY_BYTES), base64_encoded=base64_encoded, content_type=form
    )
    assert handler(fits, None)["statusCode"] == 200
    writes = store.writes
    over = _form_event(
        _padded_form(DEFAULT_MAX_BODY_BYTES + 1), base64_encoded=base64_encoded, content_type=form
    )
    result = handler(over, None)
    assert result["statusCode"] == 413
    assert json.loads(result["body"])["error"] == "payload_too_large"
    assert store.writes == writes


@pytest.mark.parametrize(
    ("content_type", "status"),
    [
        ("application/x-www-form-urlencoded", 200),
        ("Application/X-WWW-Form-Urlencoded; charset=UTF-8", 200),
        ("", 200),  # a bare client's POST is read as a form
        ("text/plain", 415),
        ("application/xml", 415),
        ("text/xml", 415),
        ("multipart/form-data; boundary=x", 415),
        ("application/json-patch+json", 415),
        ("application/x-www-form-urlencoded-evil", 415),
    ],
)
def test_only_the_content_types_kazoo_sends_are_read(
    handler: Any, store: InMemoryStateStore, content_type: str, status: int
) -> None:
    body = encode_form(kazoo_params(kazoo_call())).encode()
    result = handler(_form_event(body, base64_encoded=False, content_type=content_type), None)
    assert result["statusCode"] == status
    assert store.writes == (1 if status == 200 else 0)


def test_json_bodies_must_be_json(handler: Any, store: InMemoryStateStore) -> None:
    url = f"{BASE_URL}/pivot/probe?token={TOKEN}"
    good = invoke(handler, kazoo_call(), url, method="post", body_format="json")
    assert good["statusCode"] == 200
    event = _form_event(b'{"Call-ID": "x", ', base64_encoded=False, content_type="application/json")
    assert handler(event, None)["statusCode"] == 400
    assert store.writes == 1


@pytest.mark.parametrize("method", ["PUT", "DELETE", "PATCH", "OPTIONS", "HEAD"])
def test_methods_other_than_get_and_post_are_405(
    handler: Any, store: InMemoryStateStore, method: str
) -> None:
    event = _form_event(b"", base64_encoded=False, content_type="")
    event["requestContext"]["http"]["method"] = method
    assert handler(event, None)["statusCode"] == 405
    assert store.writes == 0
