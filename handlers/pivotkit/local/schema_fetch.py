"""Download Kazoo's callflow schemas into the cache ``pivotkit.local.schemas`` reads.

Kazoo's schemas are Kazoo's (Mozilla Public License) and the project never ships them; a
user fetches them once, from one of two places:

- the public Kazoo repository on GitHub: the directory listing of
  ``applications/crossbar/priv/couchdb/schemas`` at a branch (one GitHub API request), then
  each file from raw.githubusercontent.com;
- their own Crossbar: ``GET /v2/schemas`` (the names) and ``GET /v2/schemas/{name}`` (one
  schema in ``data``), with ``X-Auth-Token``. That is exactly what their Kazoo validates with.

Only what validating a callflow needs is kept: every ``callflows.*`` schema and whatever they
``$ref``, transitively. Everything is downloaded and checked in a temporary directory beside
the cache entry, which then replaces the entry by renames: a failed fetch leaves the previous
schemas (or none) and never a half-written set.
"""

from __future__ import annotations

import json
import re
import shutil
import tempfile
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Protocol
from urllib.parse import quote, urlsplit

from pivotkit.local.schemas import SOURCE_FILE

GITHUB_REPOSITORY = "2600hz/kazoo"
SCHEMAS_PATH = "applications/crossbar/priv/couchdb/schemas"
# Module attributes rather than constants in the functions: the tests point them at a local
# server that serves the same layout.
GITHUB_API = "https://api.github.com"
GITHUB_RAW = "https://raw.githubusercontent.com"
TIMEOUT_S = 20.0
MAX_DOCUMENT_BYTES = 4 * 1024 * 1024
PARALLEL_DOWNLOADS = 8
_USER_AGENT = "pivotkit-schemas-fetch"
# Kazoo's schema ids: "callflows.audio_macro.prompt", "custom_sip_headers". Anything else in a
# listing or a $ref is refused before it becomes a file name.
_SCHEMA_NAME = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}")


class FetchError(Exception):
    """Why the schemas could not be fetched, in words for the person who asked."""


class Source(Protocol):
    """Where schemas come from: the names on offer and one document by name."""

    @property
    def description(self) -> str: ...

    def names(self) -> list[str]: ...

    def document(self, name: str) -> dict[str, Any]: ...


@dataclass(frozen=True)
class GitHubSource:
    """A branch of the public Kazoo repository (``ref``: ``4.3`` or ``master``)."""

    ref: str
    api_base: str = ""
    raw_base: str = ""

    @property
    def description(self) -> str:
        return f"github.com/{GITHUB_REPOSITORY} {self.ref}"

    def names(self) -> list[str]:
        api = self.api_base or GITHUB_API
        url = (
            f"{api.rstrip('/')}/repos/{GITHUB_REPOSITORY}/contents/{SCHEMAS_PATH}"
            f"?ref={quote(self.ref, safe='')}"
        )
        listing = _get_json(url, {}, not_found=f"no branch {self.ref!r} in {GITHUB_REPOSITORY}")
        if not isinstance(listing, list):
            raise FetchError(f"{url} did not answer a directory listing")
        return [
            str(entry["name"]).removesuffix(".json")
            for entry in listing
            if isinstance(entry, dict)
            and entry.get("type") == "file"
            and str(entry.get("name", "")).endswith(".json")
        ]

    def document(self, name: str) -> dict[str, Any]:
        raw = self.raw_base or GITHUB_RAW
        url = f"{raw.rstrip('/')}/{GITHUB_REPOSITORY}/{quote(self.ref, safe='')}/{SCHEMAS_PATH}/"
        return _as_schema(_get_json(f"{url}{name}.json", {}), name)


@dataclass(frozen=True)
class CrossbarSource:
    """The user's own Crossbar; ``auth_token`` goes in a header and never into a message."""

    base_url: str
    auth_token: str

    def __post_init__(self) -> None:
        parts = urlsplit(self.base_url)
        if parts.scheme not in ("http", "https") or not parts.netloc:
            raise FetchError(
                f"--from must be 'github' or Crossbar's http(s) URL, got {self.base_url!r}"
            )

    @property
    def description(self) -> str:
        return f"Crossbar {self._api}"

    @property
    def _api(self) -> str:
        base = self.base_url.rstrip("/")
        return base if base.endswith("/v2") else f"{base}/v2"

    def names(self) -> list[str]:
        answer = _get_json(f"{self._api}/schemas", self._headers, not_found="not a Crossbar API")
        names = answer.get("data") if isinstance(answer, dict) else None
        if not isinstance(names, list):
            raise FetchError(f"{self._api}/schemas did not answer a list of schema names")
        return [str(name) for name in names]

    def document(self, name: str) -> dict[str, Any]:
        answer = _get_json(f"{self._api}/schemas/{name}", self._headers)
        data = answer.get("data") if isinstance(answer, dict) else None
        return _as_schema(data, name)

    @property
    def _headers(self) -> dict[str, str]:
        return {"X-Auth-Token": self.auth_token}


@dataclass(frozen=True)
class Fetched:
    directory: Path
    schemas: int
    replaced: bool


