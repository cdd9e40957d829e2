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

from pivotkit.app import PivotApp
from pivotkit.customers import StaticTokens
from pivotkit.local.cli import main
from pivotkit.local.kazoo_encoding import KazooCall
from pivotkit.local.runtime import find_customers
from pivotkit.local.schemas import KNOWN_VERSIONS, load_schema_sets
from pivotkit.state import InMemoryStateStore
from tests.unit.engine.driver import BASE_URL, Caller, find_module

API_URL = "https://abc123.execute-api.eu-west-1.amazonaws.com"
ACCOUNT_ID = "3a1f0e2d4c5b6a7980f1e2d3c4b5a697"


@pytest.fixture(autouse=True)
def _clean_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("PIVOTKIT_PUBLIC_URL", "PIVOTKIT_TOKEN", "PIVOTKIT_TOKENS", "KAZOO_AUTH_TOKEN"):
        monkeypatch.delenv(name, raising=False)


def test_the_callflow_action_describes_itself(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        main(["kazoo", "callflow", "--help"])
    assert "Print the callflow document Crossbar stores" in capsys.readouterr().out


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
        "req_timeout_ms": 4000,  # acme's request_timeout_ms, not Kazoo's 5000 maximum
    }
    fallback = flow["children"]["_"]
    assert fallback["module"] == "tts"
    assert fallback["data"]["text"] == (
        "Sorry, we are having trouble. Transferring you to the operator."
    )
    assert fallback["children"]["_"]["module"] == "device"  # acme's operator, not a hang-up


@pytest.mark.parametrize("slug", ["acme", "survey"])
def test_the_first_pivot_node_fails_over_like_every_later_one(
    capsys: pytest.CaptureFixture[str], slug: str
) -> None:
    """The first request meets the cold start: its fallback must be the customer's, as on
    the pivot nodes the kit emits later in the same call."""
    document = printed_document(
        capsys, "--customer", slug, "--numbers", "1", "--url", API_URL, "--token", "x"
    )
    first = document["data"]["flow"]
    app = PivotApp(find_customers(slug), InMemoryStateStore(), StaticTokens({slug: ["T"]}))
    caller = Caller(app, KazooCall(account_id=ACCOUNT_ID, call_id=f"{slug}@10.0.0.5"))
    caller.first(f"{BASE_URL}/pivot/{slug}?token=T")
    later = find_module(caller.last_tree(), "pivot")
    assert later is not None, f"{slug}'s first answer has no pivot node to compare with"
    assert first["data"]["req_timeout_ms"] == later["data"]["req_timeout_ms"]
    assert first["children"] == later["children"]


def test_the_printed_flow_validates_against_kazoo_schemas(
    capsys: pytest.CaptureFixture[str],
) -> None:
    sets = load_schema_sets()
    missing = [version for version in KNOWN_VERSIONS if version not in sets]
    if missing:
        pytest.skip(f"Kazoo schemas for {', '.join(missing)} not found ($KAZOO_SCHEMAS)")
    for extra in ([], ["--method", "post", "--body-format", "json"]):
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
        "--method", "post", "--body-format", "json",
    )  # fmt: skip
    data = document["data"]["flow"]["data"]
    assert (data["method"], data["req_body_format"]) == ("post", "json")


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
        (["--customer", "Acme", "--numbers", "1", "--url", API_URL, "--token", "x"], "mean acme?"),
        (["--customer", "acmee", "--numbers", "1", "--url", API_URL, "--token", "x"], "mean acme?"),
        (["--customer", "zzz", "--numbers", "1", "--url", API_URL, "--token", "x"], "frontdesk,"),
        ([*VALID, "--url", "http://127.0.0.1:8080"], "'127.0.0.1', which Kazoo refuses"),
        ([*VALID, "--url", "https://localhost/"], "'localhost', which Kazoo refuses"),
        ([*VALID, "--url", "http://0.0.0.0"], "'0.0.0.0', which Kazoo refuses"),
        ([*VALID, "--url", "https://user:pw@pivot.example.com"], "must not carry user info"),
        (["--customer", "acme", "--numbers", "1", "--url", "ftp://x", "--token", "x"], "http(s)"),
        ([*VALID, "--url", f"{API_URL}/pivot/globex"], "not acme's endpoint"),
        ([*VALID, "--url", f"{API_URL}?token=a"], "already carries a token"),
        (["--customer", "acme", "--numbers", ",", "--url", API_URL, "--token", "x"], "at least"),
        ([*VALID, "--numbers", "1" * 37], "36"),
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


