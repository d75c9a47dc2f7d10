"""DynamoDB calls on the hot path, pinned: a change that adds a call fails here.

A warm instance has its API key cached and counts requests in batches (one write per
``request_batch`` requests), so a GET is one read plus that share of a batch. A PUT or
DELETE is two writes, and its counters update carries the pending counts: no share of a
batch. A PUT that replaces a value of the same size moves no counter: one write, plus the
share. The seed's design spends five calls on every request.
"""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime

import pytest

from kv_core.services import CoreConfig, Services

REQUESTS = 100
BATCH = 20


@pytest.fixture
def warm(dynamo_calls):
    """A warm data plane on DynamoDB: key resolved and cached, month's tally seen."""
    store, calls = dynamo_calls
    config = CoreConfig(
        secret=b"s" * 32, request_batch=BATCH, clock=lambda: datetime(2026, 11, 25, tzinfo=UTC)
    )
    services = Services(store, config)
    user = services.accounts.signup("calls@example.com", "s3cret-pass")
    services.namespaces.create(user.id, "app")
    raw = services.api_keys.create(user.id, "app").raw
    items = services.items
    for i in range(REQUESTS):
        items.put(items.authorize(raw, "app", write=True), f"old/{i}", i)
    items.meter.flush()
    calls.clear()
    yield items, raw, calls
    items.meter.close()


def per_operation(calls):
    counted = Counter(calls)
    calls.clear()
    return counted


def stored_requests(items, raw):
    """The month's request count as the store has it (not the meter's pending ones)."""
    user_id = items.authorize(raw, "app", write=False).user.id
    return items.store.get_usage(user_id, "2026-11").requests


def test_get_is_one_read(warm):
    items, raw, calls = warm
    for i in range(REQUESTS):
        items.get(items.authorize(raw, "app", write=False), f"old/{i}")
    assert per_operation(calls) == {"GetItem": REQUESTS, "UpdateItem": REQUESTS // BATCH}


def test_list_is_one_query(warm):
    items, raw, calls = warm
    for _ in range(REQUESTS):
        items.list(items.authorize(raw, "app", write=False), prefix="old/", limit=10)
    assert per_operation(calls) == {"Query": REQUESTS, "UpdateItem": REQUESTS // BATCH}


def test_put_is_two_writes(warm):
    items, raw, calls = warm
    for i in range(REQUESTS):
        items.put(items.authorize(raw, "app", write=True), f"new/{i}", {"i": i})
    for i in range(REQUESTS):
        items.put(items.authorize(raw, "app", write=True), f"new/{i}", {"i": i, "more": 1})
    assert per_operation(calls) == {"UpdateItem": 2 * (2 * REQUESTS)}
    assert stored_requests(items, raw) == 3 * REQUESTS  # every write carried its count


def test_a_conditional_put_is_two_writes_too(warm):
    items, raw, calls = warm
    for i in range(REQUESTS):
        items.put(items.authorize(raw, "app", write=True), f"old/{i}", [i], if_match="*")
    assert per_operation(calls) == {"UpdateItem": 2 * REQUESTS}
    assert stored_requests(items, raw) == 2 * REQUESTS


def test_replacing_a_value_of_the_same_size_is_one_write(warm):
    items, raw, calls = warm
    for i in range(REQUESTS):  # i ^ 1 is i's neighbour, as many digits long
        items.put(items.authorize(raw, "app", write=True), f"old/{i}", i ^ 1)
    assert per_operation(calls) == {"UpdateItem": REQUESTS + REQUESTS // BATCH}
    usage = items.store.get_usage(items.authorize(raw, "app", write=False).user.id, "2026-11")
    assert usage.storage_bytes == sum(len(f"old/{i}") + len(str(i)) for i in range(REQUESTS))


def test_delete_is_two_writes(warm):
    items, raw, calls = warm
    for i in range(REQUESTS):
        items.delete(items.authorize(raw, "app", write=True), f"old/{i}")
    assert per_operation(calls) == {"DeleteItem": REQUESTS, "UpdateItem": REQUESTS}
    assert stored_requests(items, raw) == 2 * REQUESTS


def test_writes_after_reads_carry_the_reads_counts(warm):
    items, raw, calls = warm
    for i in range(BATCH - 1):
        items.get(items.authorize(raw, "app", write=False), f"old/{i}")
    assert per_operation(calls) == {"GetItem": BATCH - 1}
    items.delete(items.authorize(raw, "app", write=True), "old/0")
    assert per_operation(calls) == {"DeleteItem": 1, "UpdateItem": 1}
    assert stored_requests(items, raw) == REQUESTS + BATCH
    assert items.meter.pending(items.authorize(raw, "app", write=False).user.id, "2026-11") == 0
