"""The shared store's contract (``pivotkit.shared``), run on the in-memory twin and on
DynamoDB (moto): counters, versioned values, lines with expiry, and races between threads."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from moto import mock_aws

from pivotkit.aws.dynamodb_shared import DynamoDBSharedStore
from pivotkit.aws.dynamodb_state import DynamoDBStateStore
from pivotkit.errors import SharedConflict, SharedStoreError
from pivotkit.shared import InMemorySharedStore, Shared, SharedStore, shared_partition_key
from pivotkit.state import CallKey, CallRecord
from tests.contract.moto_support import (
    SerialisedRequests,
    create_state_table,
    new_dynamodb_client,
)

NOW = 1_750_000_000.0
THREADS = 20


class Clock:
    def __init__(self) -> None:
        self.now = NOW

    def __call__(self) -> float:
        return self.now


@pytest.fixture(params=["memory", "dynamodb"])
def backend(request: pytest.FixtureRequest) -> Iterator[SharedStore]:
    if request.param == "memory":
        yield InMemorySharedStore()
        return
    request.getfixturevalue("aws_env")
    with mock_aws():
        client = new_dynamodb_client()
        SerialisedRequests(client)  # moto checks a condition and writes without a lock
        yield DynamoDBSharedStore(client, create_state_table(client))


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def shared(backend: SharedStore, clock: Clock) -> Shared:
    return Shared(backend, "acme", clock=clock)


def race(work: Callable[[int], Any]) -> list[Any]:
    """Run ``work(i)`` on THREADS threads released at once; their results, by i."""
    results: list[Any] = [None] * THREADS
    errors: list[BaseException] = []
    start = threading.Barrier(THREADS)

    def run(i: int) -> None:
        start.wait()
        try:
            results[i] = work(i)
        except BaseException as error:  # reported below, not lost in a thread
            errors.append(error)

    threads = [threading.Thread(target=run, args=(i,)) for i in range(THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert errors == []
    return results


# -- counters -----------------------------------------------------------------------------


def test_a_counter_starts_at_zero_and_adds(shared: Shared) -> None:
    assert shared.incr("tickets") == 1
    assert shared.incr("tickets", by=5) == 6
    assert shared.incr("tickets", by=-2) == 4
    assert shared.incr("tickets", by=0) == 4  # reads it
    assert shared.incr("other") == 1


def test_a_counter_untouched_past_its_ttl_starts_again(shared: Shared, clock: Clock) -> None:
    shared.incr("tickets", by=7)
    clock.now += shared.ttl_seconds + 1
    assert shared.incr("tickets") == 1
    assert shared.incr("tickets") == 2


def test_no_increment_is_lost_when_threads_race(shared: Shared) -> None:
    values = race(lambda _: shared.incr("tickets"))
    assert sorted(values) == list(range(1, THREADS + 1))
    assert shared.incr("tickets", by=0) == THREADS


# -- values -------------------------------------------------------------------------------


def test_a_value_is_absent_until_created(shared: Shared) -> None:
    absent = shared.get("opening")
    assert (absent.value, absent.version) == (None, 0)
    assert shared.put_if("opening", {"open": True, "agents": [1, 2]}, version=0) == 1
    stored = shared.get("opening")
    assert (stored.value, stored.version) == ({"open": True, "agents": [1, 2]}, 1)


def test_a_write_naming_an_old_version_is_refused(shared: Shared) -> None:
    shared.put_if("opening", "a", version=0)
    assert shared.put_if("opening", "b", version=1) == 2
    with pytest.raises(SharedConflict):
        shared.put_if("opening", "c", version=1)
    with pytest.raises(SharedConflict):
        shared.put_if("opening", "c", version=0)  # exists: no second create
    assert shared.get("opening").value == "b"
    assert isinstance(SharedConflict("x"), SharedStoreError)  # one exception to catch
    assert SharedConflict.status == SharedStoreError.status == 503


def test_an_expired_value_reads_as_absent_and_can_be_created_again(
    shared: Shared, clock: Clock
) -> None:
    shared.put_if("opening", "old", version=0)
    clock.now += shared.ttl_seconds + 1
    assert shared.get("opening").version == 0
    assert shared.put_if("opening", "new", version=0) == 1
    assert shared.get("opening").value == "new"


def test_one_of_racing_conditional_writes_wins(shared: Shared) -> None:
    shared.put_if("slot", "free", version=0)

    def claim(i: int) -> bool:
        try:
            shared.put_if("slot", f"caller-{i}", version=1)
        except SharedConflict:
            return False
        return True

    wins = race(claim)
    assert wins.count(True) == 1
    assert shared.get("slot").value == f"caller-{wins.index(True)}"


def test_names_are_checked(shared: Shared) -> None:
    for bad in ("", "a#b", "a b", "x" * 201):
        with pytest.raises(ValueError, match="name"):
            shared.incr(bad)
    with pytest.raises(ValueError, match="member"):
        shared.join("line", "", expires_in=10)


def test_counters_values_and_lines_of_one_name_are_apart(shared: Shared) -> None:
    shared.incr("same", by=3)
    shared.put_if("same", "text", version=0)
    shared.join("same", "caller", expires_in=60)
    assert shared.incr("same", by=0) == 3
    assert shared.get("same").value == "text"
    assert shared.members("same") == ["caller"]


def test_customers_do_not_share_items(backend: SharedStore, clock: Clock) -> None:
    acme, initech = Shared(backend, "acme", clock=clock), Shared(backend, "initech", clock=clock)
    acme.incr("tickets", by=5)
    acme.join("line", "a", expires_in=60)
    assert initech.incr("tickets") == 1
    assert initech.members("line") == []


# -- lines --------------------------------------------------------------------------------


def test_a_line_keeps_the_order_of_joining(shared: Shared, clock: Clock) -> None:
    assert shared.join("line", "a", expires_in=60) == 1
    clock.now += 1
    assert shared.join("line", "b", expires_in=60) == 2
    assert shared.join("line", "c", expires_in=60) == 3
    assert shared.join("line", "a", expires_in=60) == 1  # joining again keeps the place
    assert shared.members("line") == ["a", "b", "c"]
    assert shared.position_of("line", "c") == 3
    assert shared.position_of("line", "nobody") is None


def test_leaving_frees_the_place(shared: Shared) -> None:
    for member in ("a", "b", "c"):
        shared.join("line", member, expires_in=60)
    assert shared.leave("line", "a") is True
    assert shared.leave("line", "a") is False
    assert shared.position_of("line", "b") == 1
    assert shared.join("line", "a", expires_in=60) == 3  # back at the end
    assert shared.members("line") == ["b", "c", "a"]


def test_an_expired_member_is_invisible_then_pruned(
    backend: SharedStore, shared: Shared, clock: Clock
) -> None:
    shared.join("line", "a", expires_in=30)
    shared.join("line", "b", expires_in=100)
    clock.now += 31
    assert shared.members("line") == ["b"]
    assert shared.position_of("line", "b") == 1
    assert shared.position_of("line", "a") is None
    assert shared.join("line", "c", expires_in=100) == 2
    stored = backend.read(shared_partition_key("acme", "line", "line"), now=clock.now).value
    assert [entry[0] for entry in stored] == ["b", "c"]  # a is gone from the item


def test_joining_renews_the_expiry(shared: Shared, clock: Clock) -> None:
    shared.join("line", "a", expires_in=30)
    shared.join("line", "b", expires_in=30)
    clock.now += 20
    shared.join("line", "a", expires_in=30)
    clock.now += 20  # b's expiry has passed, a's renewed one has not
    assert shared.members("line") == ["a"]


def test_a_line_whose_members_all_expired_is_absent(shared: Shared, clock: Clock) -> None:
    shared.join("line", "a", expires_in=30)
    clock.now += 31
    assert shared.members("line") == []
    assert shared.join("line", "b", expires_in=30) == 1


def test_twenty_callers_joining_at_once_get_one_consistent_line(shared: Shared) -> None:
    positions = race(lambda i: shared.join("line", f"caller-{i}", expires_in=60))
    members = shared.members("line")
    assert sorted(members) == sorted(f"caller-{i}" for i in range(THREADS))  # none lost
    assert sorted(positions) == list(range(1, THREADS + 1))  # no two share a place
    # Each was told the place it holds in the line as stored.
    assert all(members[positions[i] - 1] == f"caller-{i}" for i in range(THREADS))


def test_racing_joins_and_leaves_leave_exactly_the_stayers(shared: Shared) -> None:
    for i in range(THREADS):
        shared.join("line", f"caller-{i}", expires_in=60)

    def churn(i: int) -> int | None:
        if i % 2:
            shared.leave("line", f"caller-{i}")
            return None
        return shared.join("line", f"caller-{i}", expires_in=60)

    race(churn)
    assert shared.members("line") == [f"caller-{i}" for i in range(0, THREADS, 2)]


def test_a_too_large_value_is_refused_before_any_write(backend: SharedStore, clock: Clock) -> None:
    shared = Shared(backend, "acme", clock=clock)
    with pytest.raises(SharedStoreError, match="size"):
        shared.put_if("big", "x" * 410_000, version=0)
    assert shared.get("big").version == 0


# -- DynamoDB only: the items beside call records ----------------------------------------


@pytest.fixture
def moto_table(aws_env: None) -> Iterator[tuple[Any, str]]:
    with mock_aws():
        client = new_dynamodb_client()
        yield client, create_state_table(client)


def test_shared_items_sit_under_the_customer_prefix_marked_and_with_a_ttl(
    moto_table: tuple[Any, str],
) -> None:
    client, table = moto_table
    shared = Shared(DynamoDBSharedStore(client, table), "acme", clock=lambda: NOW)
    shared.incr("tickets")
    shared.put_if("opening", True, version=0)
    shared.join("waiting", "call-1", expires_in=150)
    items = {i["pk"]["S"]: i for i in client.scan(TableName=table)["Items"]}
    assert set(items) == {
        "acme#shared#counter#tickets",
        "acme#shared#value#opening",
        "acme#shared#line#waiting",
    }
    assert {i["shared"]["S"] for i in items.values()} == {"counter", "value", "line"}
    assert int(items["acme#shared#counter#tickets"]["expires_at"]["N"]) == NOW + shared.ttl_seconds
    assert int(items["acme#shared#line#waiting"]["expires_at"]["N"]) == NOW + 150


def test_the_stats_scan_skips_shared_items(moto_table: tuple[Any, str]) -> None:
    client, table = moto_table
    state = DynamoDBStateStore(client, table)
    key = CallKey("acme", "3a1f0e2d4c5b6a7980f1e2d3c4b5a697", "call-1")
    record = CallRecord(key, {}, 1, 1, NOW, NOW, int(NOW) + 3600)
    state.save(record, expected_version=None)
    shared = Shared(DynamoDBSharedStore(client, table), "acme", clock=lambda: NOW)
    shared.incr("tickets")
    shared.join("waiting", "call-1", expires_in=150)
    assert [r.key for r in state.scan_customer("acme")] == [key]


def test_an_unreachable_table_is_a_shared_store_error(moto_table: tuple[Any, str]) -> None:
    client, _ = moto_table
    shared = Shared(DynamoDBSharedStore(client, "no-such-table"), "acme", clock=lambda: NOW)
    for operation in (
        lambda: shared.incr("tickets"),
        lambda: shared.get("opening"),
        lambda: shared.join("waiting", "call-1", expires_in=10),
    ):
        with pytest.raises(SharedStoreError) as raised:
            operation()
        assert raised.value.code == "shared_store_unavailable"
