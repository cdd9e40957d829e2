"""Offline validation of callflow trees against Kazoo's own JSON schemas (local tooling).

Kazoo validates a Pivot answer as one ``callflows.action`` node, plus a Kazoo-only extension
(``"kazoo-validation": true``) that plain JSON Schema ignores. This module reproduces both
(docs/kazoo-notes.md, "The schemas"):

1. every schema file is registered under its ``_id`` (``$ref`` values use the bare id);
2. each node is validated against ``callflows.action`` (Draft 4);
3. ``module`` must name an existing ``callflows.<module>`` schema, and ``data`` is validated
   against it;
4. ``voice_url``/``url``/``uri`` fields Kazoo checks as client URLs must be http(s);
5. every child is checked the same way.

Kazoo's host blacklist and jesse's ``format`` checks are not reproduced. The schemas are
Kazoo's, never copied into the project: one sub-directory per Kazoo line (``4.3``,
``master``) under the first of

1. ``$KAZOO_SCHEMAS`` when it is set (relative to the working directory or the project root),
   even when it holds nothing: setting it is how a run chooses, or turns off, validation;
2. the cache ``pivotkit schemas fetch`` fills (``$XDG_CACHE_HOME/pivotkit/kazoo-schemas``,
   default ``~/.cache/pivotkit/kazoo-schemas``; see ``pivotkit.local.schema_fetch``);
3. ``../shared/kazoo/schemas`` beside the project root, where this repository's own CI keeps
   them.
"""

from __future__ import annotations

import json
import os
import re
import threading
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

# jsonschema ships no type hints (types-jsonschema is not a dev dependency).
from jsonschema import Draft4Validator  # type: ignore[import-untyped]
from jsonschema.exceptions import ValidationError  # type: ignore[import-untyped]
from referencing import Registry
from referencing.jsonschema import DRAFT4

KNOWN_VERSIONS: tuple[str, ...] = ("4.3", "master")
ENV_VAR = "KAZOO_SCHEMAS"
# What every tool says when validation is off, so a user always learns how to turn it on.
HOW_TO_ENABLE = f"run `pivotkit schemas fetch` (or set ${ENV_VAR})"
NOT_FOUND = f"Kazoo schemas not found, validation is off: {HOW_TO_ENABLE}"
SOURCE_FILE = "SOURCE"  # where a fetched set came from; not *.json, which the loader reads
# handlers/pivotkit/local/schemas.py -> the project root is three directories up.
_PROJECT_ROOT = Path(__file__).resolve().parents[3]
_CI_SCHEMAS = _PROJECT_ROOT / ".." / "shared" / "kazoo" / "schemas"
# Fields kz_json_schema_extensions checks with url_validation (scheme http or https).
_CLIENT_URL_FIELDS: Mapping[str, str] = {
    "pivot": "voice_url",
    "record_call": "url",
    "record_caller": "url",
    "webhook": "uri",
}
_CLIENT_URL = re.compile(r"^https?://[^/?#\s]+")
_MAX_DEPTH = 256
_MAX_MESSAGE = 240

_cache: dict[tuple[Path, str], Validator] = {}
_cache_lock = threading.Lock()


@dataclass(frozen=True)
class Validator:
    """Kazoo's callflow validation for one schema line (``version``)."""

    version: str
    directory: Path
    action: Draft4Validator
    modules: Mapping[str, Draft4Validator]

    def errors(self, tree: Any) -> list[str]:
        """Readable errors for ``tree`` (empty when Kazoo would accept it)."""
        found: list[str] = []
        self._check_node(tree, "$", 0, found)
        return found

    def _check_node(self, node: Any, path: str, depth: int, found: list[str]) -> None:
        if depth > _MAX_DEPTH:
            found.append(self._error(path, f"tree is deeper than {_MAX_DEPTH} nodes"))
            return
        if not isinstance(node, dict):
            found.append(self._error(path, f"a callflow node must be an object, not {node!r:.60}"))
            return
        # Children are checked one by one below; validating them here as well (through the
        # schema's recursive $ref) would report every nested error once per ancestor.
        shallow = {
            k: ({} if k == "children" and isinstance(v, dict) else v) for k, v in node.items()
        }
        for error in _sorted(self.action.iter_errors(shallow)):
            found.append(self._error(_join(path, error.absolute_path), error.message))
        module = node.get("module")
        data = node.get("data")
        if isinstance(module, str):
            self._check_data(module, data, path, found)
        children = node.get("children")
        if isinstance(children, dict):
            for key, child in children.items():
                if not key:
                    found.append(self._error(f"{path}.children", "a child key must not be empty"))
                self._check_node(child, f"{path}.children[{key!r}]", depth + 1, found)

    def _check_data(self, module: str, data: Any, path: str, found: list[str]) -> None:
        schema = self.modules.get(module)
        if schema is None:
            found.append(
                self._error(
                    f"{path}.module", f"unable to find callflow schema for module {module!r}"
                )
            )
            return
        if not isinstance(data, dict):
            return  # already reported against callflows.action
        schema_errors = _sorted(schema.iter_errors(data))
        for error in schema_errors:
            found.append(self._error(_join(f"{path}.data", error.absolute_path), error.message))
        url_key = _CLIENT_URL_FIELDS.get(module)
        if url_key is None or url_key not in data:
            return
        if any(list(e.absolute_path)[:1] == [url_key] for e in schema_errors):
            return  # the schema's own pattern already said what is wrong
        url = data[url_key]
        if not isinstance(url, str) or not _CLIENT_URL.match(url):
            message = f"{url!r} is not an http(s) URL Kazoo accepts"
            found.append(self._error(f"{path}.data.{url_key}", message))

    def _error(self, path: str, message: str) -> str:
        if len(message) > _MAX_MESSAGE:  # jsonschema quotes the whole offending value
            message = f"{message[: _MAX_MESSAGE // 2]} ... {message[-_MAX_MESSAGE // 4 :]}"
        return f"[{self.version}] {path}: {message}"


