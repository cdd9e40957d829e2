"""The call-webhook route: authenticated like Pivot, refusing other accounts, firing
``on_call_end`` on a destroy, and answering Kazoo 200 whatever the customer's hook does."""

from __future__ import annotations

import dataclasses
import json
import logging
import threading
from collections.abc import Callable
from typing import Any

import pytest

from pivotkit import Customer, Flow, hangup
from pivotkit.aws.customer_entry import make_customer_handler
from pivotkit.aws.webhook_entry import make_webhook_handler
from pivotkit.call_events import CHANNEL_ANSWER, CHANNEL_CREATE, CHANNEL_DESTROY, CallEvent
from pivotkit.customers import StaticTokens
from pivotkit.http import from_lambda_event
from pivotkit.journal import CallJournal
from pivotkit.local.gateway import GatewayRequest, http_api_event
from pivotkit.local.kazoo_webhooks import channel_event, webhook_request
from pivotkit.local.server import LocalGateway
from pivotkit.redaction import Redactor
from pivotkit.step_runner import StepRunner
from pivotkit.webhooks import CALL_EVENT_MARKER, WebhookApp, journal_recorder

ACCOUNT = "4a6b8c0d2e4f60718293a4b5c6d7e8f9"
OTHER_ACCOUNT = "9f8e7d6c5b4a39281706f5e4d3c2b1a0"
CALL = "c-0001@198.51.100.20"
TOKEN = "acme-hooks-token"
HOST = "abc123.lambda-url.eu-west-1.on.aws"
AT = 1_764_000_000.0


def flow() -> Flow:
    f = Flow()

    @f.step()
    def start(call: Any) -> Any:
        return hangup()

    return f


def customer(
    on_call_end: Callable[[CallEvent], None] | None = None, allowed: frozenset[str] = frozenset()
) -> Customer:
    return Customer(slug="acme", flow=flow(), allowed_account_ids=allowed, on_call_end=on_call_end)


def event_for(
    kind: str = CHANNEL_DESTROY,
    *,
    token: str = TOKEN,
    account: str = ACCOUNT,
    verb: str = "post",
    body_format: str = "form-data",
    path: str = "/hooks/acme",
) -> dict[str, Any]:
    fields = channel_event(
        kind, call_id=CALL, account_id=account, at=AT, duration_seconds=30, billing_seconds=25
    )
    sent = webhook_request(
        fields, f"https://{HOST}{path}?token={token}", http_verb=verb, body_format=body_format
    )
    return http_api_event(GatewayRequest.for_url(sent.method, sent.url, sent.headers, sent.body))


class Recorder:
    def __init__(self) -> None:
        self.events: list[tuple[str, CallEvent]] = []

    def __call__(self, slug: str, event: CallEvent) -> None:
        self.events.append((slug, event))


def handler(cust: Customer, record: Callable[[str, CallEvent], None] | None = None) -> Any:
    env = {"PIVOTKIT_TOKENS": json.dumps({"acme": [TOKEN]})}
    if record is None:
        return make_webhook_handler(env, customers={"acme": cust})
    return make_webhook_handler(env, customers={"acme": cust}, record=record)


def body(result: dict[str, Any]) -> Any:
    return json.loads(result["body"])


@pytest.mark.parametrize(
    ("verb", "body_format"), [("get", "form-data"), ("post", "form-data"), ("put", "json")]
)
def test_a_destroy_fires_on_call_end_and_is_recorded(verb: str, body_format: str) -> None:
    ended: list[CallEvent] = []
    recorder = Recorder()
    result = handler(customer(ended.append), recorder)(
        event_for(verb=verb, body_format=body_format), None
    )
    assert result["statusCode"] == 200
    assert body(result) == {"received": CHANNEL_DESTROY}
    assert [(e.call_id, e.hangup_cause, e.billing_seconds) for e in ended] == [
        (CALL, "NORMAL_CLEARING", 25)
    ]
    assert [(slug, e.kind) for slug, e in recorder.events] == [("acme", CHANNEL_DESTROY)]


@pytest.mark.parametrize("kind", [CHANNEL_CREATE, CHANNEL_ANSWER])
def test_other_events_are_recorded_without_the_hook(kind: str) -> None:
    ended: list[CallEvent] = []
    recorder = Recorder()
    result = handler(customer(ended.append), recorder)(event_for(kind), None)
    assert result["statusCode"] == 200
    assert ended == []
    assert [e.kind for _, e in recorder.events] == [kind]


@pytest.mark.parametrize(
    ("event", "status", "code"),
    [
        (event_for(token="wrong-token"), 401, "unauthorized"),
        (event_for(token=""), 401, "unauthorized"),
        (event_for(path="/hooks/globex"), 404, "not_found"),
        (event_for(path="/hooks/acme/extra"), 404, "not_found"),
    ],
)
def test_refusals_fire_nothing(event: dict[str, Any], status: int, code: str) -> None:
    ended: list[CallEvent] = []
    recorder = Recorder()
    result = handler(customer(ended.append), recorder)(event, None)
    assert (result["statusCode"], body(result)["error"]) == (status, code)
    assert ended == [] and recorder.events == []


