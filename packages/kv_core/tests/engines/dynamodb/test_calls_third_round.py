"""DynamoDB calls of the third round's operations, pinned (DESIGN's budget: an atomic
operation on 10 keys at most 3 calls without contention; counts and deletions under a
prefix read only the prefix's items)."""

from __future__ import annotations

from collections import Counter
from unittest import mock

import pytest

from kv_core.errors import CheckFailed
from kv_core.model import Namespace, User
from kv_core.sizing import item_size
from kv_core.store import (
    AtomicCheck,
    AtomicDelete,
    AtomicIncrement,
    AtomicPut,
    AtomicWrite,
    DeletePrefix,
    PutEntry,
    PutItem,
    PutItems,
    unix_second,
)

NOW = "2026-11-25T10:00:00.000Z"
T = unix_second(NOW)


@pytest.fixture
def counted(dynamo_calls):
    """A store with user u1, namespace n1 and ten items k0..k9 (version 1), and the
    calls made from here on."""
    store, calls = dynamo_calls
    store.create_user(User("u1", "ann@example.com", "h", "free", NOW, NOW))
    store.create_namespace(Namespace("n1", "u1", "app", NOW))
    store.put_items(PutItems("u1", "n1", entries(10), NOW))
    calls.clear()
    return store, calls


def entries(count, *, prefix="k"):
    return tuple(
        PutEntry(f"{prefix}{i}", i, item_size(f"{prefix}{i}", i), f"b{i}") for i in range(count)
    )


def made(calls):
    counted = Counter(calls)
    calls.clear()
    return counted


def ten_keys(storage_limit=None):
    """Checks on all ten keys, and a put, an increment or a delete of each."""
    ops = []
    for i in range(10):
        key = f"k{i}"
        if i % 3 == 0:
            ops.append(AtomicPut(key, "x", item_size(key, "x"), f"p{i}"))
        elif i % 3 == 1:
            ops.append(AtomicIncrement(key, 5, f"i{i}"))
        else:
            ops.append(AtomicDelete(key))
    checks = tuple(AtomicCheck(f"k{i}", 1) for i in range(10))
    return AtomicWrite("u1", "n1", checks, tuple(ops), NOW, storage_limit=storage_limit)


def test_an_atomic_operation_on_ten_keys_is_one_read_and_one_transaction(counted):
    store, calls = counted
    written = store.apply_atomic(ten_keys(storage_limit=10**6))
    counts = made(calls)
    assert counts == {"BatchGetItem": 1, "TransactWriteItems": 1}
    assert sum(counts.values()) <= 3
    assert [version for _, version in written.items] == [
        None if i % 3 == 2 else 2 for i in range(10)
    ]


def test_a_failed_check_is_refused_after_the_read_alone(counted):
    store, calls = counted
    store.apply_atomic(ten_keys())
    calls.clear()
    with pytest.raises(CheckFailed):
        store.apply_atomic(ten_keys())
    assert made(calls) == {"BatchGetItem": 1}


def test_count_keys_is_one_query_per_page(counted):
    store, calls = counted
    store.put_items(PutItems("u1", "n1", entries(150, prefix="p/"), NOW))
    calls.clear()
    assert store.count_keys("n1", prefix="p/", at=T) == 150
    assert made(calls) == {"Query": 1}


def test_delete_prefix_of_100_items_is_one_query_and_two_transactions(counted):
    store, calls = counted
    store.put_items(PutItems("u1", "n1", entries(100, prefix="p/"), NOW))
    calls.clear()
    deleted = store.delete_prefix(DeletePrefix("u1", "n1", "p/", 100, NOW))
    assert (deleted.count, deleted.more) == (100, False)
    assert made(calls) == {"Query": 1, "TransactWriteItems": 2}
    assert store.get_namespace("u1", "app").item_count == 10


def write_after_the_read(store, key, value):
    """Let the store's next read through, then write ``key`` before it goes on: a
    concurrent writer between the operation's read and its transaction."""
    read = store._batch_get
    done = []

    def racing(*args, **kwargs):
        found = read(*args, **kwargs)
        if not done:
            done.append(1)
            store.put_item(PutItem("u1", "n1", key, value, item_size(key, value), "w", NOW))
        return found

    return mock.patch.object(store, "_batch_get", racing)


def test_a_checked_item_changed_after_the_read_fails_its_check(counted):
    store, _ = counted
    with write_after_the_read(store, "k3", "theirs"), pytest.raises(CheckFailed) as refused:
        store.apply_atomic(ten_keys())
    assert refused.value.failed == ["k3"]
    assert store.get_item("n1", "k3", at=T).value == "theirs"
    for i in range(10):
        if i != 3:
            assert store.get_item("n1", f"k{i}", at=T).value == i
    usage = store.get_usage("u1", "2026-11").storage_bytes
    assert usage == sum(item_size(f"k{i}", i) for i in range(10) if i != 3) + item_size(
        "k3", "theirs"
    )


def test_an_unchecked_item_changed_after_the_read_is_read_again(counted):
    store, calls = counted
    write = AtomicWrite("u1", "n1", (AtomicCheck("k0", 1),), (AtomicIncrement("k1", 5, "i1"),), NOW)
    with write_after_the_read(store, "k1", 100):
        assert store.apply_atomic(write).items == [("k1", 3)]
    assert store.get_item("n1", "k1", at=T).value == 105
    counts = made(calls)
    assert counts["BatchGetItem"] == 2
    assert counts["TransactWriteItems"] == 2
    usage = store.get_usage("u1", "2026-11").storage_bytes
    assert usage == sum(item_size(f"k{i}", i) for i in range(10) if i != 1) + item_size("k1", 105)
