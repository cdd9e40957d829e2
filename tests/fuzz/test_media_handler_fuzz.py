"""The media function (``make_media_handler`` on moto S3) against arbitrary uploads, reads
and event shapes: it always answers, a client's garbage is never a 5xx, and nothing is
stored unless the answer says it was (a 201)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
from hypothesis import given
from moto import mock_aws

from examples import acme
from pivotkit.aws.media_entry import make_media_handler
from tests.contract.moto_support import REGION
from tests.fuzz.profile import FUZZ, count_case
from tests.fuzz.strategies import FUZZ_CUSTOMER, TOKENS, http_events, media_requests, odd_events

BUCKET = "pivotkit-fuzz-media"


class MediaSubject:
    def __init__(self, s3: Any) -> None:
        self.s3 = s3
        self.handler = make_media_handler(
            {"PIVOTKIT_TOKENS": json.dumps(TOKENS), "PIVOTKIT_MEDIA_BUCKET": BUCKET},
            customers={"fuzz": FUZZ_CUSTOMER, "acme": acme.customer},
            s3_client=s3,
        )

    def stored(self) -> int:
        return int(self.s3.list_objects_v2(Bucket=BUCKET).get("KeyCount", 0))

    def answer(self, event: Any) -> dict[str, Any]:
        before = self.stored()
        result: dict[str, Any] = self.handler(event, None)
        status = result["statusCode"]
        assert isinstance(status, int) and 200 <= status < 500, result
        if status != 201:
            assert self.stored() == before, result
        if status >= 400:
            assert set(json.loads(result["body"])) == {"error", "message"}
        return result


@pytest.fixture(scope="module")
def subject() -> Iterator[MediaSubject]:
    with pytest.MonkeyPatch.context() as env, mock_aws():
        for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"):
            env.setenv(name, "testing")
        env.setenv("AWS_DEFAULT_REGION", REGION)  # eu-west-1, the bucket's region below
        import boto3

        s3 = boto3.session.Session().client("s3", region_name=REGION)
        s3.create_bucket(
            Bucket=BUCKET, CreateBucketConfiguration={"LocationConstraint": "eu-west-1"}
        )
        yield MediaSubject(s3)


@FUZZ
@given(event=http_events(media_requests()))
def test_media_events_store_only_what_they_acknowledge(
    subject: MediaSubject, event: dict[str, Any]
) -> None:
    count_case("media: HTTP events")
    subject.answer(event)


@FUZZ
@given(event=odd_events)
def test_media_events_no_gateway_sends_are_refused(subject: MediaSubject, event: Any) -> None:
    count_case("media: odd events")
    assert subject.answer(event)["statusCode"] >= 400