AUTH = "crossbar-auth-7d1c"
PIVOT_TOKEN = "pivot-token-93ab"
CALLFLOWS = f"/v2/accounts/{ACCOUNT_ID}/callflows"


@dataclass
class FakeCrossbar:
    """Crossbar's callflows API over a dict of documents, with its envelope (which echoes
    the auth token, as Crossbar's does) and its paging."""

    url: str
    callflows: dict[str, dict[str, Any]] = field(default_factory=dict)
    requests: list[RecordedRequest] = field(default_factory=list)
    refuse: int | None = None  # answer every request with this status
    page_size: int = 50

    def add(self, callflow_id: str, **data: Any) -> None:
        self.callflows[callflow_id] = {"id": callflow_id, **data}

    def writes(self) -> list[RecordedRequest]:
        return [r for r in self.requests if r.method != "GET"]

    def answer(self, method: str, path: str, body: bytes) -> tuple[int, dict[str, Any]]:
        if self.refuse is not None:
            return self.refuse, {"status": "error", "message": "invalid credentials"}
        route, _, query = path.partition("?")
        if route == CALLFLOWS and method == "GET":
            ids = sorted(self.callflows)
            start = ids.index(parse_qs(query)["start_key"][0]) if query else 0
            page = ids[start : start + self.page_size]
            summaries = [{k: self.callflows[i][k] for k in ("id", "name", "numbers")} for i in page]
            answer: dict[str, Any] = {"data": summaries}
            if start + self.page_size < len(ids):
                answer["next_start_key"] = ids[start + self.page_size]
            return 200, answer
        if route == CALLFLOWS and method == "PUT":
            callflow_id = f"{len(self.callflows) + 1:032x}"
            self.add(callflow_id, **json.loads(body)["data"])
            return 201, {"data": self.callflows[callflow_id]}
        callflow_id = route.removeprefix(f"{CALLFLOWS}/")
        if callflow_id not in self.callflows:
            return 404, {"status": "error", "message": "bad identifier"}
        if method == "POST":
            self.callflows[callflow_id] = {**json.loads(body)["data"], "id": callflow_id}
        return 200, {"data": self.callflows[callflow_id]}


@pytest.fixture
def crossbar() -> Iterator[FakeCrossbar]:
    """A Crossbar stand-in on 127.0.0.1 that records each request."""
    state = FakeCrossbar(url="")

    class Handler(BaseHTTPRequestHandler):
        def _handle(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length)
            state.requests.append(
                RecordedRequest(
                    method=self.command,
                    path=self.path,
                    headers={k.lower(): v for k, v in self.headers.items()},
                    body=body,
                )
            )
            status, answer = state.answer(self.command, self.path, body)
            answer = {**answer, "auth_token": self.headers.get("X-Auth-Token", "")}
            payload = json.dumps(answer).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

        do_GET = _handle
        do_PUT = _handle
        do_POST = _handle

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


def crossbar_args(crossbar: FakeCrossbar, *numbers: str) -> list[str]:
    return [
        "--customer", "acme", "--numbers", ",".join(numbers or ("5551234",)),
        "--url", API_URL, "--token", PIVOT_TOKEN,
        "--crossbar", crossbar.url, "--account-id", ACCOUNT_ID, "--auth-token", AUTH,
    ]  # fmt: skip


def assert_no_token(*texts: str) -> None:
    for text in texts:
        assert AUTH not in text
        assert PIVOT_TOKEN not in text


def test_crossbar_put_creates_the_callflow_and_prints_no_token(
    capsys: pytest.CaptureFixture[str], crossbar: FakeCrossbar
) -> None:
    args = crossbar_args(crossbar)
    expected = printed_document(capsys, *args[:8])

    status, out, err = run_cli(capsys, *args)

    assert status == 0, err
    assert [(r.method, r.path) for r in crossbar.requests] == [
        ("GET", CALLFLOWS),
        ("PUT", CALLFLOWS),
    ]
    request = crossbar.requests[-1]
    assert request.headers["x-auth-token"] == AUTH
    assert request.headers["content-type"] == "application/json"
    assert json.loads(request.body) == expected
    answer = json.loads(out)
    callflow_id = answer["data"]["id"]
    assert f"created callflow {callflow_id} for 5551234" in err
    assert answer["auth_token"] == "<redacted>"
    assert answer["data"]["flow"]["data"]["voice_url"] == f"{API_URL}/pivot/acme?token=<redacted>"
    assert_no_token(out, err)