@dataclass(frozen=True)
class SchemaLocation:
    """Where the schemas were found, and which rule of the resolution order found them."""

    directory: Path
    origin: str  # "KAZOO_SCHEMAS", "cache" or "project"

    @property
    def versions(self) -> list[str]:
        return [v for v in KNOWN_VERSIONS if (self.directory / v).is_dir()]


def cache_root(environ: Mapping[str, str] | None = None) -> Path:
    """``$XDG_CACHE_HOME/pivotkit/kazoo-schemas`` (default ``~/.cache/...``).

    The XDG spec says a relative ``XDG_CACHE_HOME`` is invalid and is to be ignored.
    """
    env = os.environ if environ is None else environ
    configured = env.get("XDG_CACHE_HOME", "")
    base = Path(configured) if configured and Path(configured).is_absolute() else None
    if base is None:
        base = Path(env.get("HOME") or Path.home()) / ".cache"
    return base / "pivotkit" / "kazoo-schemas"


def locate_schemas() -> SchemaLocation | None:
    """The first directory of the resolution order (module docstring) holding a Kazoo line."""
    configured = os.environ.get(ENV_VAR)
    if configured:
        relative = Path(configured)
        candidates = (
            [relative]
            if relative.is_absolute()
            else [Path.cwd() / relative, _PROJECT_ROOT / relative]
        )
        found = next((c for c in candidates if _holds_a_line(c)), None)
        return SchemaLocation(found.resolve(), ENV_VAR) if found is not None else None
    for candidate, origin in ((cache_root(), "cache"), (_CI_SCHEMAS, "project")):
        if _holds_a_line(candidate):
            return SchemaLocation(candidate.resolve(), origin)
    return None


def schemas_root() -> Path | None:
    """The directory holding ``4.3/`` and ``master/``, or ``None`` when there is none."""
    location = locate_schemas()
    return location.directory if location is not None else None


def _holds_a_line(candidate: Path) -> bool:
    return any((candidate / version).is_dir() for version in KNOWN_VERSIONS)


def load_schema_sets(root: Path | None = None) -> dict[str, Validator]:
    """A validator per Kazoo line found under ``root`` (default: ``schemas_root()``).

    Empty when no schemas are available. Loaded once per directory and cached.
    """
    base = root if root is not None else schemas_root()
    if base is None:
        return {}
    base = base.resolve()
    loaded: dict[str, Validator] = {}
    for version in KNOWN_VERSIONS:
        directory = base / version
        if not directory.is_dir():
            continue
        with _cache_lock:
            key = (base, version)
            if key not in _cache:
                _cache[key] = _load(version, directory)
            loaded[version] = _cache[key]
    return loaded


def validate_callflow(
    tree: Any, versions: Iterable[str] | None = None, *, root: Path | None = None
) -> list[str]:
    """Errors for ``tree`` against every requested schema line (default: all found).

    Each error reads ``[<version>] <path in the tree>: <message>``; the list is empty when
    the tree is valid. Raises ``LookupError`` when a requested line's schemas are missing,
    so an absent schema set is never mistaken for a valid tree.
    """
    available = load_schema_sets(root)
    wanted = list(versions) if versions is not None else list(available)
    if not wanted:
        raise LookupError(f"no Kazoo schemas found: {HOW_TO_ENABLE}")
    missing = [v for v in wanted if v not in available]
    if missing:
        raise LookupError(f"Kazoo schemas not found for {', '.join(missing)}: {HOW_TO_ENABLE}")
    errors: list[str] = []
    for version in wanted:
        errors.extend(available[version].errors(tree))
    return errors


def _load(version: str, directory: Path) -> Validator:
    documents: dict[str, dict[str, Any]] = {}
    for path in sorted(directory.glob("*.json")):
        document = json.loads(path.read_text(encoding="utf-8"))
        documents[str(document.get("_id", path.stem))] = document
    registry: Registry[Any] = Registry().with_resources(
        (schema_id, DRAFT4.create_resource(document)) for schema_id, document in documents.items()
    )
    if "callflows.action" not in documents:
        raise LookupError(f"{directory} has no callflows.action.json")
    modules = {
        schema_id.removeprefix("callflows."): Draft4Validator(document, registry=registry)
        for schema_id, document in documents.items()
        if _is_module_schema(schema_id)
    }
    return Validator(
        version=version,
        directory=directory,
        action=Draft4Validator(documents["callflows.action"], registry=registry),
        modules=modules,
    )


def _is_module_schema(schema_id: str) -> bool:
    """``callflows.<module>``: not the node schema, the document schema or a sub-schema."""
    if not schema_id.startswith("callflows."):
        return False
    name = schema_id.removeprefix("callflows.")
    return name != "action" and "." not in name


def _sorted(errors: Iterator[ValidationError]) -> list[ValidationError]:
    return sorted(errors, key=lambda e: (list(map(str, e.absolute_path)), e.message))


def _join(path: str, parts: Sequence[Any] | Iterable[Any]) -> str:
    for part in parts:
        path += f"[{part}]" if isinstance(part, int) else f".{part}"
    return path
