"""``pivotkit kazoo callflow``: the document it prints and the Crossbar request it makes."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest

from pivotkit.local.cli import main
from pivotkit.local.schemas import KNOWN_VERSIONS, load_schema_sets

API_URL = "https://abc123.execute-api.eu-west-1.amazonaws.com"
ACCOUNT_ID = "3a1f0e2d4c5b6a7980f1e2d3c4b5a697"


@pytest.fixture(autouse=True)
def _clean_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("PIVOTKIT_PUBLIC_URL", "PIVOTKIT_TOKEN", "PIVOTKIT_TOKENS", "KAZOO_AUTH_TOKEN"):
        monkeypatch.delenv(name, raising=False)


def run_cli(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    status = main(["kazoo", "callflow", *args])
    captured = capsys.readouterr()
    return status, captured.out, captured.err


def printed_document(capsys: pytest.CaptureFixture[str], *args: str) -> dict[str, Any]:
    status, out, err = run_cli(capsys, *args)
    assert status == 0, err
    document: dict[str, Any] = json.loads(out)
    return document


def test_prints_a_pivot_callflow_with_token_timeout_and_fallback(
    capsys: pytest.CaptureFixture[str],
) -> None:
    document = printed_document(
        capsys, "--customer", "acme", "--numbers", "5551234", "--url", API_URL, "--token", "t0k"
    )

    data = document["data"]
    assert data["name"] == "pivotkit acme"
    assert data["numbers"] == ["5551234"]
    flow = data["flow"]
    assert flow["module"] == "pivot"
    assert flow["data"] == {
        "voice_url": f"{API_URL}/pivot/acme?token=t0k",
        "method": "get",
        "req_format": "kazoo",
        "req_timeout_ms": 5000,
    }
    fallback = flow["children"]["_"]
    assert fallback["module"] == "tts"
    assert fallback["data"]["text"]
    assert fallback["children"]["_"] == {"module": "hangup", "data": {}}


def test_the_printed_flow_validates_against_kazoo_schemas(
    capsys: pytest.CaptureFixture[str],
) -> None:
    sets = load_schema_sets()
    missing = [version for version in KNOWN_VERSIONS if version not in sets]
    if missing:
        pytest.skip(f"Kazoo schemas for {', '.join(missing)} not found ($KAZOO_SCHEMAS)")
    for extra in ([], ["--method", "post", "--body-format", "json", "--timeout-ms", "3000"]):
        document = printed_document(
            capsys, "--customer", "acme", "--numbers", "1", "--url", API_URL, "--token", "x", *extra
        )
        flow = document["data"]["flow"]
        for version in KNOWN_VERSIONS:
            assert sets[version].errors(flow) == [], version


def test_post_options_reach_the_pivot_node(capsys: pytest.CaptureFixture[str]) -> None:
    document = printed_document(
        capsys,
        "--customer", "acme", "--numbers", "1", "--url", API_URL, "--token", "x",
        "--method", "post", "--body-format", "json", "--timeout-ms", "2500",
    )  # fmt: skip
    data = document["data"]["flow"]["data"]
    assert (data["method"], data["req_body_format"], data["req_timeout_ms"]) == (
        "post",
        "json",
        2500,
    )


def test_numbers_may_repeat_the_option_or_be_comma_separated(
    capsys: pytest.CaptureFixture[str],
) -> None:
    document = printed_document(
        capsys,
        "--customer", "acme", "--url", API_URL, "--token", "x",
        "--numbers", "100,+15551230000", "--numbers", "100", "--numbers", "200",
    )  # fmt: skip
    assert document["data"]["numbers"] == ["100", "+15551230000", "200"]


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        (API_URL, f"{API_URL}/pivot/acme"),
        (f"{API_URL}/", f"{API_URL}/pivot/acme"),
        (f"{API_URL}/pivot/acme", f"{API_URL}/pivot/acme"),
        ("http://10.0.0.5:8080/prefix", "http://10.0.0.5:8080/prefix/pivot/acme"),
    ],
)
def test_url_may_be_the_base_or_the_voice_url(
    capsys: pytest.CaptureFixture[str], url: str, expected: str
) -> None:
    document = printed_document(
        capsys, "--customer", "acme", "--numbers", "1", "--url", url, "--token", "x"
    )
    voice_url = document["data"]["flow"]["data"]["voice_url"]
    assert voice_url == f"{expected}?token=x"


def test_url_and_token_default_to_the_environment(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PIVOTKIT_PUBLIC_URL", "https://pivot.example.com")
    monkeypatch.setenv("PIVOTKIT_TOKENS", json.dumps({"acme": ["first", "second"]}))
    document = printed_document(capsys, "--customer", "acme", "--numbers", "1")
    voice_url = document["data"]["flow"]["data"]["voice_url"]
    assert voice_url == "https://pivot.example.com/pivot/acme?token=first"

    monkeypatch.setenv("PIVOTKIT_TOKEN", "explicit")
    document = printed_document(capsys, "--customer", "acme", "--numbers", "1")
    assert parse_qs(urlsplit(document["data"]["flow"]["data"]["voice_url"]).query) == {
        "token": ["explicit"]
    }


def test_a_token_is_url_encoded(capsys: pytest.CaptureFixture[str]) -> None:
    document = printed_document(
        capsys, "--customer", "acme", "--numbers", "1", "--url", API_URL, "--token", "a&b=c d"
    )
    query = urlsplit(document["data"]["flow"]["data"]["voice_url"]).query
    assert parse_qs(query) == {"token": ["a&b=c d"]}


# A complete, valid set of arguments; each case below breaks one thing.
VALID = ["--customer", "acme", "--numbers", "1", "--url", API_URL, "--token", "x"]
CROSSBAR = ["--crossbar", "http://127.0.0.1:1"]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--customer", "acme", "--numbers", "1", "--token", "x"], "no endpoint URL"),
        (["--customer", "acme", "--numbers", "1", "--url", API_URL], "no token for acme"),
        (["--customer", "Acme", "--numbers", "1", "--url", API_URL, "--token", "x"], "slug"),
        (["--customer", "acme", "--numbers", "1", "--url", "ftp://x", "--token", "x"], "http(s)"),
        ([*VALID, "--url", f"{API_URL}/pivot/globex"], "not acme's endpoint"),
        ([*VALID, "--url", f"{API_URL}?token=a"], "already carries a token"),
        (["--customer", "acme", "--numbers", ",", "--url", API_URL, "--token", "x"], "at least"),
        ([*VALID, "--numbers", "1" * 37], "36"),
        ([*VALID, "--timeout-ms", "8000"], "req_timeout_ms"),
        ([*VALID, "--body-format", "json"], "--method post"),
        ([*VALID, *CROSSBAR, "--auth-token", "a"], "--account-id"),
        ([*VALID, *CROSSBAR, "--account-id", "not-an-account"], "--account-id"),
        ([*VALID, *CROSSBAR, "--account-id", ACCOUNT_ID], "--auth-token"),
        ([*VALID, "--account-id", ACCOUNT_ID], "go with --crossbar"),
    ],
)
def test_unusable_arguments_exit_2_with_a_reason(
    capsys: pytest.CaptureFixture[str], args: list[str], message: str
) -> None:
    status, out, err = run_cli(capsys, *args)
    assert status == 2
    assert out == ""
    assert message in err


@dataclass
class RecordedRequest:
    method: str
    path: str
    headers: dict[str, str]
    body: bytes


@dataclass
class FakeCrossbar:
    url: str
    requests: list[RecordedRequest] = field(default_factory=list)
    status: int = 201
    answer: dict[str, Any] = field(default_factory=dict)


@pytest.fixture
def crossbar() -> Iterator[FakeCrossbar]:
    """A Crossbar stand-in on 127.0.0.1 that records each request and answers as told."""
    state = FakeCrossbar(url="")

    class Handler(BaseHTTPRequestHandler):
        def _record(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            state.requests.append(
                RecordedRequest(
                    method=self.command,
                    path=self.path,
                    headers={k.lower(): v for k, v in self.headers.items()},
                    body=self.rfile.read(length),
                )
            )
            payload = json.dumps(state.answer).encode()
            self.send_response(state.status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

        do_PUT = _record
        do_POST = _record

        def log_message(self, format: str, *args: Any) -> None:
            return

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    state.url = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield state
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


def test_crossbar_put_creates_the_callflow(
    capsys: pytest.CaptureFixture[str], crossbar: FakeCrossbar
) -> None:
    crossbar.answer = {"status": "success", "data": {"id": "f" * 32, "numbers": ["5551234"]}}
    args = ["--customer", "acme", "--numbers", "5551234", "--url", API_URL, "--token", "t0k"]
    expected = printed_document(capsys, *args)

    status, out, err = run_cli(
        capsys,
        *args,
        "--crossbar", crossbar.url, "--account-id", ACCOUNT_ID, "--auth-token", "crossbar-auth",
    )  # fmt: skip

    assert status == 0, err
    assert len(crossbar.requests) == 1
    request = crossbar.requests[0]
    assert request.method == "PUT"
    assert request.path == f"/v2/accounts/{ACCOUNT_ID}/callflows"
    assert request.headers["x-auth-token"] == "crossbar-auth"
    assert request.headers["content-type"] == "application/json"
    assert json.loads(request.body) == expected
    assert json.loads(out) == crossbar.answer


def test_crossbar_url_may_already_end_in_v2_and_token_comes_from_env(
    capsys: pytest.CaptureFixture[str], crossbar: FakeCrossbar, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("KAZOO_AUTH_TOKEN", "from-env")
    status, _, err = run_cli(
        capsys,
        "--customer", "acme", "--numbers", "1", "--url", API_URL, "--token", "x",
        "--crossbar", f"{crossbar.url}/v2/", "--account-id", ACCOUNT_ID,
    )  # fmt: skip
    assert status == 0, err
    assert crossbar.requests[0].path == f"/v2/accounts/{ACCOUNT_ID}/callflows"
    assert crossbar.requests[0].headers["x-auth-token"] == "from-env"


def test_a_crossbar_refusal_exits_1_with_its_answer(
    capsys: pytest.CaptureFixture[str], crossbar: FakeCrossbar
) -> None:
    crossbar.status = 401
    crossbar.answer = {"status": "error", "message": "invalid credentials"}
    status, out, err = run_cli(
        capsys,
        "--customer", "acme", "--numbers", "1", "--url", API_URL, "--token", "x",
        "--crossbar", crossbar.url, "--account-id", ACCOUNT_ID, "--auth-token", "bad",
    )  # fmt: skip
    assert status == 1
    assert out == ""
    assert "401" in err
    assert "invalid credentials" in err
