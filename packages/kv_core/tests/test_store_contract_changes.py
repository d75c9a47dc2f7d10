"""The Store contract for the change feed, run against every engine: each kind of
change, their order, the prefix filter, expiry (swept or written over), pruning and
the deletion of namespaces and users."""

from __future__ import annotations

import threading

import pytest

from kv_core.errors import Conflict, NotFound, PreconditionFailed, QuotaExceeded
from kv_core.limits import LIMITS
from kv_core.model import Namespace, User
from kv_core.store import DeleteItem, DeleteItems, PutItems, ReadChanges
from kv_core.store.testing import settle_changes

from .test_store_contract_second_round import (
    NOW,
    T,
    at_second,
    entry,
    increment,
    put,
)

pytestmark = pytest.mark.feed

FAR_PAST = "2000-01-01T00:00:00.000Z"
FAR_FUTURE = "2999-01-01T00:00:00.000Z"


@pytest.fixture
def feed(store):
    """User u1 with namespace n1; user u2 with namespace n2."""
    store.create_user(User("u1", "ann@example.com", "h", "free", NOW, NOW))
    store.create_namespace(Namespace("n1", "u1", "app", NOW))
    store.create_user(User("u2", "bob@example.com", "h", "free", NOW, NOW))
    store.create_namespace(Namespace("n2", "u2", "app", NOW))
    return store


def read(store, *, after=0, limit=LIMITS.changes_page_max, prefix="", namespace="n1"):
    settle_changes(store)
    return store.read_changes(ReadChanges(namespace, after, limit, prefix))


def ops(page):
    return [(change.key, change.op, change.version) for change in page.changes]


def test_an_empty_feed_reads_nothing_and_starts_at_zero(feed):
    page = read(feed)
    assert page.changes == []
    assert page.last == 0
    assert feed.last_change("n1") == 0


def test_a_put_is_logged_with_its_item_and_value(feed):
    written = put(feed, "a", {"x": [1, "é"]}, expires_at=T + 100)
    (change,) = read(feed).changes
    assert (change.key, change.op, change.version) == ("a", "put", 1)
    assert change.updated_at == written.item.updated_at
    assert change.expires_at == T + 100
    assert change.has_value
    assert change.value == {"x": [1, "é"]}
    assert change.at


def test_a_carried_null_is_told_from_no_value(feed):
    put(feed, "n", None)
    (change,) = read(feed).changes
    assert change.has_value
    assert change.value is None


def test_a_value_over_the_limit_is_not_carried(feed):
    fits = "x" * (LIMITS.change_value_max_bytes - 2)  # with its quotes, exactly the limit
    put(feed, "fits", fits)
    put(feed, "big", fits + "x")
    fitting, big = read(feed).changes
    assert fitting.has_value
    assert fitting.value == fits
    assert big.op == "put"
    assert not big.has_value
    assert big.value is None


def test_each_kind_of_write_is_logged_in_commit_order(feed):
    put(feed, "a", 1)
    put(feed, "a", 2)
    increment(feed, "c", 5)
    feed.put_items(PutItems("u1", "n1", (entry("b", 1), entry("d", 2)), NOW))
    feed.delete_item(DeleteItem("u1", "n1", "a", at=T))
    feed.delete_items(DeleteItems("u1", "n1", ("b", "missing"), NOW))
    page = read(feed)
    assert ops(page) == [
        ("a", "put", 1),
        ("a", "put", 2),
        ("c", "put", 1),
        ("b", "put", 1),
        ("d", "put", 1),
        ("a", "delete", 2),
        ("b", "delete", 1),
    ]
    seqs = [change.seq for change in page.changes]
    assert seqs == sorted(set(seqs))
    assert page.last == seqs[-1] == feed.last_change("n1")
    assert page.changes[2].value == 5


