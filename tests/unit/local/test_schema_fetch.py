"""``pivotkit schemas fetch|where`` against a local server shaped like GitHub and like Crossbar.

The schema sets here are small ones of our own with Kazoo's shape (ids, bare ``$ref``); the
project never holds Kazoo's files.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from pivotkit.local import schema_fetch, schemas
from pivotkit.local.cli import main
from pivotkit.local.runtime import kazoo_validator

TOKEN = "crossbar-secret-4f1e"
SCHEMA_DIR = f"/2600hz/kazoo/{{ref}}/{schema_fetch.SCHEMAS_PATH}"
LISTING = f"/repos/2600hz/kazoo/contents/{schema_fetch.SCHEMAS_PATH}?ref={{ref}}"

# callflows.* and what they $ref (transitively); "accounts" is not needed for callflows.
SCHEMAS: dict[str, dict[str, Any]] = {
    "callflows.action": {
        "_id": "callflows.action",
        "type": "object",
        "required": ["data", "module"],
        "properties": {
            "module": {"type": "string"},
            "data": {"type": "object"},
            "children": {
                "type": "object",
                "patternProperties": {".+": {"$ref": "callflows.action"}},
            },
        },
    },
    "callflows.beep": {
        "_id": "callflows.beep",
        "type": "object",
        "properties": {"times": {"type": "integer", "maximum": 3}},
    },
    "callflows.conference": {
        "_id": "callflows.conference",
        "type": "object",
        "properties": {"config": {"$ref": "conferences#/properties/profile"}},
    },
    "conferences": {
        "_id": "conferences",
        "type": "object",
        "properties": {"profile": {"$ref": "conferences.profile"}},
    },
    "conferences.profile": {"_id": "conferences.profile", "type": "object"},
    "accounts": {"_id": "accounts", "type": "object"},
}
NEEDED = sorted(set(SCHEMAS) - {"accounts"})


@dataclass
class FakeServer:
    """Answers ``routes[path]`` as ``(status, body)``; 404 for anything else."""

    url: str
    routes: dict[str, tuple[int, bytes]] = field(default_factory=dict)
    headers: list[dict[str, str]] = field(default_factory=list)

    def serve_json(self, path: str, document: Any, status: int = 200) -> None:
        self.routes[path] = (status, json.dumps(document).encode())


@pytest.fixture
def server() -> Iterator[FakeServer]:
    fake = FakeServer(url="")

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            fake.headers.append(dict(self.headers))
            status, body = fake.routes.get(self.path, (404, b'{"error": "404"}'))
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: Any) -> None:
            pass

    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    fake.url = f"http://127.0.0.1:{httpd.server_address[1]}"
    thread = threading.Thread(target=httpd.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    try:
        yield fake
    finally:
        httpd.shutdown()
        httpd.server_close()


@pytest.fixture
def cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """An empty cache of our own, and nothing else the loader could find first or instead."""
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    monkeypatch.delenv(schemas.ENV_VAR, raising=False)
    monkeypatch.delenv("KAZOO_AUTH_TOKEN", raising=False)
    monkeypatch.setattr(schemas, "_CI_SCHEMAS", tmp_path / "no-ci-schemas")
    return tmp_path / "xdg" / "pivotkit" / "kazoo-schemas"


def serve_github(server: FakeServer, monkeypatch: pytest.MonkeyPatch, ref: str) -> None:
    monkeypatch.setattr(schema_fetch, "GITHUB_API", server.url)
    monkeypatch.setattr(schema_fetch, "GITHUB_RAW", server.url)
    listing = [{"name": f"{name}.json", "type": "file"} for name in SCHEMAS]
    listing.append({"name": "README.md", "type": "file"})
    server.serve_json(LISTING.format(ref=ref), listing)
    for name, document in SCHEMAS.items():
        server.serve_json(f"{SCHEMA_DIR.format(ref=ref)}/{name}.json", document)


def serve_crossbar(server: FakeServer) -> None:
    server.serve_json("/v2/schemas", {"data": list(SCHEMAS), "status": "success"})
    for name, document in SCHEMAS.items():
        # Crossbar answers public fields: no "_id".
        public = {k: v for k, v in document.items() if k != "_id"}
        server.serve_json(f"/v2/schemas/{name}", {"data": public, "status": "success"})


def run_cli(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    status = main(["schemas", *args])
    captured = capsys.readouterr()
    return status, captured.out, captured.err


def cached_names(directory: Path) -> list[str]:
    return sorted(path.stem for path in directory.glob("*.json"))


def leftovers(cache: Path) -> list[str]:
    return (
        sorted(p.name for p in cache.iterdir() if p.name.startswith(".")) if cache.exists() else []
    )


def test_fetch_from_github_writes_both_lines_and_the_validator_reads_them(
    server: FakeServer,
    cache: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    for ref in schemas.KNOWN_VERSIONS:
        serve_github(server, monkeypatch, ref)
    assert kazoo_validator()[0] is None

    status, out, err = run_cli(capsys, "fetch")

    assert status == 0, err
    for ref in schemas.KNOWN_VERSIONS:
        assert cached_names(cache / ref) == NEEDED
        assert f"wrote {cache / ref}: {len(NEEDED)} schemas ({ref})" in out
        assert "2600hz/kazoo" in (cache / ref / schemas.SOURCE_FILE).read_text()
    assert leftovers(cache) == []
    location = schemas.locate_schemas()
    assert location == schemas.SchemaLocation(cache.resolve(), "cache")
    sets = schemas.load_schema_sets()
    assert sorted(sets) == sorted(schemas.KNOWN_VERSIONS)
    assert sets["4.3"].errors({"module": "beep", "data": {"times": 4}}) == [
        "[4.3] $.data.times: 4 is greater than the maximum of 3"
    ]
    # The $ref chain callflows.conference -> conferences -> conferences.profile resolves.
    assert sets["master"].errors({"module": "conference", "data": {"config": {}}}) == []

    status, out, _ = run_cli(capsys, "where")
    assert status == 0
    assert out.splitlines()[0] == str(cache.resolve())
    assert "from: the cache" in out
    assert "4.3: 5 schemas (github.com/2600hz/kazoo 4.3)" in out


def test_fetch_from_crossbar_sends_the_token_and_never_prints_it(
    server: FakeServer, cache: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    serve_crossbar(server)

    status, out, err = run_cli(
        capsys, "fetch", "--ref", "4.3", "--from", server.url, "--auth-token", TOKEN
    )

    assert status == 0, err
    assert cached_names(cache / "4.3") == NEEDED
    assert not (cache / "master").exists()
    written = json.loads((cache / "4.3" / "callflows.beep.json").read_text())
    assert written["_id"] == "callflows.beep"  # restored: the loader registers by _id
    assert all(h.get("X-Auth-Token") == TOKEN for h in server.headers)
    assert TOKEN not in out + err


def test_the_crossbar_token_can_come_from_the_environment(
    server: FakeServer,
    cache: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    serve_crossbar(server)
    monkeypatch.setenv("KAZOO_AUTH_TOKEN", TOKEN)
    status, _, err = run_cli(capsys, "fetch", "--ref", "master", "--from", f"{server.url}/v2")
    assert status == 0, err
    assert cached_names(cache / "master") == NEEDED


def test_a_refused_token_is_said_plainly_and_writes_nothing(
    server: FakeServer, cache: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    server.serve_json("/v2/schemas", {"error": "401", "message": "invalid_credentials"}, 401)

    status, out, err = run_cli(
        capsys, "fetch", "--ref", "4.3", "--from", server.url, "--auth-token", TOKEN
    )

    assert status == 1
    assert "refused the auth token (401)" in err
    assert "nothing was written for 4.3" in err
    assert TOKEN not in out + err
    assert not (cache / "4.3").exists()
    assert leftovers(cache) == []


@pytest.mark.parametrize(
    ("broken", "message"),
    [
        ((404, b"404: Not Found"), "callflows.conference.json answered 404"),
        ((200, b"{not json"), "callflows.conference.json did not answer JSON"),
        ((200, b"[1, 2]"), "schema 'callflows.conference' is not a JSON object"),
    ],
)
def test_a_failed_download_keeps_the_previous_set_whole(
    server: FakeServer,
    cache: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    broken: tuple[int, bytes],
    message: str,
) -> None:
    serve_github(server, monkeypatch, "4.3")
    assert run_cli(capsys, "fetch", "--ref", "4.3")[0] == 0
    before = {p.name: p.read_bytes() for p in (cache / "4.3").iterdir()}
    server.routes[f"{SCHEMA_DIR.format(ref='4.3')}/callflows.conference.json"] = broken

    status, _, err = run_cli(capsys, "fetch", "--ref", "4.3")

    assert status == 1
    assert message in err
    assert {p.name: p.read_bytes() for p in (cache / "4.3").iterdir()} == before
    assert leftovers(cache) == []


def test_a_second_fetch_replaces_the_first(
    server: FakeServer,
    cache: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    serve_github(server, monkeypatch, "master")
    assert run_cli(capsys, "fetch", "--ref", "master")[0] == 0
    (cache / "master" / "callflows.stale.json").write_text("{}")

    status, out, _ = run_cli(capsys, "fetch", "--ref", "master")

    assert status == 0
    assert f"replaced {cache / 'master'}" in out
    assert cached_names(cache / "master") == NEEDED
    assert leftovers(cache) == []


def test_an_unknown_branch_and_a_missing_reference_are_explained(
    server: FakeServer,
    cache: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setattr(schema_fetch, "GITHUB_API", server.url)
    status, _, err = run_cli(capsys, "fetch", "--ref", "4.3")
    assert status == 1
    assert "answered 404: no branch '4.3' in 2600hz/kazoo" in err

    serve_github(server, monkeypatch, "4.3")
    listing = [{"name": f"{n}.json", "type": "file"} for n in SCHEMAS if n != "conferences"]
    server.serve_json(LISTING.format(ref="4.3"), listing)
    status, _, err = run_cli(capsys, "fetch", "--ref", "4.3")
    assert status == 1
    assert "callflows.conference refers to schema 'conferences', which github.com" in err
    assert not (cache / "4.3").exists()


def test_a_reference_that_is_not_a_schema_name_is_refused(tmp_path: Path) -> None:
    @dataclass(frozen=True)
    class Hostile:
        description: str = "hostile"

        def names(self) -> list[str]:
            return ["callflows.action", "../../escape"]

        def document(self, name: str) -> dict[str, Any]:
            return {"_id": name, "properties": {"x": {"$ref": "../../escape"}}}

    with pytest.raises(schema_fetch.FetchError, match="unexpected \\$ref"):
        schema_fetch.fetch_schemas(Hostile(), "4.3", tmp_path)
    assert list(tmp_path.iterdir()) == []


def test_crossbar_needs_a_line_and_a_token(cache: Path, capsys: pytest.CaptureFixture[str]) -> None:
    status, _, err = run_cli(capsys, "fetch", "--from", "https://kazoo:8443", "--auth-token", "t")
    assert status == 2
    assert "needs --ref" in err
    status, _, err = run_cli(capsys, "fetch", "--from", "https://kazoo:8443", "--ref", "4.3")
    assert status == 2
    assert "needs --auth-token" in err
    status, _, err = run_cli(
        capsys, "fetch", "--from", "kazoo:8443", "--ref", "4.3", "--auth-token", "t"
    )
    assert status == 2
    assert "--from must be 'github' or Crossbar's http(s) URL" in err


def test_the_environment_wins_over_the_cache_and_the_cache_over_the_project(
    tmp_path: Path, cache: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    project = tmp_path / "ci"
    (project / "master").mkdir(parents=True)
    monkeypatch.setattr(schemas, "_CI_SCHEMAS", project)
    assert schemas.locate_schemas() == schemas.SchemaLocation(project.resolve(), "project")

    (cache / "4.3").mkdir(parents=True)
    assert schemas.locate_schemas() == schemas.SchemaLocation(cache.resolve(), "cache")

    chosen = tmp_path / "chosen"
    (chosen / "4.3").mkdir(parents=True)
    monkeypatch.setenv(schemas.ENV_VAR, str(chosen))
    assert schemas.locate_schemas() == schemas.SchemaLocation(chosen.resolve(), "KAZOO_SCHEMAS")
    # Set but empty: validation is off, nothing else is tried behind the user's back.
    monkeypatch.setenv(schemas.ENV_VAR, str(tmp_path / "nowhere"))
    assert schemas.locate_schemas() is None


def test_the_cache_follows_xdg_and_ignores_a_relative_xdg_cache_home(tmp_path: Path) -> None:
    assert schemas.cache_root({"XDG_CACHE_HOME": str(tmp_path), "HOME": "/h"}) == (
        tmp_path / "pivotkit" / "kazoo-schemas"
    )
    expected = Path("/h/.cache/pivotkit/kazoo-schemas")
    assert schemas.cache_root({"XDG_CACHE_HOME": "relative", "HOME": "/h"}) == expected
    assert schemas.cache_root({"HOME": "/h"}) == expected


def test_without_schemas_every_tool_says_validation_is_off_and_how_to_fix_it(
    cache: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    validator, label = kazoo_validator()
    assert validator is None
    assert label == (
        "skipped: Kazoo schemas not found, validation is off: run `pivotkit schemas fetch`"
        " (or set $KAZOO_SCHEMAS)"
    )
    status, out, _ = run_cli(capsys, "where")
    assert status == 1
    assert "validation is off: run `pivotkit schemas fetch`" in out


def test_serve_says_which_schemas_call_and_replay_validate_with(cache: Path) -> None:
    from pivotkit.local.commands.serve import _schemas_note

    assert _schemas_note() == schemas.NOT_FOUND
    (cache / "master").mkdir(parents=True)
    assert _schemas_note() == f"{cache.resolve()} (master; `pivotkit call` validates)"
