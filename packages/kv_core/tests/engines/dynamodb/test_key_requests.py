"""Requests per API key on DynamoDB: counted in the update that counts the user's, so
the hot path makes no call more (test_calls.py pins the calls; here with two keys)."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime

import pytest
from pynamodb.exceptions import UpdateError
from pynamodb.expressions.operand import Path

from kv_core.engines.dynamodb import keys
from kv_core.engines.dynamodb.counters import key_requests_name
from kv_core.model import User
from kv_core.services import CoreConfig, Services

REQUESTS = 60
BATCH = 20
MONTH = "2026-11"


@pytest.fixture
def warm(dynamo_calls):
    """A warm data plane with two keys: both resolved and cached, the tally seen."""
    store, calls = dynamo_calls
    config = CoreConfig(
        secret=b"s" * 32,
        request_batch=BATCH,
        request_batch_max=BATCH,  # a fixed allowance: one write per BATCH requests
        clock=lambda: datetime(2026, 11, 25, tzinfo=UTC),
    )
    services = Services(store, config)
    user = services.accounts.signup("keys@example.com", "s3cret-pass")
    services.namespaces.create(user.id, "app")
    made = [services.api_keys.create(user.id, "app") for _ in range(2)]
    items = services.items
    for created in made:
        items.get_many(items.authorize(created.raw, "app", write=False), ["warm"])
    items.meter.flush()
    calls.clear()
    yield items, user.id, [(c.raw, c.key.id) for c in made], calls
    items.meter.close()


def test_reads_with_two_keys_cost_what_they_did_and_count_each_key(warm):
    items, user_id, made, calls = warm
    for i in range(REQUESTS):
        raw, _ = made[i % 2]
        items.list(items.authorize(raw, "app", write=False), limit=1)
    assert Counter(calls) == {"Query": REQUESTS, "UpdateItem": REQUESTS // BATCH}
    counted = items.store.key_requests(user_id, MONTH)
    assert [counted[key_id] for _, key_id in made] == [1 + REQUESTS // 2] * 2


def test_a_write_carries_each_keys_count_in_its_one_counters_update(warm):
    items, user_id, made, calls = warm
    (first, first_id), (second, second_id) = made
    for i in range(BATCH - 3):
        items.list(items.authorize(first if i % 2 else second, "app", write=False), limit=1)
    assert Counter(calls) == {"Query": BATCH - 3}
    calls.clear()
    items.put(items.authorize(first, "app", write=True), "a", 1)
    assert Counter(calls) == {"UpdateItem": 2}  # the item, and the counters with the batch
    assert items.meter.pending(user_id, MONTH) == 0
    counted = items.store.key_requests(user_id, MONTH)
    assert counted == {first_id: 1 + 8 + 1, second_id: 1 + 9}


def test_listing_the_counts_is_one_read(dynamo_calls):
    store, calls = dynamo_calls
    store.create_user(User("u1", "ann@example.com", "h", "free", "t", "t"))
    store.add_requests("u1", MONTH, 3, by_key=(("k1", 2), ("k2", 1)))
    store.add_requests("u1", "2026-10", 5, by_key=(("k1", 5),))
    calls.clear()
    assert store.key_requests("u1", MONTH) == {"k1": 2, "k2": 1}
    assert calls == ["GetItem"]


def test_a_keys_count_of_the_dropped_month_goes_with_it(dynamo_calls):
    store, _ = dynamo_calls
    store.create_user(User("u1", "ann@example.com", "h", "free", "t", "t"))
    store.add_requests("u1", "2025-10", 4, by_key=(("k1", 4),))
    store.add_requests("u1", MONTH, 1, by_key=(("k1", 1),))  # drops 2025-10
    assert store.key_requests("u1", "2025-10") == {}
    assert store.key_requests("u1", MONTH) == {"k1": 1}


def test_a_count_inside_a_missing_map_fails_so_key_counts_are_attributes(dynamo_calls):
    """Why the shape (counters.py): on a profile without the map, ``ADD`` on a path in
    it is refused, while ``ADD`` on a missing top-level attribute starts it at 0."""
    store, _ = dynamo_calls
    store.create_user(User("u1", "ann@example.com", "h", "free", "t", "t"))
    profile = store.Entry(keys.user_pk("u1"), keys.PROFILE)
    with pytest.raises(UpdateError):
        profile.update(actions=[Path(["keyRequests", "k1"]).add(1)])
    profile.update(actions=[Path([key_requests_name(MONTH, "k1")]).add(1)])
    assert store.key_requests("u1", MONTH) == {"k1": 1}
