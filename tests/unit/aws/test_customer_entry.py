"""A customer's one function: Pivot and media requests through ``functions.customer``.

Routing by path, one token source for both, and a cold start that loads no media code: a
Pivot request must not pay for ``pivotkit.media`` or the S3 store it never uses.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from pivotkit.aws.customer_entry import is_media_request, make_customer_handler
from pivotkit.local.events import endpoint_url, lambda_event
from pivotkit.local.kazoo_encoding import KazooCall, pivot_http_request
from tests.unit.media.events import http_api_event
from tests.unit.media.kazoo import storage_url

PROJECT_ROOT = Path(__file__).resolve().parents[3]
TOKEN = "acme-customer-entry-token"
DOC = "5f0a1b2c3d4e5f60718293a4b5c6d7e8"
# What only a media request needs: the media composition, the S3 store (and its client) and
# the upload code (a Pivot request builds media URLs with pivotkit.media.paths and .limits).
MEDIA_ONLY = (
    "pivotkit.aws.media_entry",
    "pivotkit.aws.s3_media",
    "pivotkit.media.app",
    "pivotkit.media.metadata",
    "pivotkit.media.multipart",
    "pivotkit.media.store",
)


def environ() -> dict[str, str]:
    return {"PIVOTKIT_CUSTOMER": "acme", "PIVOTKIT_TOKENS": json.dumps({"acme": [TOKEN]})}


@pytest.mark.parametrize(
    ("path", "media"),
    [
        ("/media/acme/t/x.mp3", True),
        ("/media", True),
        ("/media/", True),
        ("/pivot/acme", False),
        ("/mediaacme", False),
        ("/", False),
    ],
)
def test_media_requests_are_told_by_their_path(path: str, media: bool) -> None:
    assert is_media_request({"rawPath": path}) is media
    assert is_media_request({"path": path}) is media  # a REST API v1 event


def test_one_function_answers_pivot_and_media_for_its_customer() -> None:
    handler = make_customer_handler(environ())
    call = KazooCall(account_id="3a1f0e2d4c5b6a7980f1e2d3c4b5a697", call_id="entry@10.0.0.5")
    url = f"{endpoint_url('url', 'acme')}?token={TOKEN}"
    pivot = handler(lambda_event(pivot_http_request(call, url), "url"), None)
    assert pivot["statusCode"] == 200
    assert json.loads(pivot["body"])["module"]

    media_url = storage_url(f"/media/acme/{TOKEN}", DOC, "message.mp3")
    stored = handler(http_api_event("PUT", media_url, b"ID3" + bytes(64), "audio/mpeg"), None)
    assert stored["statusCode"] == 201, stored
    read = handler(http_api_event("GET", media_url), None)
    assert read["statusCode"] == 200

    # Another customer's paths are not this function's to serve, whatever the token.
    other_pivot = f"{endpoint_url('url', 'globex')}?token={TOKEN}"
    refused = handler(lambda_event(pivot_http_request(call, other_pivot), "url"), None)
    assert refused["statusCode"] == 404
    other = storage_url(f"/media/globex/{TOKEN}", DOC, "message.mp3")
    assert handler(http_api_event("PUT", other, b"ID3", "audio/mpeg"), None)["statusCode"] == 404


def loaded_after(probe_lines: str, *, everything: bool = False) -> set[str]:
    """The ``MEDIA_ONLY`` modules (or, with ``everything``, all modules) loaded after
    running ``probe_lines`` in a fresh interpreter."""
    watched = "sys.modules" if everything else f"[w for w in {MEDIA_ONLY!r} if w in sys.modules]"
    probe = f"import json, sys\n{probe_lines}\nprint(json.dumps(sorted({watched})))"
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PIVOTKIT_", "AWS_"))}
    env.update(
        PYTHONPATH=os.pathsep.join([str(PROJECT_ROOT / "handlers"), str(PROJECT_ROOT)]),
        **environ(),
    )
    done = subprocess.run(
        [sys.executable, "-c", probe], env=env, capture_output=True, text=True, check=True
    )
    return set(json.loads(done.stdout.splitlines()[-1]))


def test_the_cold_start_loads_what_the_pivot_only_function_loaded_and_no_more() -> None:
    combined = loaded_after("import functions.customer", everything=True)
    pivot_only = loaded_after("import functions.pivot", everything=True)
    assert combined - pivot_only == {"functions.customer", "pivotkit.aws.customer_entry"}


def test_a_pivot_request_loads_no_media_code() -> None:
    assert loaded_after("import functions.customer") == set()
    pivot_request = (
        "import functions.customer\n"
        "from pivotkit.local.events import endpoint_url, lambda_event\n"
        "from pivotkit.local.kazoo_encoding import KazooCall, pivot_http_request\n"
        "call = KazooCall(account_id='3a1f0e2d4c5b6a7980f1e2d3c4b5a697', call_id='c@h')\n"
        f"url = endpoint_url('url', 'acme') + '?token={TOKEN}'\n"
        "answer = functions.customer.handler(lambda_event(pivot_http_request(call, url),"
        " 'url'), None)\n"
        "assert answer['statusCode'] == 200, answer"
    )
    assert loaded_after(pivot_request) == set()
    # The probe can see media code: a media request loads it.
    media_request = (
        "import functions.customer\n"
        "from tests.unit.media.events import http_api_event\n"
        f"functions.customer.handler(http_api_event('GET', '/media/acme/{TOKEN}/x'), None)"
    )
    assert "pivotkit.aws.media_entry" in loaded_after(media_request)
