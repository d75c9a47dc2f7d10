"""Racing threads on one account: counters stay exact and quotas are never passed."""

from __future__ import annotations

import random
import threading
from collections.abc import Callable

import pytest

from kv_core.errors import CheckFailed, QuotaExceeded
from kv_core.model import Namespace, User
from kv_core.sizing import item_size
from kv_core.store import (
    AtomicCheck,
    AtomicPut,
    AtomicWrite,
    DeleteItem,
    IncrementItem,
    PutItem,
    unix_second,
)
from kv_core.store.testing import listed

NOW = "2026-11-25T10:00:00.000Z"
T = unix_second(NOW)
THREADS = 8


def race(work: Callable[[int], None]) -> None:
    """Run ``work(thread_number)`` in racing threads, re-raising the first failure."""
    start = threading.Barrier(THREADS)
    failures: list[BaseException] = []

    def run(number: int) -> None:
        start.wait()
        try:
            work(number)
        except BaseException as error:
            failures.append(error)

    threads = [threading.Thread(target=run, args=(n,)) for n in range(THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    if failures:
        raise failures[0]


@pytest.fixture
def ann(store):
    store.create_user(User("u1", "ann@example.com", "h", "free", NOW, NOW))
    store.create_namespace(Namespace("n1", "u1", "app", NOW))
    return store


@pytest.mark.slow
def test_racing_writes_give_exact_counters(ann):
    writes = 200

    def write(thread: int) -> None:
        for i in range(writes):
            # Odd writes race on 25 shared keys; even ones make own keys, a fifth deleted.
            key = f"shared/{i % 50}" if i % 2 else f"own/{thread}/{i}"
            ann.put_item(
                PutItem(
                    user_id="u1",
                    namespace_id="n1",
                    key=key,
                    value=i,
                    size=1 + (thread * 7 + i) % 13,
                    etag=f"{thread}-{i}",
                    now=NOW,
                )
            )
            if i % 10 == 9:
                ann.delete_item(
                    DeleteItem(user_id="u1", namespace_id="n1", key=f"own/{thread}/{i - 1}")
                )

    race(write)
    keys, _ = listed(ann, "n1", limit=1000)
    live = [ann.get_item("n1", key) for key in keys]
    namespace = ann.get_namespace("u1", "app")
    assert namespace.item_count == len(live) == THREADS * (100 - 20) + 25
    assert namespace.size_bytes == sum(item.size for item in live)
    assert ann.get_usage("u1", "2026-11").storage_bytes == namespace.size_bytes


@pytest.mark.slow
def test_racing_admissions_never_pass_the_quota(ann):
    limit = 300
    admitted: list[int] = []

    def admit(_: int) -> None:
        for _ in range(60):
            if ann.admit_requests("u1", "2026-11", 1, limit) is not None:
                admitted.append(1)

    race(admit)
    assert len(admitted) == limit
    assert ann.get_usage("u1", "2026-11").requests == limit


@pytest.mark.slow
def test_racing_writes_never_pass_the_storage_quota(ann):
    limit = 1_000
    stored: list[int] = []
    refusals: list[str] = []

    def write(thread: int) -> None:
        for i in range(40):
            try:
                ann.put_item(
                    PutItem(
                        user_id="u1",
                        namespace_id="n1",
                        key=f"{thread}/{i}",
                        value=i,
                        size=10,
                        etag="e",
                        now=NOW,
                        storage_limit=limit,
                    )
                )
            except QuotaExceeded as error:
                refusals.append(error.code)
            else:
                stored.append(10)

    race(write)
    assert sum(stored) == limit
    assert refusals == ["storage_quota_exceeded"] * (THREADS * 40 - limit // 10)
    assert ann.get_usage("u1", "2026-11").storage_bytes == limit
    assert ann.get_namespace("u1", "app").item_count == limit // 10


@pytest.mark.slow
def test_racing_increments_never_lose_one(ann):
    """8 threads x 500 increments of one counter end at exactly 4000."""
    increments = 500

    def add(thread: int) -> None:
        for i in range(increments):
            ann.increment_item(
                IncrementItem(
                    user_id="u1",
                    namespace_id="n1",
                    key="counter",
                    by=1,
                    etag=f"{thread}-{i}",
                    now=NOW,
                )
            )

    race(add)
    counter = ann.get_item("n1", "counter")
    assert counter.value == THREADS * increments
    assert counter.version == THREADS * increments
    assert ann.get_usage("u1", "2026-11").storage_bytes == item_size("counter", 4000)


@pytest.mark.slow
def test_racing_increments_and_sweeps_count_bytes_once(ann):
    """Increments racing the sweep of the counter they grow: whatever wins, the
    counters end equal to the items left."""

    def work(thread: int) -> None:
        for i in range(100):
            if thread % 2:
                ann.increment_item(
                    IncrementItem("u1", "n1", f"c{i % 5}", 1, f"{thread}-{i}", NOW, expires_at=1)
                )
            else:
                ann.sweep_expired(2, limit=3)

    race(work)
    ann.sweep_expired(2)
    namespace = ann.get_namespace("u1", "app")
    assert (namespace.item_count, namespace.size_bytes) == (0, 0)
    assert ann.get_usage("u1", "2026-11").storage_bytes == 0


@pytest.mark.slow
def test_racing_transfers_keep_the_sum(ann):
    """1,000 random transfers between 10 counters from 8 threads, each an atomic
    operation checking both counters' versions as read and retried when a check
    fails: the sum stays, and the counters equal the items."""
    counters = [f"account/{n}" for n in range(10)]
    for name in counters:
        ann.put_item(PutItem("u1", "n1", name, 100, item_size(name, 100), "start", NOW))
    transfers = 1_000
    refused_keys: set[str] = set()

    def transfer(thread: int) -> None:
        pick = random.Random(thread)
        for i in range(transfers // THREADS):
            source, target = pick.sample(counters, 2)
            amount = pick.randint(1, 20)
            while True:
                found = ann.get_items("n1", [source, target], at=T)
                old, new = found[source], found[target]
                try:
                    ann.apply_atomic(
                        AtomicWrite(
                            "u1",
                            "n1",
                            (AtomicCheck(source, old.version), AtomicCheck(target, new.version)),
                            (
                                sized(source, old.value - amount, f"{thread}-{i}"),
                                sized(target, new.value + amount, f"{thread}-{i}"),
                            ),
                            NOW,
                        )
                    )
                except CheckFailed as refused:
                    refused_keys.update(refused.failed)
                    continue
                break

    race(transfer)
    final = ann.get_items("n1", counters, at=T)
    assert sum(item.value for item in final.values()) == 100 * len(counters)
    assert refused_keys <= set(counters)
    versions = sum(item.version - 1 for item in final.values())
    assert versions == 2 * transfers
    namespace = ann.get_namespace("u1", "app")
    assert namespace.item_count == len(counters)
    assert namespace.size_bytes == sum(item.size for item in final.values())
    assert ann.get_usage("u1", "2026-11").storage_bytes == namespace.size_bytes


def sized(key: str, value: int, etag: str) -> AtomicPut:
    return AtomicPut(key, value, item_size(key, value), etag)
