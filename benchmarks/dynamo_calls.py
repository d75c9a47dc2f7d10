"""DynamoDB calls per KV request on a warm instance, counted at botocore under moto,
next to the seed design's five (key lookup, profile, usage read, usage write, the
operation); and the second round's: increment, merge patch, bulk get and put, and what
the expired-item sweep reads; the third round's atomic operation on ten keys, at the
store (what the services add to it is the request's key lookup, cached); and the change
feed's: what a held answer reads per second of waiting, and what the stream processor
spends per change it logs."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from typing import Any
from unittest import mock

from botocore.client import BaseClient
from moto import mock_aws

from benchmarks.report import Figure
from kv_core.engines.dynamodb import DynamoStore
from kv_core.model import isoformat
from kv_core.services import CoreConfig, Services
from kv_core.sizing import item_size
from kv_core.store import AtomicCheck, AtomicPut, AtomicWrite, ItemStore

SEED_CALLS = 5
REQUESTS = 200
BULK_REQUESTS = 20
EXPIRING, LIVE = 50, 200
ATOMIC_KEYS = 10
WAIT_SECONDS = 25  # the longest a feed answer is held
FEED_CHANGES = 20


@contextmanager
def counting(read: list[int] | None = None) -> Iterator[list[str]]:
    """Every botocore API call made inside the block, by operation name; with ``read``,
    the number of items each ``Query`` answered goes there too."""
    calls: list[str] = []
    original = BaseClient._make_api_call

    def counted(self: BaseClient, operation: str, params: dict) -> dict:  # type: ignore[type-arg]
        calls.append(operation)
        answer: dict[str, Any] = original(self, operation, params)
        if read is not None and operation == "Query":
            read.append(int(answer.get("Count", 0)))
        return answer

    with mock.patch.object(BaseClient, "_make_api_call", counted):
        yield calls


def per_request(run: Callable[[int], object], requests: int = REQUESTS) -> float:
    run(-1)  # warm: caches filled, tallies seen
    with counting() as calls:
        for i in range(requests):
            run(i)
    return len(calls) / requests


def measure() -> list[Figure]:
    os.environ.update(
        AWS_ACCESS_KEY_ID="bench", AWS_SECRET_ACCESS_KEY="bench", AWS_DEFAULT_REGION="us-east-1"
    )
    now = [datetime.now(UTC)]
    with mock_aws():
        store = DynamoStore("kv-bench", region="us-east-1")
        store.create_table(stream=False)
        services = Services(store, CoreConfig(secret=b"d" * 32, clock=lambda: now[0]))
        user = services.accounts.signup("calls@example.com", "bench-pass")
        services.accounts.change_plan(user.id, "pro")  # headroom: an allowance of 1,000
        services.namespaces.create(user.id, "app")
        raw = services.api_keys.create(user.id, "app").raw
        items = services.items

        def principal(write: bool) -> object:
            return items.authorize(raw, "app", write=write)

        for i in range(REQUESTS + 1):
            items.put(principal(True), f"existing/{i}", {"i": i})
        figures = {
            "GET": per_request(lambda i: items.get(principal(False), f"existing/{max(i, 0)}")),
            "PUT": per_request(lambda i: items.put(principal(True), f"new/{i}", {"i": i})),
            "DELETE": per_request(lambda i: items.delete(principal(True), f"new/{i}")),
            "LIST": per_request(
                lambda i: items.list(principal(False), prefix="existing/", limit=10)
            ),
        }
        second = {
            "increment": per_request(lambda i: items.increment(principal(True), "counter", 1)),
            "merge patch": per_request(
                lambda i: items.patch(principal(True), f"existing/{max(i, 0)}", {"p": i})
            ),
            "bulk get of 100 keys": per_request(
                lambda i: items.get_many(principal(False), [f"existing/{k}" for k in range(100)]),
                BULK_REQUESTS,
            ),
            "bulk put of 1000 items": per_request(
                lambda i: items.put_many(
                    principal(True),
                    [{"key": f"bulk/{i}/{k}", "value": {"k": k}} for k in range(1000)],
                ),
                1,  # moto copies the table in every transaction: one is slow enough
            ),
        }
        free_bulk_get = free_bulk_get_calls(services)
        items.meter.flush()
        namespace = store.get_namespace(user.id, "app")
        assert namespace is not None
        atomic = per_request(lambda i: transfer(store, user.id, namespace.id, i))
        read_per_expired = sweep_reads(services, principal, now)
        namespace_id = services.namespaces.get(user.id, "app").id
        wait_reads = held_answer_reads(store, namespace_id)
        per_change = processor_calls()
    budgets = {"GET": 1.1, "PUT": 2.0, "DELETE": 2.0, "LIST": 1.1}
    second_budgets = {
        "increment": 2.0,
        "merge patch": 3.0,
        "bulk get of 100 keys": 1.1,
        "bulk put of 1000 items": 45.0,
    }
    return [
        *(
            Figure(
                f"DynamoDB calls per {op} (warm instance)",
                value,
                budgets[op],
                detail=f"the seed's design: {SEED_CALLS}",
            )
            for op, value in figures.items()
        ),
        *(
            Figure(
                f"DynamoDB calls per {op} (warm instance)",
                value,
                second_budgets[op],
                detail="a pro account (1,000,000 requests a month)",
            )
            for op, value in second.items()
        ),
        Figure(
            "DynamoDB calls per bulk get of 100 keys, free account (warm instance)",
            free_bulk_get,
            None,
            detail="10,000 requests a month: an allowance of about 156 unwritten requests",
        ),
        Figure(
            f"DynamoDB calls per atomic operation on {ATOMIC_KEYS} keys",
            atomic,
            3.0,
            detail="checks on every key's version, a put of each",
        ),
        Figure(
            "items the sweep reads per expired item it removes",
            read_per_expired,
            1.0,
            detail=f"{EXPIRING} expired among {LIVE} live",
        ),
        Figure(
            "DynamoDB reads per second of a held change-feed answer",
            wait_reads,
            1.0,
            detail=f"a wait of {WAIT_SECONDS} s that no change ends",
        ),
        Figure(
            "DynamoDB calls per change the stream processor logs",
            per_change,
            None,
            detail="GetItem of the counter, one TransactWriteItems; reads of the stream apart",
        ),
    ]


def free_bulk_get_calls(services: Services) -> float:
    """Calls per bulk get of 100 keys on a free account, whose quota lets an instance
    hold about 156 unwritten requests (a 64th of its headroom)."""
    user = services.accounts.signup("free@example.com", "bench-pass")
    services.namespaces.create(user.id, "app")
    raw = services.api_keys.create(user.id, "app").raw
    items = services.items
    keys = [f"free/{k}" for k in range(100)]
    items.put_many(items.authorize(raw, "app", write=True), [{"key": k, "value": 1} for k in keys])
    return per_request(
        lambda i: items.get_many(items.authorize(raw, "app", write=False), keys), BULK_REQUESTS
    )


def transfer(store: ItemStore, user_id: str, namespace_id: str, i: int) -> None:
    """One atomic operation on ten keys, checking each at the version it has by then
    (each run writes every key once, and the warm-up creates them)."""
    names = [f"atomic/{k}" for k in range(ATOMIC_KEYS)]
    store.apply_atomic(
        AtomicWrite(
            user_id,
            namespace_id,
            tuple(AtomicCheck(name, None if i < 0 else i + 1) for name in names),
            tuple(AtomicPut(name, i, item_size(name, i), f"e{i}") for name in names),
            now=isoformat(datetime.now(UTC)),
        )
    )


def held_answer_reads(store: DynamoStore, namespace_id: str) -> float:
    """Calls of a wait that times out, per second waited (on a clock of its own)."""
    clock = [0.0]

    def sleep(seconds: float) -> None:
        clock[0] += seconds

    store._monotonic = lambda: clock[0]  # type: ignore[method-assign]
    store._sleep = sleep  # type: ignore[method-assign]
    after = store.last_change(namespace_id)
    with counting() as calls:
        store.wait_for_change(namespace_id, after, WAIT_SECONDS)
    return len(calls) / WAIT_SECONDS


def processor_calls() -> float:
    """DynamoDB calls (not Streams') of logging what the stream holds, per change, on a
    table of its own (moto copies the table in every transaction)."""
    store = DynamoStore("kv-bench-feed", region="us-east-1")
    store.create_table()
    services = Services(store, CoreConfig(secret=b"d" * 32))
    user = services.accounts.signup("feed@example.com", "bench-pass")
    services.namespaces.create(user.id, "app")
    raw = services.api_keys.create(user.id, "app").raw
    principal = services.items.authorize(raw, "app", write=True)
    for i in range(FEED_CHANGES):
        services.items.put(principal, f"k{i % 5}", i)
    store.pump_changes()  # what the setup wrote
    for i in range(FEED_CHANGES):
        services.items.put(principal, f"k{i % 5}", i)
    services.items.meter.flush()
    with counting() as calls:
        logged = store.pump_changes()
    streams = {"DescribeStream", "GetShardIterator", "GetRecords"}
    table_calls = [c for c in calls if c not in streams]
    return len(table_calls) / max(1, logged)


def sweep_reads(services: Services, principal: Callable[[bool], Any], now: list[datetime]) -> float:
    """Items read by a sweep over expired and live items, per expired item."""
    items = services.items
    for k in range(LIVE):
        items.put(principal(True), f"live/{k}", k)
    for k in range(EXPIRING):
        items.put(principal(True), f"session/{k}", k, ttl=60)
    now[0] += timedelta(seconds=61)
    read: list[int] = []
    with counting(read):
        removed = services.sweeper.sweep()
    return sum(read) / max(1, removed)
