"""``pivotkit kazoo webhook``: the Crossbar webhook documents, printed or created."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from pivotkit.aws.webhook_entry import make_webhook_handler
from pivotkit.call_events import CHANNEL_DESTROY
from pivotkit.local.cli import main
from pivotkit.local.gateway import GatewayRequest, http_api_event
from pivotkit.local.kazoo_webhooks import channel_event, webhook_request
from pivotkit.local.runtime import find_customers

ACCOUNT_ID = "3a1f0e2d4c5b6a7980f1e2d3c4b5a697"
FUNCTION_URL = "https://abc123.lambda-url.eu-west-1.on.aws/"
TOKEN = "queue-token-5e1f0a"
AUTH = "crossbar-auth-7d1c"
WEBHOOKS = f"/v2/accounts/{ACCOUNT_ID}/webhooks"


@pytest.fixture(autouse=True)
def _clean_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("PIVOTKIT_PUBLIC_URL", "PIVOTKIT_TOKEN", "PIVOTKIT_TOKENS", "KAZOO_AUTH_TOKEN"):
        monkeypatch.delenv(name, raising=False)


def run_cli(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    status = main(["kazoo", "webhook", *args])
    captured = capsys.readouterr()
    return status, captured.out, captured.err


def printed(capsys: pytest.CaptureFixture[str], *args: str) -> list[dict[str, Any]]:
    status, out, err = run_cli(capsys, *args)
    assert status == 0, err
    documents: list[dict[str, Any]] = json.loads(out)
    return documents


def test_prints_one_webhook_per_event_pointing_at_the_hooks_route(
    capsys: pytest.CaptureFixture[str],
) -> None:
    documents = printed(capsys, "--customer", "queue", "--url", FUNCTION_URL, "--token", TOKEN)
    hooks = [d["data"]["hook"] for d in documents]
    assert hooks == ["channel_create", "channel_answer", "channel_destroy"]
    for document in documents:
        data = document["data"]
        assert data["uri"] == f"{FUNCTION_URL}hooks/queue?token={TOKEN}"
        assert data["name"] == f"pivotkit queue {data['hook']}"
        assert (data["http_verb"], data["format"], data["retries"]) == ("post", "json", 2)
        assert data["include_internal_legs"] is False
        # webhooks.json: hook, name and uri are required; verb and format are enums.
        assert {"hook", "name", "uri"} <= data.keys()


def test_events_verb_and_custom_data(capsys: pytest.CaptureFixture[str]) -> None:
    documents = printed(
        capsys,
        "--customer", "queue", "--url", f"{FUNCTION_URL}hooks/queue", "--token", TOKEN,
        "--events", "channel_destroy,channel_destroy", "--http-verb", "get",
        "--custom-data", "site=lyon",
    )  # fmt: skip
    (data,) = [d["data"] for d in documents]
    assert data["hook"] == CHANNEL_DESTROY
    assert data["http_verb"] == "get" and "format" not in data  # a GET has no body
    assert data["custom_data"] == {"site": "lyon"}


@pytest.mark.parametrize(
    ("verb", "body_format"), [("get", "form-data"), ("post", "form-data"), ("put", "json")]
)
def test_the_printed_uri_is_accepted_as_kazoo_sends_to_it(
    capsys: pytest.CaptureFixture[str], verb: str, body_format: str
) -> None:
    documents = printed(
        capsys, "--customer", "queue", "--url", FUNCTION_URL, "--token", TOKEN,
        "--events", "channel_destroy",
    )  # fmt: skip
    uri = documents[0]["data"]["uri"]
    fields = channel_event(CHANNEL_DESTROY, call_id="c-1", account_id=ACCOUNT_ID, at=1.7e9)
    sent = webhook_request(fields, uri, http_verb=verb, body_format=body_format)
    event = http_api_event(GatewayRequest.for_url(sent.method, sent.url, sent.headers, sent.body))
    handler = make_webhook_handler(
        {"PIVOTKIT_TOKENS": json.dumps({"queue": [TOKEN]})}, customers=find_customers("queue")
    )
    assert handler(event, None)["statusCode"] == 200


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--events", "all"], "not a call event"),
        (["--events", "notifications"], "not a call event"),
        (["--retries", "0"], "--retries"),
        (["--custom-data", "type=x"], "does not send"),
        (["--custom-data", "novalue"], "KEY=VALUE"),
        (["--url", "https://localhost/"], "--url"),
        (["--url", "https://h.example/pivot/queue"], "not queue's"),
    ],
)
def test_unusable_arguments_exit_2(
    capsys: pytest.CaptureFixture[str], args: list[str], message: str
) -> None:
    base = {"--url": FUNCTION_URL, "--token": TOKEN}
    for flag, value in zip(args[::2], args[1::2], strict=True):
        base[flag] = value
    flat = [part for pair in base.items() for part in pair]
    status, out, err = run_cli(capsys, "--customer", "queue", *flat)
    assert status == 2 and out == ""
    assert message in err


@dataclass
class FakeCrossbar:
    """Crossbar's account webhooks API over a dict, echoing the auth token as Crossbar does."""

    url: str = ""
    webhooks: dict[str, dict[str, Any]] = field(default_factory=dict)
    requests: list[tuple[str, str, dict[str, Any] | None, str]] = field(default_factory=list)

    def answer(self, method: str, path: str, body: bytes) -> tuple[int, dict[str, Any]]:
        sent = json.loads(body) if body else None
        if path == WEBHOOKS and method == "GET":
            return 200, {"data": [{"id": i, "name": w["name"]} for i, w in self.webhooks.items()]}
        if path == WEBHOOKS and method == "PUT":
            assert sent is not None
            hook_id = f"{len(self.webhooks) + 1:032x}"
            self.webhooks[hook_id] = {**sent["data"], "id": hook_id}
            return 201, {"data": self.webhooks[hook_id], "status": "success"}
        hook_id = path.removeprefix(f"{WEBHOOKS}/")
        if method == "POST" and hook_id in self.webhooks and sent is not None:
            self.webhooks[hook_id] = {**sent["data"], "id": hook_id}
            return 200, {"data": self.webhooks[hook_id], "status": "success"}
        return 404, {"status": "error", "message": "bad identifier"}


