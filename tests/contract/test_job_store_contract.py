"""The job store's contract (``pivotkit.work.JobStore``), run on the in-memory store and on
DynamoDB (moto): one create per job, finish only while pending, expiry, racing creates,
and records kept under the customer's key prefix and out of the stats scan."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from typing import Any

import pytest
from moto import mock_aws

from pivotkit.aws.dynamodb_jobs import DynamoDBJobStore
from pivotkit.aws.dynamodb_state import DynamoDBStateStore
from pivotkit.state import CallKey, CallRecord
from pivotkit.work import InMemoryJobStore, Job, JobRecord, JobStore, job_key
from tests.contract.moto_support import (
    SerialisedRequests,
    create_state_table,
    new_dynamodb_client,
)

NOW = 1_750_000_000.0
ACCOUNT = "3a1f0e2d4c5b6a7980f1e2d3c4b5a697"
KEY = CallKey("acme", ACCOUNT, "call-1@10.0.0.5")


def job(job_id: str = "0123456789abcdef", payload: dict[str, Any] | None = None) -> Job:
    return Job(
        customer=KEY.customer,
        account_id=KEY.account_id,
        call_id=KEY.call_id,
        job_id=job_id,
        name="book",
        payload=payload if payload is not None else {"slot": "9am", "notes": ["é", 1.5]},
        started_at=NOW,
        deadline_at=NOW + 15,
    )


def pending(j: Job, ttl: int = 3600) -> JobRecord:
    return JobRecord(j, "pending", expires_at=int(NOW) + ttl)


class Backend:
    def __init__(self, store: JobStore, state: DynamoDBStateStore | None = None) -> None:
        self.store = store
        self.state = state


@pytest.fixture(params=["memory", "dynamodb"])
def backend(request: pytest.FixtureRequest) -> Iterator[Backend]:
    if request.param == "memory":
        yield Backend(InMemoryJobStore())
        return
    request.getfixturevalue("aws_env")
    with mock_aws():
        client = new_dynamodb_client()
        SerialisedRequests(client)  # moto checks a condition and writes without a lock
        table = create_state_table(client)
        yield Backend(DynamoDBJobStore(client, table), DynamoDBStateStore(client, table))


def test_a_job_is_created_once(backend: Backend) -> None:
    store = backend.store
    assert store.create(pending(job())) is True
    assert store.create(pending(job())) is False
    record = store.load(KEY, job().job_id, now=NOW)
    assert record is not None
    assert (record.status, record.job, record.result, record.reason) == (
        "pending",
        job(),
        None,
        None,
    )


def test_finish_stores_the_result_once(backend: Backend) -> None:
    store = backend.store
    store.create(pending(job()))
    result = {"ref": "B-17", "time": "09:00", "nested": {"ok": True}}
    assert store.finish(job(), "done", result=result, reason=None, now=NOW + 3) is True
    # A redelivered run cannot overwrite how the job ended.
    assert store.finish(job(), "failed", result=None, reason="job_failed", now=NOW + 4) is False
    record = store.load(KEY, job().job_id, now=NOW + 5)
    assert record is not None
    assert (record.status, record.result, record.finished_at) == ("done", result, NOW + 3)


def test_a_failure_keeps_its_reason(backend: Backend) -> None:
    store = backend.store
    store.create(pending(job()))
    assert store.finish(job(), "failed", result=None, reason="timed_out", now=NOW + 20)
    record = store.load(KEY, job().job_id, now=NOW + 21)
    assert record is not None
    assert (record.status, record.reason, record.result) == ("failed", "timed_out", None)


def test_finish_of_an_unknown_job_changes_nothing(backend: Backend) -> None:
    assert backend.store.finish(job(), "done", result={}, reason=None, now=NOW) is False
    assert backend.store.load(KEY, job().job_id, now=NOW) is None


def test_an_expired_record_reads_as_absent(backend: Backend) -> None:
    backend.store.create(pending(job(), ttl=60))
    assert backend.store.load(KEY, job().job_id, now=NOW + 59) is not None
    assert backend.store.load(KEY, job().job_id, now=NOW + 60) is None


def test_another_call_does_not_see_the_job(backend: Backend) -> None:
    backend.store.create(pending(job()))
    other = CallKey("acme", ACCOUNT, "call-2@10.0.0.5")
    assert backend.store.load(other, job().job_id, now=NOW) is None
    assert (
        backend.store.load(CallKey("globex", ACCOUNT, KEY.call_id), job().job_id, now=NOW) is None
    )


def test_racing_creates_start_one_job(backend: Backend) -> None:
    threads = 12
    barrier = threading.Barrier(threads)
    created: list[bool] = []

    def create() -> None:
        barrier.wait()
        created.append(backend.store.create(pending(job())))

    workers = [threading.Thread(target=create) for _ in range(threads)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(30)
    assert sorted(created) == [False] * (threads - 1) + [True]


def test_records_live_under_the_customers_prefix_and_out_of_the_stats_scan(
    backend: Backend,
) -> None:
    key = job_key(KEY, job().job_id)
    assert key == f"acme#job#{ACCOUNT}#{KEY.call_id}#{job().job_id}"
    assert key.startswith("acme#")
    if backend.state is None:
        return  # the in-memory store has no scan; the key shape above is the contract
    backend.store.create(pending(job()))
    backend.state.save(
        CallRecord(
            key=KEY,
            state={},
            seq=1,
            version=1,
            created_at=NOW,
            updated_at=NOW,
            expires_at=int(NOW) + 60,
        ),
        expected_version=None,
    )
    scanned = list(backend.state.scan_customer("acme"))
    assert [record.key for record in scanned] == [KEY]
