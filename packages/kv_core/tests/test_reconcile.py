"""The counters' reconciliation on both engines: a drift is found and corrected, exact
counters are left alone, and a write under way is never mistaken for a drift."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from kv_core.engines.dynamodb import recount as dynamo_recount
from kv_core.engines.dynamodb.table import Calls
from kv_core.errors import StoreUnavailable
from kv_core.model import User
from kv_core.services.reconcile import Reconciliation
from kv_core.store import PutItem, Recount

from .test_store_contract import NOW, counters, namespace, put, user


def drift(store, items: int, size: int) -> None:
    """Move u1's n1 counters (and u1's stored bytes) as a write that was never
    counted right would: by ``items`` items and ``size`` bytes."""
    if store.remote:
        store._move_counters("u1", "n1", items=items, size=size, storage_limit=None)
    else:
        store._write_one(
            "UPDATE namespaces SET item_count = item_count + ?, size_bytes = size_bytes + ?"
            " WHERE id = 'n1'",
            (items, size),
        )
        store._write_one(
            "UPDATE users SET storage_bytes = storage_bytes + ? WHERE id = 'u1'", (size,)
        )


@pytest.fixture
def ann(store):
    store.create_user(user(1))
    store.create_namespace(namespace(1))
    put(store, "a", "one")  # 4 bytes
    put(store, "bb", "two")  # 5 bytes
    return store


def test_exact_counters_are_left_alone(ann):
    assert ann.recount_namespace("u1", "n1") == Recount("n1", 2, 9)
    assert counters(ann) == (9, 2, 9)


@pytest.mark.parametrize(("items", "size"), [(1, 7), (-1, -4), (0, 3)])
def test_a_drift_is_corrected(ann, items, size):
    drift(ann, items, size)
    recount = ann.recount_namespace("u1", "n1")
    assert recount == Recount("n1", 2, 9, items, size, corrected=True)
    assert counters(ann) == (9, 2, 9)
    assert ann.recount_namespace("u1", "n1") == Recount("n1", 2, 9)


def test_a_namespace_that_is_not_the_users_is_none(ann):
    assert ann.recount_namespace("u1", "missing") is None
    assert ann.recount_namespace("u2", "n1") is None


def test_the_users_other_namespaces_keep_their_bytes(ann):
    ann.create_namespace(namespace(2, name="other"))
    ann.put_item(PutItem("u1", "n2", "k", "v", 100, "e", NOW))
    drift(ann, 1, 10)
    ann.recount_namespace("u1", "n1")
    assert counters(ann) == (109, 2, 9)
    assert counters(ann, name="other")[1:] == (1, 100)


def test_a_pass_recounts_every_namespace_of_every_user(ann):
    ann.create_user(user(2))
    ann.create_namespace(namespace(2, owner=2, name="theirs"))
    drift(ann, 1, 1)
    done = Reconciliation(ann, settle_seconds=0).run()
    assert done.namespaces == 2
    assert [(r.email, r.namespace) for r in done.corrected] == [("user1@example.com", "app")]
    assert counters(ann) == (9, 2, 9)


def test_a_pass_starts_nothing_past_its_deadline(ann):
    drift(ann, 1, 1)
    done = Reconciliation(ann, settle_seconds=0).run(deadline=0.0)
    assert (done.namespaces, done.skipped) == (0, 1)
    assert counters(ann) == (10, 3, 10)


# --- DynamoDB: the counters and the items are not read at one moment ---------------------


@pytest.fixture
def dynamo(dynamo_calls):
    store, _ = dynamo_calls
    store.create_user(user(1))
    store.create_namespace(namespace(1))
    put(store, "a", "one")
    return store


def test_a_write_under_way_is_not_mistaken_for_a_drift(dynamo, monkeypatch):
    """Its item is written when the recount counts; its counters land while the recount
    waits: the recount sees them move, looks again, and finds nothing to correct."""
    dynamo.Entry("NAMESPACE#n1", "KEY#late", size=6, etag="e", version=1, value='"x"').save()

    def counters_land(seconds):
        monkeypatch.setattr(dynamo_recount, "time", SimpleNamespace(sleep=lambda s: None))
        dynamo._move_counters("u1", "n1", items=1, size=6, storage_limit=None)

    monkeypatch.setattr(dynamo_recount, "time", SimpleNamespace(sleep=counters_land))
    assert dynamo.recount_namespace("u1", "n1", settle_seconds=30) == Recount("n1", 2, 10)
    assert counters(dynamo) == (10, 2, 10)


def test_a_write_that_lands_before_the_correction_is_not_overwritten(dynamo, monkeypatch):
    drift(dynamo, 1, 5)
    real = dynamo._correct

    def another_write_first(*args):
        monkeypatch.setattr(dynamo, "_correct", real)
        put(dynamo, "new", "write")  # 8 bytes, counted
        return real(*args)

    monkeypatch.setattr(dynamo, "_correct", another_write_first)
    recount = dynamo.recount_namespace("u1", "n1")
    assert recount.corrected
    assert counters(dynamo) == (12, 2, 12)


def test_counters_that_keep_moving_are_left_for_the_next_pass(dynamo, monkeypatch):
    drift(dynamo, 1, 5)
    sizes = iter(range(10, 100))
    monkeypatch.setattr(
        dynamo_recount, "time", SimpleNamespace(sleep=lambda s: put(dynamo, f"k{next(sizes)}", "v"))
    )
    recount = dynamo.recount_namespace("u1", "n1", settle_seconds=30)
    assert not recount.settled
    assert not recount.corrected
    assert counters(dynamo)[1] == 1 + dynamo_recount.ATTEMPTS + 1  # a, the puts, the drift


def test_a_put_whose_undo_fails_too_is_corrected_by_the_recount(dynamo, dynamo_faults, monkeypatch):
    """The counters call and then the undo fail: the item stays written, uncounted."""
    monkeypatch.setattr(dynamo, "calls", Calls(undo_seconds=0.2))

    def counters_and_undo(operation, body):
        if dynamo_faults.counters_call(operation, body) or operation == "DeleteItem":
            return "error"
        return None

    dynamo_faults.when = counters_and_undo
    with pytest.raises(StoreUnavailable):
        put(dynamo, "orphan", "value", etag="e2")
    dynamo_faults.clear()
    assert dynamo.get_item("n1", "orphan") is not None
    assert counters(dynamo) == (4, 1, 4)
    done = Reconciliation(dynamo, settle_seconds=0).run([User("u1", "", "", "", "", "")])
    assert [r.recount for r in done.corrected] == [Recount("n1", 2, 15, -1, -11, corrected=True)]
    assert counters(dynamo) == (15, 2, 15)
