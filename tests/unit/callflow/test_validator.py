"""The offline Kazoo validator (pivotkit.local.schemas) itself."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from pivotkit.callflow import KNOWN_MODULES
from pivotkit.local import schemas
from pivotkit.local.schemas import load_schema_sets, schemas_root, validate_callflow

from .conftest import KazooErrors

DEVICE = "0123456789abcdef0123456789abcdef"
BOX = "fedcba9876543210fedcba9876543210"
VOICE_URL = "https://abc.lambda-url.us-east-1.on.aws/pivot?step=menu&token=S3CR3T"

# Answer shapes Kazoo accepts, written out by hand (not built with the builder).
KAZOO_ACCEPTS: dict[str, dict[str, Any]] = {
    "a": {
        "module": "tts",
        "data": {"text": "Press 1 for sales.", "voice": "female", "language": "en-us"},
        "children": {
            "_": {
                "module": "collect_dtmf",
                "data": {"collection_name": "menu_choice", "max_digits": 1, "terminators": ["#"]},
                "children": {
                    "_": {
                        "module": "pivot",
                        "data": {"voice_url": VOICE_URL, "req_format": "kazoo", "method": "get"},
                        "children": {"_": {"module": "hangup", "data": {}}},
                    }
                },
            }
        },
    },
    "b": {
        "module": "device",
        "data": {"id": DEVICE, "timeout": 20, "can_call_self": False},
        "children": {"_": {"module": "voicemail", "data": {"id": BOX}, "children": {}}},
    },
    "d": {
        "module": "ring_group",
        "data": {
            "strategy": "simultaneous",
            "timeout": 30,
            "endpoints": [
                {"endpoint_type": "device", "id": DEVICE, "timeout": 20, "delay": 0},
                {"endpoint_type": "group", "id": BOX},
            ],
        },
    },
    "e": {"module": "conference", "data": {"config": {"name": "Support bridge 42"}}},
    "f": {
        "module": "resources",
        "data": {"to_did": "+14155550100", "use_local_resources": True, "timeout": 30},
        "children": {"_": {"module": "hangup", "data": {}}},
    },
    "g": {"module": "manual_presence", "data": {"presence_id": "support", "status": "busy"}},
    "h": {
        "module": "record_call",
        "data": {"action": "start", "format": "mp3", "url": "https://abc.example.com/rec"},
        "children": {"_": {"module": "user", "data": {"id": DEVICE}}},
    },
}

# Shapes Kazoo rejects (docs/kazoo-notes.md), and what the error names.
KAZOO_REJECTS: dict[str, tuple[Any, str]] = {
    "say": ({"module": "say", "data": {"text": "hi"}}, "$.module: unable to find callflow"),
    "string-endpoints": (
        {"module": "ring_group", "data": {"endpoints": [DEVICE]}},
        "$.data.endpoints[0]: '0123456789abcdef0123456789abcdef' is not of type 'object'",
    ),
    "code-string": (
        {"module": "response", "data": {"code": "486"}},
        "$.data.code: '486' is not of type 'integer'",
    ),
    "no-data": ({"module": "hangup"}, "$: 'data' is a required property"),
    "flow-wrapper": (
        {"flow": {"module": "hangup", "data": {}}},
        "$: 'module' is a required property",
    ),
    "long-tts": ({"module": "tts", "data": {"text": "x" * 1001}}, "$.data.text: "),
    "timeout-8000": (
        {"module": "pivot", "data": {"voice_url": VOICE_URL, "req_timeout_ms": 8000}},
        "$.data.req_timeout_ms: 8000 is greater than the maximum of 5000",
    ),
    "no-scheme": (
        {"module": "pivot", "data": {"voice_url": "abc.example.com/pivot"}},
        "$.data.voice_url: 'abc.example.com/pivot' does not match '^https?://'",
    ),
    "child-without-key": (
        {"module": "record_call", "data": {"action": "start"}, "children": {"": {}}},
        "$.children: a child key must not be empty",
    ),
}


@pytest.mark.parametrize("name", sorted(KAZOO_ACCEPTS))
def test_shapes_kazoo_accepts_are_accepted(name: str, kazoo_errors: KazooErrors) -> None:
    assert kazoo_errors(KAZOO_ACCEPTS[name]) == []


@pytest.mark.parametrize("name", sorted(KAZOO_REJECTS))
def test_section_7_bad_shapes_are_rejected_on_both_lines(
    name: str, kazoo_errors: KazooErrors
) -> None:
    tree, fragment = KAZOO_REJECTS[name]
    errors = kazoo_errors(tree)
    for version in schemas.KNOWN_VERSIONS:
        assert any(e.startswith(f"[{version}] ") and fragment in e for e in errors), errors


def test_nested_errors_name_their_path_once(kazoo_errors: KazooErrors) -> None:
    tree = {
        "module": "tts",
        "data": {"text": "hi"},
        "children": {"_": {"module": "response", "data": {"code": "486"}}},
    }
    assert kazoo_errors(tree) == [
        "[4.3] $.children['_'].data.code: '486' is not of type 'integer'",
        "[master] $.children['_'].data.code: '486' is not of type 'integer'",
    ]


def test_kazoo_url_check_applies_where_the_schema_has_no_pattern(
    kazoo_errors: KazooErrors,
) -> None:
    errors = kazoo_errors({"module": "webhook", "data": {"uri": "ftp://hooks.example.com"}})
    assert errors == [
        f"[{v}] $.data.uri: 'ftp://hooks.example.com' is not an http(s) URL Kazoo accepts"
        for v in ("4.3", "master")
    ]


def test_non_objects_are_reported_not_raised(kazoo_errors: KazooErrors) -> None:
    not_an_object: Any = []
    assert kazoo_errors(not_an_object)[0].startswith("[4.3] $: a callflow node must be an object")
    errors = kazoo_errors({"module": "tts", "data": {"text": "x"}, "children": []})
    assert any("$.children: [] is not of type 'object'" in e for e in errors)


def test_master_only_modules_fail_on_4_3(kazoo_errors: KazooErrors) -> None:
    assert kazoo_errors({"module": "wait_for_hangup", "data": {}}) == [
        "[4.3] $.module: unable to find callflow schema for module 'wait_for_hangup'"
    ]


def test_known_modules_are_those_both_lines_define() -> None:
    sets = load_schema_sets()
    if set(sets) != set(schemas.KNOWN_VERSIONS):
        pytest.skip("Kazoo schemas not found")
    common = set(sets["4.3"].modules) & set(sets["master"].modules)
    # callflows.skel.json is the developer template, not a module anyone should send.
    assert common - {"skel"} == KNOWN_MODULES


def test_versions_can_be_chosen_and_missing_ones_are_an_error(
    kazoo_errors: KazooErrors,
) -> None:
    bad = {"module": "hangup"}
    assert validate_callflow(bad, ["master"]) == ["[master] $: 'data' is a required property"]
    with pytest.raises(LookupError, match=r"5\.0"):
        validate_callflow(bad, ["5.0"])


def test_schema_sets_are_cached(kazoo_errors: KazooErrors) -> None:
    first, second = load_schema_sets(), load_schema_sets()
    assert all(first[v] is second[v] for v in first)


def _write_schemas(root: Path, version: str) -> None:
    """A two-file schema set of our own, shaped like Kazoo's (ids, bare $ref)."""
    directory = root / version
    directory.mkdir(parents=True)
    action = {
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
    }
    beep = {
        "_id": "callflows.beep",
        "type": "object",
        "properties": {"times": {"type": "integer", "maximum": 3}},
    }
    for document in (action, beep):
        (directory / f"{document['_id']}.json").write_text(json.dumps(document))


