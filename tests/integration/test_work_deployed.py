"""Work after the answer as deployed: the customer's function invokes itself asynchronously.

Through ``functions.customer``'s handler with the stack's environment (``PIVOTKIT_SELF_FUNCTION``
set) on moto's DynamoDB and S3, with a stand-in for Lambda's ``Invoke`` that records what the
function sends itself. A step's job is recorded on the call-state table and sent as an
``InvocationType=Event`` invocation of the function's own alias, carrying the job and not the
token; handed back to the handler (as Lambda delivers it), it runs and the next lap hears the
result. A media upload is answered 201 before its hook runs; the hook's event carries the key
and metadata (never the bytes), the hook reads the bytes from S3, and a hook that fails
raises out of the invocation (Lambda's retries, then the failure queue) and the object
stays. A plain Pivot request never builds the Lambda client.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from typing import Any

import pytest
from moto import mock_aws

from pivotkit import Call, Customer, Flow, Job, Node, hangup, hold, tts
from pivotkit.aws import clients
from pivotkit.aws.customer_entry import make_customer_handler
from pivotkit.deferred import DeferredFailed, is_deferred_event
from pivotkit.http import LambdaHandler
from pivotkit.local.events import endpoint_url, lambda_event
from pivotkit.local.kazoo_encoding import KazooCall, pivot_http_request
from pivotkit.media.app import StoredMedia
from tests.contract.moto_s3 import create_bucket
from tests.contract.moto_support import create_state_table
from tests.unit.media.events import http_api_event
from tests.unit.media.kazoo import storage_url

SLUG = "jobs"
TOKEN = "jobs-deployed-token"
TABLE = "pivotkit-dev-state"
BUCKET = "pivotkit-dev-media"
SELF = "pivotkit-dev-jobs:live"
ACCOUNT_ID = "3a1f0e2d4c5b6a7980f1e2d3c4b5a697"
DOC = "5f0a1b2c3d4e5f60718293a4b5c6d7e8"
AUDIO = b"ID3" + bytes(range(256)) * 8


class Hooked:
    """What the media hook saw, and whether it should fail."""

    def __init__(self) -> None:
        self.seen: list[tuple[StoredMedia, bytes]] = []
        self.fail = False

    def __call__(self, stored: StoredMedia) -> None:
        self.seen.append((stored, stored.read()))
        if self.fail:
            raise RuntimeError("the transcription service is down")


def jobs_customer(hooked: Hooked) -> Customer:
    flow = Flow()

    @flow.job()
    def double(job: Job) -> dict[str, Any]:
        return {"twice": 2 * int(job.payload["n"])}

    @flow.step()
    def start(call: Call) -> Node:
        call.state["job"] = call.work.start("double", {"n": 21})
        return hold(call, "poll", prompt=tts("Please hold."))

    @flow.step()
    def poll(call: Call) -> Node:
        status = call.work.poll(call.state["job"])
        if status.pending:
            return hold(call, "poll")
        if status.failed:
            return tts("Sorry.").then(hangup())
        return tts(f"The answer is {status.result['twice']}.").then(hangup())

    return Customer(slug=SLUG, flow=flow, on_media_stored=hooked)


class FakeLambda:
    """Lambda's Invoke as the function sees it: 202 for an Event invocation, recorded."""

    def __init__(self) -> None:
        self.invocations: list[dict[str, Any]] = []

    def invoke(self, **request: Any) -> dict[str, Any]:
        self.invocations.append(request)
        return {"StatusCode": 202}

    def events(self) -> list[dict[str, Any]]:
        return [json.loads(i["Payload"]) for i in self.invocations]


