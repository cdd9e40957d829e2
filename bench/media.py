"""1 MB uploads (and reads back) through the media handler on S3 (moto, in process)."""

from __future__ import annotations

import json
import os
import time

from bench.harness import Row, median, percentile
from customers import acme
from pivotkit.aws.media_entry import make_media_handler
from pivotkit.local.embedded_aws import in_process_aws
from tests.unit.media.audio import wav_of_size
from tests.unit.media.events import http_api_event
from tests.unit.media.kazoo import storage_url

UPLOADS = 40
SIZE = 1_000_000


def run() -> list[Row]:
    import boto3

    with in_process_aws() as settings:
        s3 = boto3.client("s3", region_name=os.environ["AWS_REGION"])
        env = {**settings, "PIVOTKIT_TOKENS": json.dumps({"acme": ["T"]})}
        handler = make_media_handler(env, customers={"acme": acme.customer}, s3_client=s3)
        body = wav_of_size(SIZE)
        root = "/media/acme/T"
        puts = [
            http_api_event("PUT", storage_url(root, f"doc{i:04d}", "vm.wav"), body, "audio/wav")
            for i in range(UPLOADS)
        ]
        gets = [
            http_api_event("GET", storage_url(root, f"doc{i:04d}", "vm.wav"))
            for i in range(UPLOADS)
        ]
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
    return [
        Row(
            "media",
            "1 MB uploads through the media handler (S3 on moto)",
            f"{UPLOADS / elapsed:.0f} uploads/s",
            f"{UPLOADS * SIZE / elapsed / 1e6:.0f} MB/s; p50 {median(put_ms):.0f} ms, "
            f"p99 {percentile(put_ms, 0.99):.0f} ms",
        ),
        Row(
            "media",
            "1 MB reads back (storage-plan GET)",
            f"p50 {median(get_ms):.0f} ms",
            f"p99 {percentile(get_ms, 0.99):.0f} ms",
        ),
    ]
