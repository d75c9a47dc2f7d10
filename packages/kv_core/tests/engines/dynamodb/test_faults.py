"""What the DynamoDB engine answers when DynamoDB fails, faults injected where botocore
sends each attempt: ``StoreUnavailable`` once botocore's retries are spent, and a write
whose counters call fails leaves no trace, neither in the item nor in the counters."""

from __future__ import annotations

import itertools
import time

import pytest

from kv_core.engines.dynamodb import DynamoStore
from kv_core.engines.dynamodb.table import Calls
from kv_core.errors import StoreUnavailable
from kv_core.services import CoreConfig, Services
from kv_core.sizing import item_size
from kv_core.store import AtomicCheck, AtomicIncrement, AtomicPut, AtomicWrite
from kv_core.store.testing import listed

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
    keys, _ = listed(store, namespace.id, limit=1000)
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
    (at most an instance's allowance, ``request_batch_max``), and the stored bytes are set
    right by the recount."""
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
    assert admitted <= counted <= admitted + services.config.request_batch_max
    counters, items = counters_and_items(services, principal)
    assert counters != items  # the size was added twice...
    namespace = services.store.get_namespace(principal.user.id, "app")
    services.store.recount_namespace(principal.user.id, namespace.id)
    assert counters_and_items(services, principal)[0] == items  # ...and set right


# --- bulk writes -------------------------------------------------------------------------


def bulk_entries(count, value="v"):
    return [{"key": f"b{i}", "value": value} for i in range(count)]


def test_a_bulk_put_whose_transaction_fails_writes_nothing_of_it(services, writer, dynamo_faults):
    services.items.put(writer(), "b0", "before")
    dynamo_faults.when = lambda op, body: "error" if op == "TransactWriteItems" else None
    with pytest.raises(StoreUnavailable):
        services.items.put_many(writer(), bulk_entries(50))
    dynamo_faults.clear()
    assert services.items.get(writer(), "b0").value == "before"
    counted, added = counters_and_items(services, writer())
    assert counted == added == (1, len("b0") + len('"before"'), len("b0") + len('"before"'))


def test_a_bulk_put_cut_short_between_parts_leaves_whole_parts_counted(
    services, writer, dynamo_faults
):
    """The second of three parts fails: the first stays written and counted, the rest
    is not written, and nothing is counted that is not there."""
    parts = itertools.count()
    dynamo_faults.when = lambda op, body: (
        "error" if op == "TransactWriteItems" and next(parts) >= 1 else None
    )
    with pytest.raises(StoreUnavailable):
        services.items.put_many(writer(), bulk_entries(250))
    dynamo_faults.clear()
    counted, added = counters_and_items(services, writer())
    assert counted == added
    assert counted[0] == 99  # one whole part


def test_a_lost_answer_to_a_bulk_put_counts_it_once(services, writer, dynamo_faults):
    """DynamoDB applied the transaction but its answer never came: the retry finds the
    items changed, reads them again and counts nothing twice."""
    lost_once = iter(["answer lost"])
    dynamo_faults.when = lambda op, body: (
        next(lost_once, None) if op == "TransactWriteItems" else None
    )
    assert services.items.put_many(writer(), bulk_entries(20)) == 20
    dynamo_faults.clear()
    assert dynamo_faults.injected["answer lost"] == 1
    counted, added = counters_and_items(services, writer())
    assert counted == added
    assert counted[0] == 20


def test_a_bulk_delete_whose_transaction_is_throttled_deletes_nothing(
    services, writer, dynamo_faults
):
    services.items.put_many(writer(), bulk_entries(30))
    dynamo_faults.when = lambda op, body: "throttle" if op == "TransactWriteItems" else None
    with pytest.raises(StoreUnavailable):
        services.items.delete_many(writer(), [f"b{i}" for i in range(30)])
    dynamo_faults.clear()
    counted, added = counters_and_items(services, writer())
    assert counted == added
    assert counted[0] == 30
    assert services.items.delete_many(writer(), [f"b{i}" for i in range(30)]) == 30
    assert counters_and_items(services, writer()) == ((0, 0, 0), (0, 0, 0))


def test_a_bulk_get_asks_again_for_unprocessed_keys(services, writer):
    """DynamoDB may leave some keys of a BatchGetItem unprocessed; they are asked for
    again (after a backoff) until every one is answered."""
    from unittest import mock

    from botocore.client import BaseClient

    services.items.put_many(writer(), bulk_entries(100))
    original = BaseClient._make_api_call
    halves = []

    def half_answered(client, operation, params):
        if operation != "BatchGetItem":
            return original(client, operation, params)
        ((table, request),) = params["RequestItems"].items()
        wanted = request["Keys"]
        if halves:  # only the first call leaves keys unprocessed
            return original(client, operation, params)
        asked, left = wanted[: len(wanted) // 2], wanted[len(wanted) // 2 :]
        halves.append(len(asked))
        answer = original(client, operation, {"RequestItems": {table: {**request, "Keys": asked}}})
        answer["UnprocessedKeys"] = {table: {**request, "Keys": left}}
        return answer

    with mock.patch.object(BaseClient, "_make_api_call", half_answered):
        found, missing = services.items.get_many(writer(), [f"b{i}" for i in range(100)])
    assert [item.key for item in found] == [f"b{i}" for i in range(100)]
    assert missing == []
    assert halves == [50]


def test_a_sweep_whose_transaction_fails_leaves_the_item_counted(services, writer, dynamo_faults):
    store = services.store
    principal = writer()
    at = int(time.time())
    services.items.put(principal, "gone", "x", ttl=1)
    dynamo_faults.when = lambda op, body: "error" if op == "TransactWriteItems" else None
    with pytest.raises(StoreUnavailable):
        store.sweep_expired(at + 5)
    dynamo_faults.clear()
    counted, _ = counters_and_items(services, principal)
    assert counted[0] == 1  # not swept, still counted
    assert store.sweep_expired(at + 5) == 1
    namespace = store.get_namespace(principal.user.id, "app")
    assert (namespace.item_count, namespace.size_bytes) == (0, 0)


@pytest.mark.parametrize("fault", ["cancelled", "throttle", "error"])
def test_an_atomic_operation_that_dynamodb_fails_writes_nothing(
    services, writer, dynamo_faults, fault
):
    principal = writer()
    services.items.put(principal, "a", 1)
    namespace_id = principal.key.namespace_id
    before = counters_and_items(services, principal)
    write = AtomicWrite(
        principal.user.id,
        namespace_id,
        (AtomicCheck("a", 1),),
        (AtomicPut("a", "x", item_size("a", "x"), "p"), AtomicIncrement("b", 2, "i")),
        now="2026-01-05T00:00:00.000Z",
    )
    dynamo_faults.when = lambda op, body: fault if op == "TransactWriteItems" else None
    with pytest.raises(StoreUnavailable):
        services.store.apply_atomic(write)
    dynamo_faults.clear()
    assert counters_and_items(services, principal) == before
    assert services.store.get_item(namespace_id, "a").value == 1
    assert services.store.apply_atomic(write).items == [("a", 2), ("b", 1)]
