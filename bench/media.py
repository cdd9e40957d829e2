"""1 MB uploads (and reads back) through the media handler on S3 (moto, in process), in
rounds of ten; each figure is the median round with the fastest and slowest beside it."""

from __future__ import annotations

import json
import os
import time
from collections.abc import Callable
from typing import Any

from bench.harness import Row, median, spread_row
from examples import acme
from pivotkit.aws.media_entry import make_media_handler
from pivotkit.local.embedded_aws import in_process_aws
from tests.unit.media.audio import wav_of_size
from tests.unit.media.events import http_api_event
from tests.unit.media.kazoo import storage_url

UPLOADS = 10
ROUNDS = 3  # per pass (`python -m bench` makes two)
SIZE = 1_000_000


def run() -> list[Row]:
    import boto3

    with in_process_aws() as settings:
        s3 = boto3.client("s3", region_name=os.environ["AWS_REGION"])
        env = {**settings, "PIVOTKIT_TOKENS": json.dumps({"acme": ["T"]})}
        handler = make_media_handler(env, customers={"acme": acme.customer}, s3_client=s3)
        body = wav_of_size(SIZE)
        rounds = [_round(handler, body, f"r{n}") for n in range(ROUNDS)]
    note = f"{UPLOADS} uploads and {UPLOADS} reads per round"
    return [
        spread_row(
            "media",
            "1 MB uploads through the media handler (S3 on moto)",
            [r["uploads_per_s"] for r in rounds],
            "uploads/s",
            digits=0,
            note=note,
        ),
        spread_row("media", "1 MB upload, p50", [r["put_p50"] for r in rounds], "ms", note=note),
        spread_row(
            "media",
            "1 MB read back (storage-plan GET), p50",
            [r["get_p50"] for r in rounds],
            "ms",
            note=note,
        ),
    ]


def _round(handler: Callable[..., dict[str, Any]], body: bytes, tag: str) -> dict[str, float]:
    root = "/media/acme/T"
    names = [f"doc-{tag}-{i:04d}" for i in range(UPLOADS)]
    puts = [http_api_event("PUT", storage_url(root, n, "vm.wav"), body, "audio/wav") for n in names]
    gets = [http_api_event("GET", storage_url(root, n, "vm.wav")) for n in names]
    put_ms, get_ms = [], []
    started = time.perf_counter()
    for event in puts:
        t = time.perf_counter()
        assert handler(event, None)["statusCode"] == 201
        put_ms.append((time.perf_counter() - t) * 1e3)
    elapsed = time.perf_counter() - started
    for event in gets:
        t = time.perf_counter()
        assert handler(event, None)["statusCode"] == 200
        get_ms.append((time.perf_counter() - t) * 1e3)
    return {
        "uploads_per_s": UPLOADS / elapsed,
        "put_p50": median(put_ms),
        "get_p50": median(get_ms),
    }
