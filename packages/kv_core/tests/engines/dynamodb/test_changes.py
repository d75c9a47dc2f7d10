"""The change feed's reads, waits and pruning on DynamoDB, and what they cost: a held
answer reads the counter at most once a second of waiting."""

from __future__ import annotations

from collections import Counter

import pytest

from kv_core.engines.dynamodb.changes import PREFIX_SCAN_PAGES, max_wait_reads
from kv_core.model import Namespace, User
from kv_core.sizing import item_size
from kv_core.store import PutItem, ReadChanges

pytestmark = pytest.mark.feed

NOW = "2026-11-25T10:00:00.000Z"


@pytest.fixture
def counted(dynamo_calls):
    store, calls = dynamo_calls
    store.create_user(User("u1", "ann@example.com", "h", "free", NOW, NOW))
    store.create_namespace(Namespace("n1", "u1", "app", NOW))
    store.create_namespace(Namespace("n2", "u1", "other", NOW))
    return store, calls


def put(store, key, value="v", namespace_id="n1"):
    store.put_item(PutItem("u1", namespace_id, key, value, item_size(key, value), f"e-{key}", NOW))


class FakeClock:
    """A monotonic clock that moves only when the wait sleeps."""

    def __init__(self) -> None:
        self.now = 100.0
        self.slept: list[float] = []

    def monotonic(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += seconds


@pytest.fixture
def clock(counted, monkeypatch):
    store, _ = counted
    fake = FakeClock()
    monkeypatch.setattr(store, "_monotonic", fake.monotonic)
    monkeypatch.setattr(store, "_sleep", fake.sleep)
    return fake


def test_a_read_after_a_seq_gets_what_followed_in_order(counted):
    store, _ = counted
    for key in ("a", "b", "c", "d"):
        put(store, key)
    store.pump_changes()

    page = store.read_changes(ReadChanges("n1", 1, 2))
    assert [(c.seq, c.key) for c in page.changes] == [(2, "b"), (3, "c")]
    assert page.last == 3
    end = store.read_changes(ReadChanges("n1", 4, 10))
    assert (end.changes, end.last) == ([], 4)


def test_a_prefix_filters_but_the_read_moves_past_what_it_skipped(counted):
    store, _ = counted
    for key in ("user:1", "order:1", "order:2", "user:2", "order:3"):
        put(store, key)
    store.pump_changes()

    page = store.read_changes(ReadChanges("n1", 0, 2, "user:"))
    assert ([c.key for c in page.changes], page.last) == (["user:1", "user:2"], 4)
    rest = store.read_changes(ReadChanges("n1", page.last, 2, "user:"))
    assert (rest.changes, rest.last) == ([], 5)  # read to the end of the log
    first = store.read_changes(ReadChanges("n1", 0, 1, "user:"))
    assert ([c.key for c in first.changes], first.last) == (["user:1"], 1)


def test_a_sparse_prefix_looks_at_a_bounded_part_of_the_log(counted):
    store, _ = counted
    for n in range(PREFIX_SCAN_PAGES * 2 + 1):
        put(store, f"order:{n}")
    put(store, "user:1")
    store.pump_changes()
    page = store.read_changes(ReadChanges("n1", 0, 2, "user:"))
    assert (page.changes, page.last) == ([], 2 * PREFIX_SCAN_PAGES)
    rest = store.read_changes(ReadChanges("n1", page.last, 2, "user:"))
    assert [c.key for c in rest.changes] == ["user:1"]


def test_an_empty_feed_reads_nothing(counted):
    store, _ = counted
    page = store.read_changes(ReadChanges("n9", 0, 10))
    assert (page.changes, page.last, store.last_change("n9")) == ([], 0, 0)


def test_a_read_is_one_query_and_the_last_change_one_get(counted):
    store, calls = counted
    put(store, "a")
    store.pump_changes()
    calls.clear()
    store.read_changes(ReadChanges("n1", 0, 100))
    store.last_change("n1")
    assert Counter(calls) == {"Query": 1, "GetItem": 1}


def test_a_wait_sees_a_change_already_logged(counted, clock):
    store, _ = counted
    put(store, "a")
    store.pump_changes()
    assert store.wait_for_change("n1", 0, 25)
    assert clock.slept == [1.0]


@pytest.mark.parametrize("timeout", [0.5, 1, 3, 25])
def test_a_held_answer_reads_at_most_once_a_second_of_waiting(counted, clock, timeout):
    store, calls = counted
    calls.clear()
    assert not store.wait_for_change("n1", 0, timeout)

    assert Counter(calls) == {"GetItem": max_wait_reads(timeout)}
    assert max_wait_reads(timeout) <= max(1, timeout)
    assert sum(clock.slept) == timeout
    assert all(step <= 1.0 for step in clock.slept)


def test_a_wait_ends_at_the_first_read_after_a_change(counted, clock, monkeypatch):
    store, calls = counted
    sleep = clock.sleep

    def sleep_then_write(seconds: float) -> None:
        sleep(seconds)
        if clock.now >= 103:  # a write, processed, during the fourth second
            put(store, "late")
            store.pump_changes()

    monkeypatch.setattr(store, "_sleep", sleep_then_write)
    calls.clear()
    assert store.wait_for_change("n1", 0, 25)
    assert clock.now == 103
    assert calls.count("GetItem") >= 3


def test_prune_removes_what_was_logged_before_and_keeps_the_rest(counted):
    store, _ = counted
    for key in ("a", "b"):
        put(store, key)
    put(store, "c", namespace_id="n2")
    store.pump_changes()
    first = store.read_changes(ReadChanges("n1", 0, 10)).changes[0]
    assert store.prune_changes(first.at) == 0  # logged at, not before
    assert store.last_change("n1") == 2

    assert store.prune_changes("9999-01-01T00:00:00.000Z", limit=2) == 2
    assert store.prune_changes("9999-01-01T00:00:00.000Z") == 1
    assert store.prune_changes("9999-01-01T00:00:00.000Z") == 0
    assert store.read_changes(ReadChanges("n1", 0, 10)).changes == []


def test_prune_removes_the_record_markers_with_their_changes(counted):
    store, _ = counted
    put(store, "a")
    store.pump_changes()
    store.prune_changes("9999-01-01T00:00:00.000Z")

    left = [entry.pk for entry in store.Entry.scan()]
    assert not [pk for pk in left if pk.startswith(("FEED#", "STREAMREC#"))]
    assert store.last_change("n1") == 1  # the counter stays: seqs only grow


def test_pruned_changes_leave_the_sweep_s_index_alone(counted):
    store, _ = counted
    put(store, "a")
    store.pump_changes()
    assert store.sweep_expired(2_000_000_000) == 0
    assert store.read_changes(ReadChanges("n1", 0, 10)).changes