@pytest.fixture
def crossbar() -> Iterator[FakeCrossbar]:
    state = FakeCrossbar()

    class Handler(BaseHTTPRequestHandler):
        def _handle(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            auth = self.headers.get("X-Auth-Token", "")
            state.requests.append(
                (self.command, self.path, json.loads(body) if body else None, auth)
            )
            status, answer = state.answer(self.command, self.path, body)
            payload = json.dumps({**answer, "auth_token": auth}).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

        do_GET = do_PUT = do_POST = _handle

        def log_message(self, format: str, *args: Any) -> None:
            return

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    state.url = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    try:
        yield state
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


def crossbar_args(crossbar: FakeCrossbar) -> list[str]:
    return [
        "--customer", "queue", "--url", FUNCTION_URL, "--token", TOKEN,
        "--crossbar", crossbar.url, "--account-id", ACCOUNT_ID, "--auth-token", AUTH,
    ]  # fmt: skip


def test_crossbar_creates_each_webhook_then_updates_it(
    capsys: pytest.CaptureFixture[str], crossbar: FakeCrossbar
) -> None:
    status, out, err = run_cli(capsys, *crossbar_args(crossbar))
    assert status == 0, err
    assert [m for m, _, _, _ in crossbar.requests] == ["GET", "PUT", "PUT", "PUT"]
    assert all(auth == AUTH for *_, auth in crossbar.requests)
    stored = sorted(w["hook"] for w in crossbar.webhooks.values())
    assert stored == ["channel_answer", "channel_create", "channel_destroy"]
    assert all(w["uri"].endswith(f"/hooks/queue?token={TOKEN}") for w in crossbar.webhooks.values())
    assert err.count("created webhook") == 3
    for text in (out, err):
        assert TOKEN not in text and AUTH not in text

    crossbar.requests.clear()
    status, out, err = run_cli(capsys, *crossbar_args(crossbar), "--retries", "3")
    assert status == 0, err
    assert [m for m, _, _, _ in crossbar.requests] == ["GET", "POST", "POST", "POST"]
    assert len(crossbar.webhooks) == 3  # no duplicates
    assert {w["retries"] for w in crossbar.webhooks.values()} == {3}
    assert err.count("updated webhook") == 3


def test_a_crossbar_refusal_exits_1_without_tokens(
    capsys: pytest.CaptureFixture[str], crossbar: FakeCrossbar
) -> None:
    args = crossbar_args(crossbar)
    args[args.index("--account-id") + 1] = "0" * 32  # the fake answers 404 for it
    status, _, err = run_cli(capsys, *args)
    assert status == 1
    assert "404" in err
    assert TOKEN not in err and AUTH not in err


def test_stage_reads_the_url_and_token_from_the_stack(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    moto = pytest.importorskip("moto")
    import boto3

    from pivotkit.customers import derive_credentials

    for name, value in {
        "AWS_DEFAULT_REGION": "eu-west-1",
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
    }.items():
        monkeypatch.setenv(name, value)
    with moto.mock_aws():
        secret = boto3.client("secretsmanager").create_secret(
            Name="pivotkit-dev/queue/credentials", SecretString=json.dumps({"seed": "s33d"})
        )
        template = {
            "Resources": {"Nothing": {"Type": "AWS::SNS::Topic"}},
            "Outputs": {
                "VoiceUrl": {"Value": f"{FUNCTION_URL}pivot/queue"},
                "CredentialsSecretArn": {"Value": secret["ARN"]},
            },
        }
        boto3.client("cloudformation").create_stack(
            StackName="pivotkit-dev-queue", TemplateBody=json.dumps(template)
        )
        documents = printed(capsys, "--customer", "queue", "--stage", "dev")
        missing = run_cli(capsys, "--customer", "queue", "--stage", "prod")
    token = derive_credentials("s33d").token
    assert documents[0]["data"]["uri"] == f"{FUNCTION_URL}hooks/queue?token={token}"
    assert missing[0] == 1 and "pivotkit-prod-queue" in missing[2]
