"""``pivotkit serve`` as a subprocess on the embedded AWS, driven over real HTTP.

One server (moto included) starts per module; the simulator walks whole calls through it.
"""

from __future__ import annotations

import json
import re
import signal
import urllib.error
import urllib.request
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from pivotkit.local.runtime import find_customers, kazoo_validator
from pivotkit.local.simulator import Caller, HttpTransport, PivotTarget, Script, simulate
from pivotkit.local.tokens import local_token
from pivotkit.local.transcript import Transcript
from tests.integration.serve_support import ServeProcess, write_test_customer

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def customers_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_test_customer(tmp_path_factory.mktemp("customers"))


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory, customers_dir: Path) -> Iterator[ServeProcess]:
    with ServeProcess(tmp_path_factory.mktemp("serve"), customers_dir) as process:
        yield process


def walk(server: ServeProcess, digits: str, **options: str) -> Transcript:
    validator, label = kazoo_validator()
    transport = HttpTransport()
    try:
        return simulate(
            transport,
            PivotTarget(f"{server.url}/pivot/simtest?token={local_token('simtest')}"),
            Caller(),
            Script.parse(digits, bridges=options.get("bridges")),
            validator=validator,
            validation_label=label,
        )
    finally:
        transport.close()


def test_banner_names_routes_tokens_and_a_working_curl(server: ServeProcess) -> None:
    banner = server.output()
    assert f"pivotkit serve: {server.url}" in banner
    assert "embedded AWS (moto) at http://127.0.0.1:" in banner
    assert f"{server.url}/pivot/simtest?token=local-simtest" in banner
    curl = re.search(r"curl -sS '([^']+)'", banner)
    assert curl is not None
    with urllib.request.urlopen(curl.group(1), timeout=10) as response:
        assert response.status == 200
        assert response.headers["Content-Type"] == "application/json"
        flow = json.load(response)
    assert flow["module"] in {"tts", "play", "collect_dtmf", "pivot", "set_variables"}
    validator, _ = kazoo_validator()
    if validator is not None:
        assert validator(flow) == []


def test_whole_call_carries_digits_and_variables_across_requests(server: ServeProcess) -> None:
    transcript = walk(server, "1234#,3")
    assert transcript.ok, transcript.render()
    assert transcript.requests == 3
    assert transcript.heard[-1] == "Your PIN was 1234, 4 digits. Goodbye."
    assert transcript.variables == {"pin_length": "4"}
    assert transcript.ending == "hangup"
    # Continuations point back at this server over plain http (x-forwarded-proto: http).
    urls = [e.detail["url"] for e in transcript.events if e.kind == "request"]
    assert all(url.startswith(f"{server.url}/pivot/simtest?token=***") for url in urls)


def test_failed_bridge_takes_the_cause_branch(server: ServeProcess) -> None:
    transcript = walk(server, "1111,1", bridges="NO_ANSWER")
    assert transcript.ok, transcript.render()
    assert transcript.heard[-1] == "Nobody answered. Goodbye."
    answered = walk(server, "1111,1")
    assert answered.ending == "bridged"


def test_a_failing_step_is_a_500_and_kazoo_takes_the_fallback(server: ServeProcess) -> None:
    transcript = walk(server, "9999,2")
    assert transcript.failures == ["answered 500, not 200"]
    assert "Sorry, something broke." in transcript.heard
    assert not transcript.ok
    # ...and the server is still up for the next caller.
    assert walk(server, "1,3").ok


def test_bad_requests_are_answered_and_never_kill_the_server(server: ServeProcess) -> None:
    for url, expected in [
        (f"{server.url}/pivot/simtest?token=wrong", 401),
        (f"{server.url}/pivot/simtest?token={local_token('simtest')}", 400),
        (f"{server.url}/pivot/nobody?token=x", 404),
        (f"{server.url}/favicon.ico", 404),
    ]:
        with pytest.raises(urllib.error.HTTPError) as failure:
            urllib.request.urlopen(url, timeout=10)
        assert failure.value.code == expected, url
        assert failure.value.headers["Content-Type"] == "application/json"
    assert walk(server, "1,3").ok


def test_twenty_concurrent_calls(server: ServeProcess) -> None:
    with ThreadPoolExecutor(max_workers=20) as pool:
        transcripts = list(pool.map(lambda i: walk(server, f"{i:04d},3"), range(20)))
    assert all(t.ok for t in transcripts)
    assert sorted(t.heard[-1] for t in transcripts) == sorted(
        f"Your PIN was {i:04d}, 4 digits. Goodbye." for i in range(20)
    )


def test_every_project_customer_answers_its_first_request(server: ServeProcess) -> None:
    """The example customers: a first request walked until the caller stops pressing."""
    for slug in find_customers():
        transport = HttpTransport()
        transcript = simulate(
            transport,
            PivotTarget(f"{server.url}/pivot/{slug}?token={local_token(slug)}"),
            validator=kazoo_validator()[0],
        )
        transport.close()
        assert transcript.failures == [], transcript.render()


def test_one_log_line_per_request_without_tokens(server: ServeProcess) -> None:
    walk(server, "4321,3")
    lines = [line for line in server.output().splitlines() if " /pivot/simtest " in line]
    assert any(re.search(r"GET /pivot/simtest 200 [\d.]+ms call=\S+ step=start$", x) for x in lines)
    assert any(" step=pin" in line for line in lines)
    assert not any("local-simtest" in line for line in lines)


def test_sigterm_stops_server_and_embedded_aws(tmp_path: Path, customers_dir: Path) -> None:
    process = ServeProcess(tmp_path, customers_dir, "--memory")
    assert "in-memory state" in process.output()
    assert process.stop(signal.SIGTERM) == 0
    assert "stopping" in process.output()
    assert not process.ready_file.exists()


def test_ctrl_c_stops_cleanly(tmp_path: Path, customers_dir: Path) -> None:
    process = ServeProcess(tmp_path, customers_dir, "--memory", "--customer", "simtest")
    with urllib.request.urlopen(
        f"{process.url}/pivot/simtest?token=local-simtest&Account-ID={'a' * 32}&Call-ID=c",
        timeout=10,
    ) as response:
        assert response.status == 200
    assert process.stop(signal.SIGINT) == 0
    assert process.errors().count("Traceback") == 0


def test_media_uploads_land_in_the_embedded_s3_and_read_back(server: ServeProcess) -> None:
    token = local_token("simtest")
    audio = bytes(range(256)) * 64
    recording = urllib.request.Request(
        f"{server.url}/media/simtest/recordings?token={token}"
        f"&recording=call_recording_abc123.mp3&from=1000&call_id=abc123",
        data=audio,
        method="PUT",
        headers={"Content-Type": "audio/mpeg"},
    )
    with urllib.request.urlopen(recording, timeout=10) as response:
        assert 200 <= response.status < 300
    document = f"{server.url}/media/simtest/{token}/{'ab' * 16}/{'cd' * 16}/greeting.wav"
    stored = urllib.request.Request(document, data=audio, method="PUT")
    with urllib.request.urlopen(stored, timeout=10) as response:
        assert 200 <= response.status < 300
    with urllib.request.urlopen(document, timeout=10) as response:
        assert response.read() == audio
    log = [line for line in server.output().splitlines() if " /media/" in line]
    assert any("PUT /media/simtest/recordings 20" in line for line in log)
    assert any(f"GET /media/simtest/***/{'ab' * 16}/{'cd' * 16}/greeting.wav 200" in x for x in log)
    assert not any(token in line for line in log)