@pytest.fixture
def deployed(aws_env: None, monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    clients.reset_clients()
    with mock_aws():
        create_state_table(clients.dynamodb_client(), TABLE)
        create_bucket(_s3(), BUCKET)
        yield monkeypatch
    clients.reset_clients()


def _s3() -> Any:
    return clients.new_client("s3", clients.client_config())


def environ() -> dict[str, str]:
    return {
        "PIVOTKIT_CUSTOMER": SLUG,
        "PIVOTKIT_STATE_TABLE": TABLE,
        "PIVOTKIT_MEDIA_BUCKET": BUCKET,
        "PIVOTKIT_TOKENS": json.dumps({SLUG: [TOKEN]}),
        "PIVOTKIT_SELF_FUNCTION": SELF,
    }


def pivot(handler: LambdaHandler, call: KazooCall, url: str) -> dict[str, Any]:
    result = handler(lambda_event(pivot_http_request(call, url), "url"), None)
    assert result["statusCode"] == 200, result
    tree: dict[str, Any] = json.loads(result["body"])
    return tree


def next_url(tree: Mapping[str, Any]) -> str:
    node: Any = tree
    while node["module"] != "pivot":
        node = node["children"]["_"]
    return str(node["data"]["voice_url"])


def test_a_job_runs_in_the_functions_own_asynchronous_invocation(deployed: Any) -> None:
    fake = FakeLambda()
    deployed.setattr(clients, "lambda_client", lambda: fake)
    handler = make_customer_handler(environ(), customers={SLUG: jobs_customer(Hooked())})
    call = KazooCall(account_id=ACCOUNT_ID, call_id="deployed-job@10.0.0.5")

    holding = pivot(handler, call, f"{endpoint_url('url', SLUG)}?token={TOKEN}")
    (invocation,) = fake.invocations
    assert (invocation["FunctionName"], invocation["InvocationType"]) == (SELF, "Event")
    (event,) = fake.events()
    assert is_deferred_event(event) and event["kind"] == "job"
    assert TOKEN not in invocation["Payload"].decode()
    job_id = event["job"]["job_id"]
    key = {"pk": {"S": f"{SLUG}#job#{ACCOUNT_ID}#deployed-job@10.0.0.5#{job_id}"}}
    item = clients.dynamodb_client().get_item(TableName=TABLE, Key=key)["Item"]
    assert item["status"]["S"] == "pending"

    # Asked before Lambda ran the invocation: more music.
    again = pivot(handler, call, next_url(holding))
    assert "step=poll" in next_url(again)

    assert handler(event, None) == {"ran": "job"}  # Lambda delivering the invocation
    item = clients.dynamodb_client().get_item(TableName=TABLE, Key=key)["Item"]
    assert (item["status"]["S"], json.loads(item["result"]["S"])) == ("done", {"twice": 42})
    answer = pivot(handler, call, next_url(again))
    assert answer["data"]["text"] == "The answer is 42."
    assert len(fake.invocations) == 1  # polling starts nothing


def test_a_plain_pivot_request_never_builds_the_lambda_client(deployed: Any) -> None:
    flow = Flow()

    @flow.step()
    def start(call: Call) -> Node:
        call.state["asked"] = True  # a state write, as most steps make
        return tts("Nothing to wait for.").then(hangup())

    handler = make_customer_handler(environ(), customers={SLUG: Customer(slug=SLUG, flow=flow)})
    call = KazooCall(account_id=ACCOUNT_ID, call_id="plain@10.0.0.5")
    answer = pivot(handler, call, f"{endpoint_url('url', SLUG)}?token={TOKEN}")
    assert answer["data"]["text"] == "Nothing to wait for."
    assert "lambda" not in clients._clients  # the client cache


def upload(handler: LambdaHandler) -> dict[str, Any]:
    url = storage_url(f"/media/{SLUG}/{TOKEN}", DOC, "message.mp3")
    result: dict[str, Any] = handler(http_api_event("PUT", url, AUDIO, "audio/mpeg"), None)
    return result


def test_the_media_hook_runs_after_the_2xx_and_reads_the_object_from_s3(deployed: Any) -> None:
    fake, hooked = FakeLambda(), Hooked()
    deployed.setattr(clients, "lambda_client", lambda: fake)
    handler = make_customer_handler(environ(), customers={SLUG: jobs_customer(hooked)})

    stored = upload(handler)
    assert stored["statusCode"] == 201
    assert hooked.seen == []  # the upload's answer did not wait for the hook
    (invocation,) = fake.invocations
    assert (invocation["FunctionName"], invocation["InvocationType"]) == (SELF, "Event")
    (event,) = fake.events()
    assert event["kind"] == "media_stored"
    key = json.loads(stored["body"])["stored"]
    assert event["media"]["key"] == key
    assert event["media"]["size"] == len(AUDIO)
    payload = invocation["Payload"]
    assert len(payload) < 2048 and TOKEN not in payload.decode()  # no bytes, no token

    assert handler(event, None) == {"ran": "media_stored"}
    ((media, body),) = hooked.seen
    assert (media.key, media.content_type, body) == (key, "audio/mpeg", AUDIO)


def test_a_failing_hook_raises_for_lambdas_retries_and_loses_nothing(deployed: Any) -> None:
    fake, hooked = FakeLambda(), Hooked()
    hooked.fail = True
    deployed.setattr(clients, "lambda_client", lambda: fake)
    handler = make_customer_handler(environ(), customers={SLUG: jobs_customer(hooked)})
    stored = upload(handler)
    assert stored["statusCode"] == 201
    (event,) = fake.events()
    for _ in range(3):  # the first run and Lambda's two retries, then the failure queue
        with pytest.raises(DeferredFailed):
            handler(event, None)
    assert len(hooked.seen) == 3
    key = json.loads(stored["body"])["stored"]
    assert _s3().get_object(Bucket=BUCKET, Key=key)["Body"].read() == AUDIO


def test_an_http_event_shaped_like_a_deferred_one_is_not_run(deployed: Any) -> None:
    """Only the function's own role can send a raw event; whatever reaches the URL arrives
    wrapped in an HTTP event, which is never taken for a deferred one."""
    fake, hooked = FakeLambda(), Hooked()
    deployed.setattr(clients, "lambda_client", lambda: fake)
    handler = make_customer_handler(environ(), customers={SLUG: jobs_customer(hooked)})
    upload(handler)
    (event,) = fake.events()
    smuggled = http_api_event("POST", f"/pivot/{SLUG}?token={TOKEN}", json.dumps(event).encode())
    assert not is_deferred_event(smuggled)
    assert handler({**event, "rawPath": f"/pivot/{SLUG}"}, None)["statusCode"] >= 400
    assert hooked.seen == []
