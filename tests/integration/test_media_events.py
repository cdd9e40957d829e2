"""The media sample events in events/examples/acme/: what the generator makes, and they replay.

Regenerate after a deliberate change with ``PIVOTKIT_WRITE_EVENTS=1 pytest <this file>``.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from examples import acme
from pivotkit.aws.media_entry import make_media_handler
from pivotkit.local.replaying import golden_body
from tests.contract.moto_s3 import fresh_bucket, moto_session, new_s3_client
from tests.unit.media.events import (
    SAMPLE_CUSTOMER,
    SAMPLE_TOKEN,
    response_bytes,
    sample_events,
)

EVENTS = Path(__file__).resolve().parents[2] / "events" / "examples" / "acme"
PATTERN = "media-*.json"


def _dump(document: Any) -> str:
    return json.dumps(document, indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def _files() -> dict[str, tuple[str, str]]:
    return {
        name: (_dump(event), _dump(expected)) for name, (event, expected) in sample_events().items()
    }


def test_event_files_match_the_generator() -> None:
    wanted = _files()
    if os.environ.get("PIVOTKIT_WRITE_EVENTS") == "1":
        EVENTS.mkdir(parents=True, exist_ok=True)
        for stale in EVENTS.glob(PATTERN):
            stale.unlink()
        for name, (event, expected) in wanted.items():
            (EVENTS / f"{name}.json").write_text(event, encoding="utf-8")
            (EVENTS / f"{name}.expected.json").write_text(expected, encoding="utf-8")
    found = sorted(p.name for p in EVENTS.glob(PATTERN))
    assert found == sorted(f"{n}{suffix}" for n in wanted for suffix in (".json", ".expected.json"))
    for name, (event, expected) in wanted.items():
        assert (EVENTS / f"{name}.json").read_text(encoding="utf-8") == event
        # Compared as JSON: `pivotkit replay --update` rewrites goldens in its own layout.
        golden = (EVENTS / f"{name}.expected.json").read_text(encoding="utf-8")
        assert json.loads(golden) == json.loads(expected)


@pytest.fixture
def handler(monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    with moto_session(monkeypatch):
        s3 = new_s3_client()
        env = {
            "PIVOTKIT_MEDIA_BUCKET": fresh_bucket(s3),
            "PIVOTKIT_TOKENS": json.dumps({SAMPLE_CUSTOMER: [SAMPLE_TOKEN]}),
        }
        yield make_media_handler(env, customers={SAMPLE_CUSTOMER: acme.customer}, s3_client=s3)


def test_event_files_replay_through_the_media_handler(handler: Any) -> None:
    names = sorted(p.name.removesuffix(".json") for p in EVENTS.glob(PATTERN))
    names = [n for n in names if not n.endswith(".expected")]
    assert names, f"no sample events in {EVENTS}"
    for name in names:
        event = json.loads((EVENTS / f"{name}.json").read_text(encoding="utf-8"))
        golden = json.loads((EVENTS / f"{name}.expected.json").read_text(encoding="utf-8"))
        result = handler(event, None)
        content_type = result["headers"].get("Content-Type", "")
        actual = {
            "status": result["statusCode"],
            "body": golden_body(content_type, response_bytes(result)),
        }
        assert actual == golden, name
