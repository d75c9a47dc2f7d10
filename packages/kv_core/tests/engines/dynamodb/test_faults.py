"""What the DynamoDB engine answers when DynamoDB fails, faults injected where botocore
sends each attempt: ``StoreUnavailable`` once botocore's retries are spent, and a write
whose counters call fails leaves no trace, neither in the item nor in the counters."""

from __future__ import annotations

import itertools

import pytest

from kv_core.engines.dynamodb import DynamoStore
from kv_core.engines.dynamodb.table import Calls
from kv_core.errors import StoreUnavailable
from kv_core.services import CoreConfig, Services

ATTEMPTS = 2


@pytest.fixture
def services(dynamo_faults):
    store = DynamoStore("kv-faults", region="us-east-1", calls=Calls(max_attempts=ATTEMPTS))
    store.create_table()
    services = Services(store, CoreConfig(secret=b"f" * 32))
    yield services
    services.items.meter.close()


@pytest.fixture
def writer(services):
    """A principal that may write in namespace ``app``, and a way to get a fresh one."""
    user = services.accounts.signup("faults@example.com", "s3cret-pass")
    services.namespaces.create(user.id, "app")
    raw = services.api_keys.create(user.id, "app").raw
    return lambda: services.items.authorize(raw, "app", write=True)


def counters_and_items(services, principal):
    """Namespace ``app``'s counters and its user's, next to what its items add up to."""
    store = services.store
    namespace = store.get_namespace(principal.user.id, "app")
    keys, _ = store.list_keys(namespace.id, limit=1000)
    sizes = [store.get_item(namespace.id, key).size for key in keys]
    storage = store.get_usage(principal.user.id, "2026-01").storage_bytes
    return (namespace.item_count, namespace.size_bytes, storage), (
        len(sizes),
        sum(sizes),
        sum(sizes),
    )


def test_throttling_past_the_retries_is_store_unavailable_and_heals(
    services, writer, dynamo_faults
):
    services.items.put(writer(), "kept", "a")
    dynamo_faults.when = lambda operation, body: "throttle"
    with pytest.raises(StoreUnavailable) as caught:
        services.items.put(writer(), "kept", "changed")
    assert caught.value.retry_after >= 1
    assert dynamo_faults.injected["throttle"] == ATTEMPTS  # botocore retried, then gave up
    with pytest.raises(StoreUnavailable):
        services.store.get_item(writer().key.namespace_id, "kept")
    dynamo_faults.clear()
    assert services.items.get(writer(), "kept").value == "a"
    services.items.put(writer(), "after", "b")
    counted, added = counters_and_items(services, writer())
    assert counted == added


@pytest.mark.parametrize("fault", ["error", "lost"])
def test_an_outage_is_store_unavailable(services, writer, dynamo_faults, fault):
    dynamo_faults.when = lambda operation, body: fault
    with pytest.raises(StoreUnavailable):
        services.items.put(writer(), "k", 1)
    dynamo_faults.clear()
    with pytest.raises(Exception, match="no item"):
        services.items.get(writer(), "k")
    counted, added = counters_and_items(services, writer())
    assert counted == added == (0, 0, 0)


def test_retries_absorb_a_throttled_attempt(services, writer, dynamo_faults):
    every_other = itertools.cycle(["throttle", None])
    dynamo_faults.when = lambda operation, body: next(every_other)
    for i in range(3):  # (each retry waits botocore's backoff: a few of them)
        services.items.put(writer(), f"k{i}", "x" * i)
    dynamo_faults.clear()
    assert dynamo_faults.injected["throttle"] >= 3
    counted, added = counters_and_items(services, writer())
    assert counted == added


def test_a_put_whose_counters_call_fails_is_undone(services, writer, dynamo_faults):
    services.items.put(writer(), "old", "a")
    before = services.items.get(writer(), "old")
    dynamo_faults.when = lambda op, body: (
        "throttle" if dynamo_faults.counters_call(op, body) else None
    )
    with pytest.raises(StoreUnavailable):
        services.items.put(writer(), "old", "a longer value")
    with pytest.raises(StoreUnavailable):
        services.items.put(writer(), "new", "b")
    dynamo_faults.clear()
    assert services.items.get(writer(), "old") == before
    with pytest.raises(Exception, match="no item"):
        services.items.get(writer(), "new")
    counted, added = counters_and_items(services, writer())
    assert counted == added


def test_a_delete_whose_counters_call_fails_is_undone(services, writer, dynamo_faults):
    services.items.put(writer(), "k", "value")
    before = services.items.get(writer(), "k")
    dynamo_faults.when = lambda op, body: "error" if dynamo_faults.counters_call(op, body) else None
    with pytest.raises(StoreUnavailable):
        services.items.delete(writer(), "k")
    dynamo_faults.clear()
    assert services.items.get(writer(), "k") == before
    counted, added = counters_and_items(services, writer())
    assert counted == added == ((1, before.size, before.size))
    services.items.delete(writer(), "k")
    assert counters_and_items(services, writer()) == ((0, 0, 0), (0, 0, 0))


def test_an_undo_waits_out_a_short_outage(services, writer, dynamo_faults):
    services.items.put(writer(), "k", "before")
    before = services.items.get(writer(), "k")
    undo_attempts = itertools.count()

    def counters_fail_and_the_first_undo_too(operation, body):
        if dynamo_faults.counters_call(operation, body):
            return "error"
        if operation == "PutItem" and next(undo_attempts) < ATTEMPTS:
            return "error"
        return None

    dynamo_faults.when = counters_fail_and_the_first_undo_too
    with pytest.raises(StoreUnavailable):
        services.items.put(writer(), "k", "a longer value")
    dynamo_faults.clear()
    assert next(undo_attempts) > ATTEMPTS  # the undo was tried again, and landed
    assert services.items.get(writer(), "k") == before
    counted, added = counters_and_items(services, writer())
    assert counted == added


def test_a_transaction_cancelled_by_throttling_is_not_a_refusal(services, dynamo_faults):
    dynamo_faults.when = lambda op, body: "cancelled" if op == "TransactWriteItems" else None
    with pytest.raises(StoreUnavailable):
        services.accounts.signup("later@example.com", "s3cret-pass")
    dynamo_faults.clear()
    assert services.accounts.signup("later@example.com", "s3cret-pass").email == "later@example.com"


def test_a_lost_answer_counts_at_most_one_batch_twice_and_the_recount_heals_storage(
    services, writer, dynamo_faults
):
    """DynamoDB applied the counters update but its answer never came, so botocore sent
    it again: the bound this engine offers is one carried batch of requests counted twice
    (at most ``request_batch``), and the stored bytes are set right by the recount."""
    principal = writer()
    month = services.items.admit(principal)
    for _ in range(5):
        services.items.admit(writer())  # requests pending in the meter, to be carried
    lost_once = iter(["answer lost"])
    dynamo_faults.when = lambda operation, body: (
        next(lost_once, None) if dynamo_faults.counters_call(operation, body) else None
    )
    services.items.put(writer(), "k", "value")
    dynamo_faults.clear()
    services.items.meter.flush()
    assert dynamo_faults.injected["answer lost"] == 1
    admitted = 1 + 5 + 1  # the reads, and the put itself
    counted = services.store.get_usage(principal.user.id, month).requests
    assert admitted <= counted <= admitted + services.config.request_batch
    counters, items = counters_and_items(services, principal)
    assert counters != items  # the size was added twice...
    namespace = services.store.get_namespace(principal.user.id, "app")
    services.store.recount_namespace(principal.user.id, namespace.id)
    assert counters_and_items(services, principal)[0] == items  # ...and set right
