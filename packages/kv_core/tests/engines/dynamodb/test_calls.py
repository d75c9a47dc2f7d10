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
        secret=b"s" * 32,
        request_batch=BATCH,
        request_batch_max=BATCH,  # a fixed allowance: one write per BATCH requests
        clock=lambda: datetime(2026, 11, 25, tzinfo=UTC),
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


@pytest.fixture
def shipped(dynamo_calls):
    """A warm data plane with the allowance as shipped (20 to 1,000 requests by the
    headroom an instance knows of); each plan's account with 100 items and a key."""
    store, calls = dynamo_calls
    config = CoreConfig(secret=b"s" * 32, clock=lambda: datetime(2026, 11, 25, tzinfo=UTC))
    services = Services(store, config)
    items = services.items

    def account(plan):
        user = services.accounts.signup(f"{plan}@example.com", "s3cret-pass")
        services.accounts.change_plan(user.id, plan)
        services.namespaces.create(user.id, "app")
        raw = services.api_keys.create(user.id, "app").raw
        items.put_many(
            items.authorize(raw, "app", write=True),
            [{"key": f"old/{i}", "value": i} for i in range(REQUESTS)],
        )
        return raw

    yield items, account, calls
    items.meter.close()


BULK_GETS = 20


def bulk_get_calls(items, raw, calls):
    """Calls per warm bulk get of 100 keys, over BULK_GETS of them."""
    keys = [f"old/{i}" for i in range(REQUESTS)]
    items.get_many(items.authorize(raw, "app", write=False), keys)  # warm: key cached
    items.meter.flush()
    calls.clear()
    for _ in range(BULK_GETS):
        found, missing = items.get_many(items.authorize(raw, "app", write=False), keys)
        assert (len(found), missing) == (REQUESTS, [])
    return per_operation(calls)


def test_a_bulk_get_of_100_keys_is_at_most_1_1_calls_with_headroom(shipped):
    """On an account whose quota leaves 64,000 requests or more (the pro plan's
    1,000,000), an instance holds 1,000 unwritten: one usage write per ten bulk gets.
    A free account (10,000 a month) allows a 64th of its headroom, about 156 requests,
    and a bulk get that would leave more unseen writes the pending ones first: a usage
    write per bulk get of 100 but the first after a flush (1.95 calls here; no budget)."""
    items, account, calls = shipped
    made = bulk_get_calls(items, account("pro"), calls)
    assert made == {"BatchGetItem": BULK_GETS, "UpdateItem": BULK_GETS // 10}
    assert sum(made.values()) / BULK_GETS <= 1.1
    free = bulk_get_calls(items, account("free"), calls)
    assert free == {"BatchGetItem": BULK_GETS, "UpdateItem": BULK_GETS - 1}