def test_refused_writes_log_nothing(feed):
    put(feed, "a", "text")
    with pytest.raises(PreconditionFailed):
        put(feed, "a", 2, if_absent=True)
    with pytest.raises(Conflict):
        increment(feed, "a", 1)
    with pytest.raises(QuotaExceeded):
        put(feed, "b", "x" * 100, storage_limit=10)
    with pytest.raises(NotFound):
        feed.delete_item(DeleteItem("u1", "n1", "missing", at=T))
    assert ops(read(feed)) == [("a", "put", 1), *undone(feed, "b")]


def undone(store, key):
    """What a write refused after it landed leaves in the feed: nothing where the write
    and its counters are one transaction (SQLite); on DynamoDB, whose item write comes
    before its counters' (two calls), the stream saw the item written and then taken
    back, so the feed tells both."""
    return [(key, "put", 1), (key, "delete", 1)] if store.remote else []


def test_a_read_continues_after_its_last_and_pages(feed):
    for index in range(5):
        put(feed, f"k{index}", index)
    first = read(feed, limit=2)
    assert ops(first) == [("k0", "put", 1), ("k1", "put", 1)]
    assert first.last == first.changes[-1].seq
    rest = read(feed, after=first.last)
    assert [change.key for change in rest.changes] == ["k2", "k3", "k4"]
    assert read(feed, after=rest.last).changes == []
    assert read(feed, after=rest.last).last == rest.last


def test_namespaces_have_their_own_feeds(feed):
    put(feed, "a", 1)
    put(feed, "b", 2, namespace="n2", user="u2")
    assert ops(read(feed)) == [("a", "put", 1)]
    assert ops(read(feed, namespace="n2")) == [("b", "put", 1)]
    assert feed.last_change("n2") == read(feed, namespace="n2").last


def test_the_prefix_filter_moves_last_past_what_it_skipped(feed):
    put(feed, "user:1", 1)
    put(feed, "order:1", 1)
    put(feed, "user:2", 2)
    put(feed, "order:2", 2)
    page = read(feed, prefix="user:")
    assert [change.key for change in page.changes] == ["user:1", "user:2"]
    assert page.last == feed.last_change("n1")  # past order:2
    assert read(feed, after=page.last, prefix="user:").changes == []
    partial = read(feed, prefix="order:", limit=1)
    assert [change.key for change in partial.changes] == ["order:1"]
    assert partial.last == partial.changes[0].seq


def test_a_swept_item_is_logged_as_expired(feed):
    put(feed, "short", 1, expires_at=T + 1)
    put(feed, "long", 2)
    assert feed.sweep_expired(T + 1) == 1
    page = read(feed)
    assert ops(page) == [("short", "put", 1), ("long", "put", 1), ("short", "expire", 1)]
    assert page.changes[-1].expires_at == T + 1
    assert not page.changes[-1].has_value


def test_a_write_over_an_expired_item_logs_its_expiry_first(feed):
    put(feed, "a", 1, expires_at=T + 1)
    put(feed, "a", 2, at=T + 5)
    increment(feed, "n", 1, expires_at=T + 1)
    increment(feed, "n", 1, at=T + 5)
    assert ops(read(feed)) == [
        ("a", "put", 1),
        ("a", "expire", 1),
        ("a", "put", 1),
        ("n", "put", 1),
        ("n", "expire", 1),
        ("n", "put", 1),
    ]
    assert feed.sweep_expired(T + 5) == 0
    assert [change.value for change in read(feed).changes if change.op == "put"] == [1, 2, 1, 1]


def test_bulk_puts_over_expired_items_log_the_expiry(feed):
    put(feed, "a", 1, expires_at=T + 1)
    later = at_second(T + 5)
    feed.put_items(PutItems("u1", "n1", (entry("a", 3),), later))
    assert ops(read(feed)) == [("a", "put", 1), ("a", "expire", 1), ("a", "put", 1)]