def test_a_second_run_updates_the_callflow_instead_of_adding_one(
    capsys: pytest.CaptureFixture[str], crossbar: FakeCrossbar
) -> None:
    assert run_cli(capsys, *crossbar_args(crossbar, "5551234", "5559999"))[0] == 0
    (callflow_id,) = crossbar.callflows
    # Set in Kazoo's UI since: kept. A key of the old flow the kit no longer sends: gone.
    crossbar.callflows[callflow_id]["featurecode"] = {"name": "acme", "number": "77"}
    crossbar.callflows[callflow_id]["flow"]["data"]["req_body_format"] = "json"

    status, out, err = run_cli(capsys, *crossbar_args(crossbar, "5551234"), "--name", "Acme")

    assert status == 0, err
    assert list(crossbar.callflows) == [callflow_id]
    assert [(r.method, r.path) for r in crossbar.writes()] == [
        ("PUT", CALLFLOWS),
        ("POST", f"{CALLFLOWS}/{callflow_id}"),
    ]
    stored = crossbar.callflows[callflow_id]
    assert (stored["name"], stored["numbers"]) == ("Acme", ["5551234"])
    assert stored["featurecode"] == {"name": "acme", "number": "77"}
    assert "req_body_format" not in stored["flow"]["data"]
    assert f"updated callflow {callflow_id} for 5551234 (no longer routes 5559999)" in err
    assert_no_token(out, err)


def test_the_callflow_is_found_on_a_later_page(
    capsys: pytest.CaptureFixture[str], crossbar: FakeCrossbar
) -> None:
    crossbar.page_size = 2
    for n in range(5):
        crossbar.add(f"{n + 1:032x}", name=f"other {n}", numbers=[f"20{n}"], flow={})
    assert run_cli(capsys, *crossbar_args(crossbar))[0] == 0
    created = crossbar.writes()[-1]
    assert created.method == "PUT"

    status, _, err = run_cli(capsys, *crossbar_args(crossbar))

    assert status == 0, err
    assert crossbar.writes()[-1].method == "POST"
    assert len(crossbar.callflows) == 6


def test_numbers_routed_elsewhere_are_not_taken_over(
    capsys: pytest.CaptureFixture[str], crossbar: FakeCrossbar
) -> None:
    crossbar.add("a" * 32, name="main menu", numbers=["5551234"], flow={"module": "menu"})

    status, out, err = run_cli(capsys, *crossbar_args(crossbar))

    assert status == 1
    assert out == ""
    assert f"callflow {'a' * 32} (main menu) already routes these numbers to 'menu'" in err
    assert crossbar.writes() == []


def test_numbers_spread_over_two_callflows_are_refused(
    capsys: pytest.CaptureFixture[str], crossbar: FakeCrossbar
) -> None:
    for callflow_id, number in (("a" * 32, "100"), ("b" * 32, "200")):
        crossbar.add(callflow_id, name=number, numbers=[number], flow={"module": "pivot"})

    status, _, err = run_cli(capsys, *crossbar_args(crossbar, "100", "200"))

    assert status == 1
    assert "the numbers are on 2 callflows" in err
    assert crossbar.writes() == []


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
    assert crossbar.writes()[0].path == CALLFLOWS
    assert {r.headers["x-auth-token"] for r in crossbar.requests} == {"from-env"}


def test_a_crossbar_refusal_exits_1_with_its_answer_and_no_token(
    capsys: pytest.CaptureFixture[str], crossbar: FakeCrossbar
) -> None:
    crossbar.refuse = 401
    status, out, err = run_cli(capsys, *crossbar_args(crossbar))
    assert status == 1
    assert out == ""
    assert "401" in err
    assert "invalid credentials" in err
    assert '"auth_token": "<redacted>"' in err
    assert_no_token(out, err)
    assert crossbar.writes() == []


@pytest.mark.parametrize("scheme", ["ftp", "file"])
def test_a_rejected_url_never_echoes_its_token(
    capsys: pytest.CaptureFixture[str], scheme: str
) -> None:
    url = f"{scheme}://pivot.example.com/pivot/acme?token={PIVOT_TOKEN}"
    status, out, err = run_cli(capsys, "--customer", "acme", "--numbers", "1", "--url", url)
    assert status == 2
    assert "pivot.example.com/pivot/acme?token=<redacted>" in err
    assert_no_token(out, err)