def test_an_account_the_customer_does_not_allow_is_refused() -> None:
    ended: list[CallEvent] = []
    cust = customer(ended.append, allowed=frozenset({ACCOUNT}))
    refused = handler(cust)(event_for(account=OTHER_ACCOUNT), None)
    assert (refused["statusCode"], body(refused)["error"]) == (403, "forbidden")
    assert ended == []
    assert handler(cust)(event_for(account=ACCOUNT), None)["statusCode"] == 200
    assert len(ended) == 1


def test_a_malformed_payload_is_a_400() -> None:
    event = event_for(body_format="json", verb="post")
    event["body"] = json.dumps({"hook_event": "channel_destroy", "account_id": ACCOUNT})
    result = handler(customer())(event, None)
    assert (result["statusCode"], body(result)["error"]) == (400, "not_a_call_event")


def test_a_failing_hook_is_logged_and_kazoo_still_gets_200(
    caplog: pytest.LogCaptureFixture,
) -> None:
    def broken(event: CallEvent) -> None:
        raise RuntimeError("CRM is down")

    caplog.set_level(logging.INFO, logger="pivotkit")
    result = handler(customer(broken))(event_for(), None)
    assert result["statusCode"] == 200
    failures = [r for r in caplog.records if "on_call_end hook of acme failed" in r.message]
    assert failures and failures[0].exc_info is not None
    assert any(r.message.startswith(CALL_EVENT_MARKER) for r in caplog.records)


def test_a_slow_hook_holds_kazoo_only_until_its_limit(caplog: pytest.LogCaptureFixture) -> None:
    release = threading.Event()

    def slow(event: CallEvent) -> None:
        release.wait(5)

    app = WebhookApp(
        {"acme": customer(slow)},
        StaticTokens({"acme": [TOKEN]}),
        hook_time_limit_seconds=0.05,
        step_runner=StepRunner(max_workers=2),
    )
    try:
        response = app.handle(from_lambda_event(event_for()))
    finally:
        release.set()
    assert response.status == 200
    assert any("did not return within" in r.message for r in caplog.records)


def test_a_recorder_failure_does_not_cost_the_hook() -> None:
    ended: list[CallEvent] = []

    def broken(slug: str, event: CallEvent) -> None:
        raise OSError("log pipe closed")

    assert handler(customer(ended.append), broken)(event_for(), None)["statusCode"] == 200
    assert len(ended) == 1


def test_the_marked_log_line_says_how_the_call_ended(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO, logger="pivotkit.webhooks")
    handler(customer())(event_for(), None)
    (line,) = [r for r in caplog.records if r.message.startswith(CALL_EVENT_MARKER)]
    fields = line.__dict__
    assert fields["journal"] == CALL_EVENT_MARKER
    assert (fields["call_id"], fields["call_event"], fields["hangup_cause"]) == (
        CALL,
        CHANNEL_DESTROY,
        "NORMAL_CLEARING",
    )
    assert fields["at"] == AT and fields["billing_seconds"] == 25
    # Caller numbers and names stay out of it.
    assert "+15551230001" not in json.dumps({k: str(v) for k, v in fields.items()})


def test_the_customer_function_routes_hooks(monkeypatch: pytest.MonkeyPatch) -> None:
    ended: list[CallEvent] = []
    env = {"PIVOTKIT_CUSTOMER": "acme", "PIVOTKIT_TOKENS": json.dumps({"acme": [TOKEN]})}
    import examples.acme as acme_module

    monkeypatch.setattr(acme_module, "customer", customer(ended.append))
    result = make_customer_handler(env)(event_for(), None)
    assert result["statusCode"] == 200
    assert len(ended) == 1


def test_the_local_gateway_routes_hooks_literally_per_customer() -> None:
    seen: list[str] = []

    def hooks(event: Any, context: Any) -> dict[str, Any]:
        seen.append(event["routeKey"])
        return {"statusCode": 200, "body": "{}", "headers": {"Content-Type": "application/json"}}

    gateway = LocalGateway(functions={"hooks": hooks}, customers=("acme",))
    for method in ("GET", "POST", "PUT"):
        answer = gateway.dispatch(
            GatewayRequest(method=method, target="/hooks/acme?token=x", domain_name=HOST)
        )
        assert answer.status == 200
    assert seen == ["GET /hooks/acme", "POST /hooks/acme", "PUT /hooks/acme"]
    for method, target in [("GET", "/hooks/globex?token=x"), ("DELETE", "/hooks/acme")]:
        answer = gateway.dispatch(GatewayRequest(method=method, target=target, domain_name=HOST))
        assert answer.status == 404


def test_the_callers_end_goes_into_the_call_journal() -> None:
    lines: list[str] = []
    journal = CallJournal(lines.append, Redactor(), lambda value, _full: value)
    record = journal_recorder(journal)
    ended = CallEvent(
        kind=CHANNEL_DESTROY,
        call_id="call-1",
        account_id="a" * 32,
        at=1_780_000_000.0,
        direction="inbound",
        hangup_cause="NORMAL_CLEARING",
        duration_seconds=42,
    )
    record("acme", ended)
    entry = json.loads(lines[0])
    assert entry["kind"] == "call_end"
    assert (entry["call_id"], entry["hangup_cause"], entry["duration_seconds"]) == (
        "call-1",
        "NORMAL_CLEARING",
        42,
    )
    record("acme", dataclasses.replace(ended, direction="outbound", call_id="leg-2"))
    assert len(lines) == 1  # another leg's end is not the call's end
