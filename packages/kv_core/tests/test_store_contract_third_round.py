"""The Store contract for the data plane's third round, run against every engine:
atomic operations, counts and deletions under a prefix, and ranged, reversed lists
combined with prefixes, cursors and details."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest

from kv_core.errors import CheckFailed, Conflict, NotFound, QuotaExceeded
from kv_core.model import KeyInfo, Namespace, User, isoformat, parse_iso
from kv_core.sizing import item_size
from kv_core.store import (
    AtomicCheck,
    AtomicDelete,
    AtomicIncrement,
    AtomicPut,
    AtomicWrite,
    DeletePrefix,
    ListKeys,
    PutItem,
    unix_second,
)

NOW = "2026-11-25T10:00:00.000Z"
T = unix_second(NOW)


def at_second(second: int) -> str:
    return isoformat(parse_iso(NOW) + timedelta(seconds=second - T, milliseconds=500))


@pytest.fixture
def ann(store):
    """User u1 with namespace n1 ('app'); user u2 with namespace n2."""
    store.create_user(User("u1", "ann@example.com", "h", "free", NOW, NOW))
    store.create_namespace(Namespace("n1", "u1", "app", NOW))
    store.create_user(User("u2", "bob@example.com", "h", "free", NOW, NOW))
    store.create_namespace(Namespace("n2", "u2", "app", NOW))
    return store


def put(store, key, value, *, at=T, namespace="n1", user="u1", metadata=None, **options):
    return store.put_item(
        PutItem(
            user_id=user,
            namespace_id=namespace,
            key=key,
            value=value,
            size=item_size(key, value, metadata),
            etag=f"e-{key}-{value}",
            now=at_second(at),
            metadata=metadata,
            **options,
        )
    ).item


def put_op(key, value, *, metadata=None, expires_at=None):
    return AtomicPut(
        key, value, item_size(key, value, metadata), f"a-{key}-{value}", expires_at, metadata
    )


def atomic(store, checks=(), ops=(), *, at=T, limit=None):
    return store.apply_atomic(
        AtomicWrite(
            "u1",
            "n1",
            tuple(AtomicCheck(key, version) for key, version in checks),
            tuple(ops),
            now=at_second(at),
            storage_limit=limit,
        )
    )


def counters(store, user_id="u1", name="app"):
    ns = store.get_namespace(user_id, name)
    return store.get_usage(user_id, "2026-11").storage_bytes, ns.item_count, ns.size_bytes


def stored(*sizes):
    return sum(sizes), len(sizes), sum(sizes)


def snapshot(store, *keys, at=T):
    """The items under ``keys`` and the counters: what a refused operation leaves."""
    return store.get_items("n1", list(keys), at=at), counters(store)


# --- atomic operations -----------------------------------------------------------------


def test_an_atomic_operation_applies_every_op(ann):
    put(ann, "a", 1)
    put(ann, "b", "old")
    put(ann, "c", 5)
    written = atomic(
        ann,
        checks=[("a", 1), ("b", 1), ("new", None)],
        ops=[
            put_op("b", "fresh"),
            AtomicDelete("a"),
            AtomicIncrement("c", 2, "i-c"),
            put_op("new", [1]),
        ],
    )
    assert written.items == [("b", 2), ("a", None), ("c", 2), ("new", 1)]
    assert ann.get_item("n1", "a", at=T) is None
    b = ann.get_item("n1", "b", at=T)
    assert (b.value, b.version, b.etag, b.created_at) == ("fresh", 2, "a-b-fresh", at_second(T))
    c = ann.get_item("n1", "c", at=T)
    assert (c.value, c.version, c.etag) == (7, 2, "i-c")
    assert ann.get_item("n1", "new", at=T).value == [1]
    assert counters(ann) == stored(
        item_size("b", "fresh"), item_size("c", 7), item_size("new", [1])
    )


def test_checks_alone_write_nothing(ann):
    put(ann, "a", 1)
    before = snapshot(ann, "a")
    assert atomic(ann, checks=[("a", 1), ("b", None)]).items == []
    assert snapshot(ann, "a") == before


@pytest.mark.parametrize(
    ("checks", "failed"),
    [
        ([("a", 2)], ["a"]),  # a stale version
        ([("a", None)], ["a"]),  # must be absent, exists
        ([("missing", 1)], ["missing"]),  # must exist, absent
        ([("a", 1), ("b", 2), ("missing", 1)], ["b", "missing"]),  # every failure named
    ],
)
def test_a_failed_check_writes_nothing_and_names_the_keys(ann, checks, failed):
    put(ann, "a", 1)
    put(ann, "b", 1)
    before = snapshot(ann, "a", "b", "c", "missing")
    with pytest.raises(CheckFailed) as refused:
        atomic(
            ann,
            checks=checks,
            ops=[put_op("a", 9), AtomicDelete("b"), put_op("c", 1), AtomicIncrement("b", 1, "i")],
        )
    assert refused.value.failed == failed
    assert refused.value.code == "check_failed"
    assert snapshot(ann, "a", "b", "c", "missing") == before


def test_an_expired_item_counts_as_absent_for_checks(ann):
    put(ann, "k", 1, expires_at=T + 1)
    with pytest.raises(CheckFailed):
        atomic(ann, checks=[("k", 1)], ops=[put_op("x", 1)], at=T + 1)
    written = atomic(ann, checks=[("k", None)], ops=[put_op("k", 2)], at=T + 1)
    assert written.items == [("k", 1)]  # written anew over the expired item
    item = ann.get_item("n1", "k", at=T + 1)
    assert (item.value, item.version, item.created_at, item.expires_at) == (
        2,
        1,
        at_second(T + 1),
        None,
    )
    assert counters(ann) == stored(item_size("k", 2))


def test_a_delete_of_an_absent_or_expired_item_is_no_failure(ann):
    put(ann, "gone", 1, expires_at=T + 1)
    written = atomic(ann, ops=[AtomicDelete("missing"), AtomicDelete("gone")], at=T + 1)
    assert written.items == [("missing", None), ("gone", None)]
    # the expired item is the sweep's: its bytes count until it is swept
    assert counters(ann) == stored(item_size("gone", 1))
    assert ann.sweep_expired(T + 1) == 1
    assert counters(ann) == (0, 0, 0)


def test_a_put_carries_expiry_and_metadata(ann):
    atomic(ann, ops=[put_op("k", 1, metadata={"m": 1}, expires_at=T + 5)])
    item = ann.get_item("n1", "k", at=T)
    assert (item.value, item.metadata, item.expires_at) == (1, {"m": 1}, T + 5)
    assert item.size == item_size("k", 1, {"m": 1})
    assert ann.get_item("n1", "k", at=T + 5) is None
    assert counters(ann) == stored(item_size("k", 1, {"m": 1}))


def test_increments_add_as_decimals_and_keep_metadata_and_expiry(ann):
    put(ann, "n", 0.1, metadata={"m": 1}, expires_at=T + 9)
    written = atomic(
        ann, ops=[AtomicIncrement("n", 0.2, "i-n"), AtomicIncrement("fresh", 3, "i-f")]
    )
    assert written.items == [("n", 2), ("fresh", 1)]
    n = ann.get_item("n1", "n", at=T)
    assert (n.value, n.metadata, n.expires_at, n.etag) == (0.3, {"m": 1}, T + 9, "i-n")
    assert ann.get_item("n1", "fresh", at=T).value == 3
    atomic(ann, ops=[AtomicIncrement("n", 1, "i-n2", expires_at=T + 20)])
    n = ann.get_item("n1", "n", at=T)
    assert (n.value, n.expires_at, n.version) == (1.3, T + 20, 3)
    assert counters(ann) == stored(item_size("n", 1.3, {"m": 1}), item_size("fresh", 3))


def test_an_increment_of_an_expired_item_starts_again(ann):
    put(ann, "n", 40, metadata={"m": 1}, expires_at=T + 1)
    assert atomic(ann, ops=[AtomicIncrement("n", 2, "i")], at=T + 1).items == [("n", 1)]
    n = ann.get_item("n1", "n", at=T + 1)
    assert (n.value, n.metadata, n.expires_at) == (2, None, None)
    assert counters(ann) == stored(item_size("n", 2))


@pytest.mark.parametrize("value", ["7", True, None, [1], {"n": 1}])
def test_an_increment_of_a_value_that_is_not_a_number_writes_nothing(ann, value):
    put(ann, "k", value)
    before = snapshot(ann, "k", "other")
    with pytest.raises(Conflict) as refused:
        atomic(ann, ops=[put_op("other", 1), AtomicIncrement("k", 1, "i")])
    assert refused.value.code == "not_a_number"
    assert snapshot(ann, "k", "other") == before


def test_an_operation_past_the_storage_quota_writes_nothing(ann):
    put(ann, "a", "x" * 10)
    before = snapshot(ann, "a", "b")
    used = counters(ann)[0]
    growth = item_size("b", "y" * 20) + item_size("a", "x" * 12) - used
    with pytest.raises(QuotaExceeded) as refused:
        atomic(ann, ops=[put_op("a", "x" * 12), put_op("b", "y" * 20)], limit=used + growth - 1)
    assert refused.value.code == "storage_quota_exceeded"
    assert snapshot(ann, "a", "b") == before
    atomic(ann, ops=[put_op("a", "x" * 12), put_op("b", "y" * 20)], limit=used + growth)
    assert counters(ann) == stored(item_size("a", "x" * 12), item_size("b", "y" * 20))


def test_an_operation_that_shrinks_goes_over_the_quota(ann):
    put(ann, "a", "x" * 30)
    atomic(ann, ops=[put_op("a", "x"), put_op("b", "y")], limit=1)
    assert counters(ann) == stored(item_size("a", "x"), item_size("b", "y"))


def test_an_operation_counts_deletes_against_the_growth(ann):
    put(ann, "big", "x" * 40)
    used = counters(ann)[0]
    atomic(ann, ops=[AtomicDelete("big"), put_op("new", "y" * 30)], limit=used)
    assert counters(ann) == stored(item_size("new", "y" * 30))


def test_an_operation_into_a_deleted_namespace_is_refused(ann):
    ann.delete_namespace("u1", "app")
    with pytest.raises(NotFound) as refused:
        atomic(ann, checks=[("k", None)], ops=[put_op("k", 1)])
    assert refused.value.code == "namespace_not_found"
    assert ann.get_item("n1", "k", at=T) is None
    assert ann.get_usage("u1", "2026-11").storage_bytes == 0


def test_an_operation_touches_only_its_own_namespace(ann):
    put(ann, "k", 1, namespace="n2", user="u2")
    atomic(ann, checks=[("k", None)], ops=[put_op("k", 2)])
    assert ann.get_item("n2", "k", at=T).value == 1
    assert ann.get_item("n1", "k", at=T).value == 2
    assert counters(ann, "u2") == stored(item_size("k", 1))


def test_of_two_operations_checking_one_version_exactly_one_applies(ann):
    put(ann, "k", 0)
    start = threading.Barrier(2)
    outcomes: list[str] = []

    def apply(value: int) -> None:
        start.wait()
        try:
            atomic(ann, checks=[("k", 1)], ops=[put_op("k", value), put_op(f"by{value}", 1)])
        except CheckFailed as refused:
            outcomes.append(f"failed {refused.failed}")
        else:
            outcomes.append("applied")

    threads = [threading.Thread(target=apply, args=(n,)) for n in (1, 2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(outcomes) == ["applied", "failed ['k']"]
    k = ann.get_item("n1", "k", at=T)
    assert k.version == 2
    winner = f"by{k.value}"
    loser = f"by{3 - k.value}"
    assert ann.get_item("n1", winner, at=T) is not None
    assert ann.get_item("n1", loser, at=T) is None
    assert counters(ann) == stored(item_size("k", k.value), item_size(winner, 1))


# --- counts under a prefix -------------------------------------------------------------


def test_count_keys_counts_live_items_under_a_prefix(ann):
    for key in ["a", "a/1", "a/2", "ab", "b/1", "é/1"]:
        put(ann, key, 1)
    put(ann, "a/gone", 1, expires_at=T + 1)
    put(ann, "a/x", 1, namespace="n2", user="u2")
    assert ann.count_keys("n1", prefix="a", at=T) == 5
    assert ann.count_keys("n1", prefix="a/", at=T) == 3
    assert ann.count_keys("n1", prefix="a/", at=T + 1) == 2
    assert ann.count_keys("n1", prefix="é", at=T) == 1
    assert ann.count_keys("n1", prefix="z", at=T) == 0


# --- deletions under a prefix ----------------------------------------------------------


def delete_prefix(store, prefix, limit, *, at=T):
    return store.delete_prefix(DeletePrefix("u1", "n1", prefix, limit, now=at_second(at)))


def test_delete_prefix_removes_pages_and_releases_bytes(ann):
    for i in range(7):
        put(ann, f"tmp/{i}", "x" * i)
    put(ann, "tmp", 1)  # the prefix "tmp/" does not hold "tmp"
    put(ann, "tmq/0", 1)
    first = delete_prefix(ann, "tmp/", 3)
    assert (first.count, first.more) == (3, True)
    assert ann.count_keys("n1", prefix="tmp/", at=T) == 4
    assert counters(ann) == stored(
        *(item_size(f"tmp/{i}", "x" * i) for i in range(3, 7)),
        item_size("tmp", 1),
        item_size("tmq/0", 1),
    )
    second = delete_prefix(ann, "tmp/", 4)
    assert (second.count, second.more) == (4, False)
    assert (delete_prefix(ann, "tmp/", 4).count, delete_prefix(ann, "tmp/", 4).more) == (0, False)
    assert counters(ann) == stored(item_size("tmp", 1), item_size("tmq/0", 1))
    assert ann.get_item("n1", "tmp", at=T).value == 1


def test_delete_prefix_removes_expired_items_but_counts_only_live_ones(ann):
    put(ann, "s/a", 1, expires_at=T + 1)
    put(ann, "s/b", 2)
    put(ann, "s/c", 3, expires_at=T + 1)
    deleted = delete_prefix(ann, "s/", 10, at=T + 1)
    assert (deleted.count, deleted.more) == (1, False)
    assert counters(ann) == (0, 0, 0)
    assert ann.sweep_expired(T + 1) == 0


def test_delete_prefix_leaves_other_namespaces_alone(ann):
    put(ann, "s/a", 1)
    put(ann, "s/a", 1, namespace="n2", user="u2")
    assert delete_prefix(ann, "s/", 10).count == 1
    assert ann.get_item("n2", "s/a", at=T).value == 1
    assert counters(ann, "u2") == stored(item_size("s/a", 1))


def test_racing_prefix_deletions_release_each_item_once(ann):
    sizes = [put(ann, f"r/{i:02}", "x" * i).size for i in range(40)]
    put(ann, "kept", 1)
    removed: list[int] = []
    start = threading.Barrier(4)

    def delete() -> None:
        start.wait()
        while True:
            deleted = delete_prefix(ann, "r/", 6)
            removed.append(deleted.count)
            if not deleted.more:
                break

    threads = [threading.Thread(target=delete) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sum(removed) == len(sizes)
    assert counters(ann) == stored(item_size("kept", 1))


# --- ranged and reversed lists ---------------------------------------------------------

KEYS = ["a", "a/1", "a/2", "a/3", "a/4", "b", "b/1", "é/1"]


@pytest.fixture
def many(ann):
    for key in KEYS:
        put(ann, key, 1, metadata={"k": key} if "/" in key else None)
    put(ann, "a/25", 1, expires_at=T + 1)
    return ann


def walk(store, *, limit, **options):
    """Every page of a listing, following the cursor: the keys and details seen."""
    seen, details, after = [], [], None
    while True:
        page = store.list_keys(
            ListKeys(namespace_id="n1", limit=limit, at=T + 1, after=after, **options)
        )
        seen.extend(page.keys)
        if page.details is not None:
            assert [info.key for info in page.details] == page.keys
            details.extend(page.details)
        if not page.more:
            return seen, details
        after = page.keys[-1]


@pytest.mark.parametrize("limit", [1, 2, 5])
@pytest.mark.parametrize(
    ("options", "expected"),
    [
        ({"prefix": "a/", "start": "a/2"}, ["a/2", "a/3", "a/4"]),
        ({"prefix": "a/", "end": "a/3"}, ["a/1", "a/2"]),
        ({"prefix": "a/", "start": "a/2", "end": "a/4", "reverse": True}, ["a/3", "a/2"]),
        ({"prefix": "a", "reverse": True}, ["a/4", "a/3", "a/2", "a/1", "a"]),
        ({"start": "a/3", "end": "b/1", "reverse": True}, ["b", "a/4", "a/3"]),
        ({"start": "b", "reverse": True}, ["é/1", "b/1", "b"]),
        ({"end": "a/2", "reverse": True}, ["a/1", "a"]),
        ({"prefix": "é", "reverse": True}, ["é/1"]),
        ({"prefix": "c"}, []),
    ],
)
def test_pages_of_ranges_with_prefix_and_direction(many, options, expected, limit):
    assert walk(many, limit=limit, **options) == (expected, [])
    keys, details = walk(many, limit=limit, details=True, **options)
    assert keys == expected
    assert details == [
        KeyInfo(key, 1, at_second(T), None, {"k": key} if "/" in key else None) for key in expected
    ]


def test_a_reversed_cursor_outside_the_range_starts_at_its_end(many):
    page = many.list_keys(ListKeys("n1", limit=10, at=T + 1, prefix="a/", after="z", reverse=True))
    assert (page.keys, page.more) == (["a/4", "a/3", "a/2", "a/1"], False)
    page = many.list_keys(
        ListKeys("n1", limit=10, at=T + 1, prefix="a/", after="a/1", reverse=True)
    )
    assert (page.keys, page.more) == ([], False)


@pytest.mark.parametrize(
    ("prefix", "keys"),
    [
        ("\ud7ff", ["\ud7ff", "\ud7ff/a"]),  # the next code point is past the surrogates
        ("\U0010ffff", ["\U0010ffff", "\U0010ffff\U0010ffff"]),  # nothing sorts above
    ],
)
def test_prefixes_at_the_edges_of_unicode(ann, prefix, keys):
    for key in [*keys, "\ue000", "a"]:
        put(ann, key, 1)
    assert walk(ann, limit=1, prefix=prefix) == (keys, [])
    assert walk(ann, limit=1, prefix=prefix, reverse=True) == (keys[::-1], [])
    assert ann.count_keys("n1", prefix=prefix, at=T) == len(keys)
    assert delete_prefix(ann, prefix, 10).count == len(keys)
    assert ann.get_item("n1", "\ue000", at=T).value == 1