def fetch_schemas(
    source: Source,
    ref: str,
    cache: Path,
    *,
    progress: Callable[[str], None] | None = None,
) -> Fetched:
    """Download ``source``'s callflow schemas into ``cache/<ref>`` (replacing what was there)."""
    say = progress or (lambda _line: None)
    say(f"listing the schemas of {source.description}")
    offered = {name for name in source.names() if _SCHEMA_NAME.fullmatch(name)}
    if "callflows.action" not in offered:
        raise FetchError(f"{source.description} offers no callflows.action schema")
    wanted = sorted(name for name in offered if name.startswith("callflows."))
    say(f"downloading {len(wanted)} callflow schemas and the schemas they refer to")
    documents = _download_closure(source, wanted, offered)
    cache.mkdir(parents=True, exist_ok=True)
    target = cache / ref
    staging = Path(tempfile.mkdtemp(prefix=f".{ref}.", dir=cache))
    try:
        for name, document in documents.items():
            (staging / f"{name}.json").write_text(
                json.dumps(document, indent=2, sort_keys=True) + "\n", encoding="utf-8"
            )
        fetched_at = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
        (staging / SOURCE_FILE).write_text(
            f"{source.description}\nfetched {fetched_at} by `pivotkit schemas fetch`\n",
            encoding="utf-8",
        )
        replaced = _swap_in(staging, target)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return Fetched(target, len(documents), replaced)


def _download_closure(
    source: Source, wanted: list[str], offered: set[str]
) -> dict[str, dict[str, Any]]:
    """``wanted`` and everything they ``$ref``, level by level (in parallel within a level)."""
    documents: dict[str, dict[str, Any]] = {}
    level = wanted
    with ThreadPoolExecutor(max_workers=PARALLEL_DOWNLOADS) as pool:
        while level:
            for name, document in zip(level, pool.map(source.document, level), strict=True):
                documents[name] = document
            referenced: dict[str, str] = {}
            for name in level:
                for target in _references(documents[name]):
                    if target not in documents:
                        referenced.setdefault(target, name)
            for target, by in referenced.items():
                if target not in offered:
                    raise FetchError(
                        f"{by} refers to schema {target!r}, which {source.description} lacks"
                    )
            level = sorted(referenced)
    return documents


def _references(document: Any) -> Iterator[str]:
    """The other schemas a document names in ``$ref`` (Kazoo uses bare ids, no URLs)."""
    if isinstance(document, dict):
        for key, value in document.items():
            if key == "$ref" and isinstance(value, str):
                name = value.split("#", 1)[0].removesuffix(".json")
                if name:
                    if not _SCHEMA_NAME.fullmatch(name):
                        raise FetchError(f"unexpected $ref {value!r:.80} in Kazoo's schemas")
                    yield name
            else:
                yield from _references(value)
    elif isinstance(document, list):
        for item in document:
            yield from _references(item)


def _swap_in(staging: Path, target: Path) -> bool:
    """Replace ``target`` with ``staging`` by renames (a directory cannot be replaced in one)."""
    if not target.exists():
        staging.rename(target)
        return False
    retired = Path(tempfile.mkdtemp(prefix=f".{target.name}.old.", dir=target.parent))
    retired.rmdir()
    target.rename(retired)
    try:
        staging.rename(target)
    except OSError:
        retired.rename(target)  # put the previous set back
        raise
    shutil.rmtree(retired, ignore_errors=True)
    return True


def _as_schema(document: Any, name: str) -> dict[str, Any]:
    if not isinstance(document, dict):
        raise FetchError(f"schema {name!r} is not a JSON object")
    # The loader registers schemas by _id, which $ref values name; Crossbar may leave it out.
    document.setdefault("_id", name)
    if document["_id"] != name:
        raise FetchError(f"schema {name!r} calls itself {document['_id']!r:.80}")
    return document


def _get_json(url: str, headers: Mapping[str, str], *, not_found: str = "not found") -> Any:
    request = urllib.request.Request(  # noqa: S310 - http(s) URLs only (checked by the sources)
        url, headers={"Accept": "application/json", "User-Agent": _USER_AGENT, **headers}
    )
    try:
        with urllib.request.urlopen(request, timeout=TIMEOUT_S) as response:  # noqa: S310
            body = response.read(MAX_DOCUMENT_BYTES + 1)
    except urllib.error.HTTPError as error:
        raise FetchError(_http_error(url, error.code, not_found)) from None
    except (urllib.error.URLError, TimeoutError, OSError) as error:
        reason = getattr(error, "reason", error)
        raise FetchError(f"cannot reach {url}: {reason}") from None
    if len(body) > MAX_DOCUMENT_BYTES:
        raise FetchError(f"{url} answered more than {MAX_DOCUMENT_BYTES} bytes")
    try:
        return json.loads(body)
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise FetchError(f"{url} did not answer JSON ({error})") from None


def _http_error(url: str, status: int, not_found: str) -> str:
    if status == 401:
        return (
            f"{url} refused the auth token (401): get a fresh one from Crossbar "
            "(PUT /v2/user_auth or /v2/api_auth) and pass it with --auth-token"
        )
    if status == 403:
        return f"{url} answered 403: the token may not read schemas, or a rate limit was hit"
    if status == 404:
        return f"{url} answered 404: {not_found}"
    return f"{url} answered {status}"