def test_loading_follows_kazoo_ids_and_the_environment(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _write_schemas(tmp_path, "4.3")
    monkeypatch.setenv(schemas.ENV_VAR, str(tmp_path))
    assert schemas_root() == tmp_path.resolve()
    assert list(load_schema_sets()) == ["4.3"]
    ok = {"module": "beep", "data": {"times": 2}, "children": {"_": {"module": "beep", "data": {}}}}
    assert validate_callflow(ok) == []
    assert validate_callflow({"module": "beep", "data": {"times": 4}}) == [
        "[4.3] $.data.times: 4 is greater than the maximum of 3"
    ]
    assert validate_callflow({"module": "boop", "data": {}}) == [
        "[4.3] $.module: unable to find callflow schema for module 'boop'"
    ]


def test_a_relative_environment_path_is_read_from_the_working_directory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _write_schemas(tmp_path / "kazoo", "master")
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv(schemas.ENV_VAR, "kazoo")
    assert schemas_root() == (tmp_path / "kazoo").resolve()


def test_absent_schemas_give_no_validators_and_refuse_to_validate(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(schemas.ENV_VAR, str(tmp_path / "nowhere"))
    assert schemas_root() is None
    assert load_schema_sets() == {}
    with pytest.raises(LookupError, match="no Kazoo schemas"):
        validate_callflow({"module": "hangup", "data": {}})


def test_long_values_are_shortened_in_messages(kazoo_errors: KazooErrors) -> None:
    errors = kazoo_errors({"module": "tts", "data": {"text": "y" * 5000}})
    assert errors and all(len(e) < 300 for e in errors)