def test_prune_removes_only_changes_logged_before(feed):
    put(feed, "a", 1)
    put(feed, "b", 2, namespace="n2", user="u2")
    settle_changes(feed)
    assert feed.prune_changes(FAR_PAST) == 0
    assert len(read(feed).changes) == 1
    last = feed.last_change("n1")
    assert feed.prune_changes(FAR_FUTURE, limit=1) == 1
    assert feed.prune_changes(FAR_FUTURE) == 1
    assert read(feed).changes == []
    assert read(feed, namespace="n2").changes == []
    put(feed, "c", 3)
    (after_prune,) = read(feed, after=last).changes
    assert after_prune.seq > last  # seqs are never given again


def test_deleting_a_namespace_removes_its_feed(feed):
    put(feed, "a", 1)
    put(feed, "b", 2, namespace="n2", user="u2")
    feed.delete_namespace("u1", "app")
    assert read(feed).changes == []
    assert feed.last_change("n1") == 0
    assert ops(read(feed, namespace="n2")) == [("b", "put", 1)]


def test_deleting_a_user_removes_their_feeds(feed):
    put(feed, "a", 1)
    put(feed, "b", 2, namespace="n2", user="u2")
    feed.delete_user("u1")
    assert read(feed).changes == []
    assert ops(read(feed, namespace="n2")) == [("b", "put", 1)]


def test_wait_for_change_returns_at_once_when_one_is_there(feed):
    put(feed, "a", 1)
    settle_changes(feed)
    assert feed.wait_for_change("n1", 0, timeout=5)


def test_wait_for_change_times_out_without_one(feed):
    put(feed, "a", 1)
    settle_changes(feed)
    assert not feed.wait_for_change("n1", feed.last_change("n1"), timeout=0.2)


def test_wait_for_change_wakes_for_a_write(feed):
    woke: list[bool] = []
    waiting = threading.Thread(target=lambda: woke.append(feed.wait_for_change("n1", 0, 20)))
    waiting.start()
    put(feed, "a", 1)
    settle_changes(feed)
    waiting.join()
    assert woke == [True]
    assert ops(read(feed)) == [("a", "put", 1)]


def test_a_write_elsewhere_is_no_change_here(feed):
    put(feed, "b", 1, namespace="n2", user="u2")
    settle_changes(feed)
    quiet = feed.last_change("n2")
    answers: list[bool] = []
    waiting = threading.Thread(
        target=lambda: answers.append(feed.wait_for_change("n2", quiet, timeout=0.5))
    )
    waiting.start()
    put(feed, "a", 1)
    settle_changes(feed)
    waiting.join()
    assert answers == [False]


def test_an_atomic_write_logs_each_op_and_a_refused_one_nothing(feed):
    from kv_core.store import AtomicDelete, AtomicIncrement

    from .test_store_contract_third_round import atomic, put_op

    put(feed, "gone", 1)
    put(feed, "old", 1, expires_at=T + 1)
    atomic(
        feed,
        ops=[
            put_op("a", {"x": 1}),
            AtomicDelete("gone"),
            AtomicIncrement("n", 2, "i-n"),
            put_op("old", 2),
        ],
        at=T + 5,
    )
    with pytest.raises(PreconditionFailed):
        atomic(feed, checks=[("a", 7)], ops=[put_op("a", 3)], at=T + 5)
    logged = ops(read(feed))[2:]
    # One order per key; across the keys of one operation, DynamoDB's stream has none.
    assert sorted(logged) == [
        ("a", "put", 1),
        ("gone", "delete", 1),
        ("n", "put", 1),
        ("old", "expire", 1),
        ("old", "put", 1),
    ]
    assert [op for key, op, _ in logged if key == "old"] == ["expire", "put"]


def test_a_prefix_deletion_logs_deletes_and_expiries(feed):
    from kv_core.store import DeletePrefix

    put(feed, "p/live", 1)
    put(feed, "p/expired", 2, expires_at=T + 1)
    put(feed, "q/other", 3)
    feed.delete_prefix(DeletePrefix("u1", "n1", "p/", 10, at_second(T + 5)))
    assert sorted(ops(read(feed))[3:]) == [("p/expired", "expire", 1), ("p/live", "delete", 1)]
