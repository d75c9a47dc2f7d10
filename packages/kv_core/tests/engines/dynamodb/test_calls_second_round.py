"""DynamoDB calls of the second round's operations, pinned (DESIGN's budgets: increment
at most 2, bulk get of 100 keys at most 1.1, bulk put of 1000 items at most 45, a
sweep reads only expired items)."""

from __future__ import annotations

from collections import Counter
from unittest import mock

import pytest

from kv_core.model import Namespace, User
from kv_core.sizing import item_size
from kv_core.store import (
    DeleteItems,
    IncrementItem,
    PutEntry,
    PutItem,
    PutItems,
    unix_second,
)

NOW = "2026-11-25T10:00:00.000Z"
T = unix_second(NOW)


@pytest.fixture
def counted(dynamo_calls):
    """A store with user u1 and namespace n1, and the calls made from here on."""
    store, calls = dynamo_calls
    store.create_user(User("u1", "ann@example.com", "h", "free", NOW, NOW))
    store.create_namespace(Namespace("n1", "u1", "app", NOW))
    store.get_item("n1", "warm")  # the table's description, once per process
    calls.clear()
    return store, calls


def made(calls):
    counted = Counter(calls)
    calls.clear()
    return counted


def put(store, key, value, **options):
    return store.put_item(
        PutItem("u1", "n1", key, value, item_size(key, value), f"e-{key}", NOW, **options)
    )


def increment(store, key, by, **options):
    return store.increment_item(IncrementItem("u1", "n1", key, by, f"i-{key}", NOW, **options))


def entries(count, *, prefix="k", value="v"):
    return tuple(
        PutEntry(f"{prefix}{i}", value, item_size(f"{prefix}{i}", value), f"b{i}")
        for i in range(count)
    )


def test_an_increment_is_at_most_two_writes(counted):
    """The ADD, then the counters; an increment that leaves the number as many digits
    long moves no counter and is one write."""
    store, calls = counted
    increment(store, "n", 1)  # created: 2
    for _ in range(99):  # 2 when the digits grow (to 10, to 100), else 1
        increment(store, "n", 1)
    assert made(calls) == {"UpdateItem": 2 + 97 + 2 * 2}
    assert store.get_item("n1", "n").value == 100


def test_an_increment_of_a_number_put_is_at_most_two_writes(counted):
    store, calls = counted
    put(store, "n", 41.5)
    calls.clear()
    assert increment(store, "n", 0.5).item.value == 42.0  # as long: one write
    assert made(calls) == {"UpdateItem": 1}
    assert increment(store, "n", 100).item.value == 142.0  # longer: two
    assert made(calls) == {"UpdateItem": 2}
    assert store.get_usage("u1", "2026-11").storage_bytes == item_size("n", 142.0)


def test_a_bulk_get_of_100_keys_is_one_read(counted):
    store, calls = counted
    store.put_items(PutItems("u1", "n1", entries(100), NOW))
    calls.clear()
    for _ in range(10):
        found = store.get_items("n1", [f"k{i}" for i in range(100)], at=T)
        assert len(found) == 100
    assert made(calls) == {"BatchGetItem": 10}


def test_a_bulk_put_of_1000_items_stays_within_45_calls(counted):
    store, calls = counted
    store.put_items(PutItems("u1", "n1", entries(500), NOW))
    calls.clear()
    written = store.put_items(
        PutItems("u1", "n1", entries(1000, value="longer"), NOW, storage_limit=10**9)
    )
    assert written.count == 1000
    counts = made(calls)
    assert sum(counts.values()) <= 45
    # reads of what is replaced, the quota's read of the profile, the transactions
    assert counts == {"BatchGetItem": 10, "GetItem": 1, "TransactWriteItems": 11}
    usage = store.get_usage("u1", "2026-11").storage_bytes
    assert usage == sum(item_size(f"k{i}", "longer") for i in range(1000))


def test_a_bulk_delete_of_1000_items_stays_within_45_calls(counted):
    store, calls = counted
    store.put_items(PutItems("u1", "n1", entries(1000), NOW))
    calls.clear()
    deleted = store.delete_items(DeleteItems("u1", "n1", tuple(f"k{i}" for i in range(1000)), NOW))
    assert deleted.count == 1000
    assert made(calls) == {"BatchGetItem": 10, "TransactWriteItems": 11}
    assert store.get_namespace("u1", "app").item_count == 0


def test_a_sweep_reads_only_expired_items(counted):
    """Only the expired items come back from any read the sweep makes, however many
    live, later-expiring and permanent items the table holds."""
    from botocore.client import BaseClient

    store, calls = counted
    store.put_items(PutItems("u1", "n1", entries(200, prefix="live"), NOW))
    for i in range(50):
        put(store, f"later{i}", i, expires_at=T + 1000)
    for i in range(30):
        put(store, f"gone{i}", i, expires_at=T + 1 + i % 3)
    calls.clear()
    read: list[dict] = []
    atomic = BaseClient._make_api_call

    def recording(client, operation, params):
        answer = atomic(client, operation, params)
        if operation in ("Query", "Scan", "GetItem", "BatchGetItem"):
            read.append({"operation": operation, "params": params, "answer": answer})
        return answer

    with mock.patch.object(BaseClient, "_make_api_call", recording):
        assert store.sweep_expired(T + 3) == 30
    counts = made(calls)
    assert set(counts) == {"Query", "TransactWriteItems"}
    assert counts["TransactWriteItems"] == 30
    returned = [item for r in read for item in r["answer"].get("Items", [])]
    assert all(r["params"].get("IndexName") == "GSI2" for r in read)
    assert sorted(item["SK"]["S"] for item in returned) == sorted(f"KEY#gone{i}" for i in range(30))
    assert store.get_usage("u1", "2026-11").storage_bytes == sum(
        item_size(k, "v") for k in (f"live{i}" for i in range(200))
    ) + sum(item_size(f"later{i}", i) for i in range(50))


def test_a_sweep_with_nothing_expired_reads_nothing(counted):
    store, calls = counted
    for i in range(20):
        put(store, f"later{i}", i, expires_at=T + 1000)
    calls.clear()
    assert store.sweep_expired(T) == 0
    counts = made(calls)
    assert set(counts) == {"Query"}  # one per shard of the expiry index, each empty
