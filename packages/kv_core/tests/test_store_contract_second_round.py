"""The Store contract for the data plane's second round, run against every engine:
expiry to the second, metadata, increments, bulk writes, detailed and ranged lists and
the expiry sweep."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest

from kv_core.errors import Conflict, NotFound, PreconditionFailed, QuotaExceeded
from kv_core.model import KeyInfo, Namespace, User, isoformat, parse_iso
from kv_core.sizing import item_size
from kv_core.store import (
    ANY_ETAG,
    DeleteItem,
    DeleteItems,
    IncrementItem,
    ListKeys,
    PutEntry,
    PutItem,
    PutItems,
    unix_second,
)

NOW = "2026-11-25T10:00:00.000Z"
T = unix_second(NOW)  # the second of NOW


def at_second(second: int) -> str:
    """A timestamp in the unix second ``second`` (half-way through it)."""
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
            etag=options.pop("etag", f"e-{key}-{value}"),
            now=at_second(at),
            metadata=metadata,
            **options,
        )
    )


def increment(store, key, by, *, at=T, **options):
    return store.increment_item(
        IncrementItem(
            user_id="u1",
            namespace_id="n1",
            key=key,
            by=by,
            etag=options.pop("etag", f"i-{key}-{by}-{at}"),
            now=at_second(at),
            **options,
        )
    )


def entry(key, value, **options):
    return PutEntry(
        key, value, item_size(key, value, options.get("metadata")), f"b-{key}", **options
    )


def put_many(store, *entries, at=T, limit=None):
    return store.put_items(
        PutItems("u1", "n1", tuple(entries), now=at_second(at), storage_limit=limit)
    )


def delete_many(store, *keys, at=T):
    return store.delete_items(DeleteItems("u1", "n1", tuple(keys), now=at_second(at)))


def listing(store, *, at=T, **options):
    options.setdefault("limit", 100)
    return store.list_keys(ListKeys(namespace_id="n1", at=at, **options))


def keys(store, **options):
    found = listing(store, **options)
    return found.keys, found.more


def counters(store, user_id="u1", name="app"):
    ns = store.get_namespace(user_id, name)
    return store.get_usage(user_id, "2026-11").storage_bytes, ns.item_count, ns.size_bytes


def stored(*sizes):
    """The counters of items of these sizes."""
    return sum(sizes), len(sizes), sum(sizes)


# --- expiry ----------------------------------------------------------------------------


def test_an_item_is_gone_in_the_second_it_expires(ann):
    written = put(ann, "k", 1, expires_at=T + 10).item
    assert written.expires_at == T + 10
    assert ann.get_item("n1", "k", at=T + 9) == written
    assert ann.get_item("n1", "k", at=T + 10) is None
    assert ann.get_items("n1", ["k"], at=T + 9) == {"k": written}
    assert ann.get_items("n1", ["k"], at=T + 10) == {}
    assert keys(ann, at=T + 9) == (["k"], False)
    assert keys(ann, at=T + 10) == ([], False)


def test_a_permanent_item_never_expires(ann):
    put(ann, "k", 1)
    assert ann.get_item("n1", "k", at=T + 10**9).expires_at is None


def test_get_item_judges_at_the_current_second_by_default(ann):
    put(ann, "gone", 1, at=T - 100, expires_at=T - 50)
    put(ann, "kept", 1, expires_at=T + 10**8)
    assert ann.get_item("n1", "gone") is None
    assert ann.get_item("n1", "kept") is not None


def test_an_expired_item_fails_if_match_and_passes_if_absent(ann):
    etag = put(ann, "k", 1, expires_at=T + 10).item.etag
    with pytest.raises(PreconditionFailed):
        put(ann, "k", 2, at=T + 10, if_match=etag)
    with pytest.raises(PreconditionFailed):
        put(ann, "k", 2, at=T + 10, if_match=ANY_ETAG)
    with pytest.raises(PreconditionFailed):
        put(ann, "k", 2, at=T + 9, if_absent=True)
    written = put(ann, "k", 3, at=T + 10, if_absent=True)
    assert written.created
    assert written.item.version == 1
    assert ann.get_item("n1", "k", at=T + 100).value == 3


def test_a_put_over_an_expired_item_creates_it_anew(ann):
    put(ann, "k", 1, expires_at=T + 10)
    put(ann, "k", 2, expires_at=T + 10)  # version 2
    again = put(ann, "k", "new", at=T + 20)
    assert again.created
    assert again.item.version == 1
    assert again.item.created_at == at_second(T + 20)
    assert again.item.expires_at is None  # a put without an expiry makes it permanent
    assert counters(ann) == stored(item_size("k", "new"))


def test_a_replacement_keeps_created_at_and_counts_versions(ann):
    first = put(ann, "k", 1, expires_at=T + 10).item
    second = put(ann, "k", 2, at=T + 5, expires_at=T + 100)
    assert not second.created
    assert second.item.version == 2
    assert second.item.created_at == first.created_at
    assert ann.get_item("n1", "k", at=T + 50).value == 2


def test_deleting_an_expired_item_is_not_found(ann):
    put(ann, "k", 1, expires_at=T + 10)
    with pytest.raises(NotFound):
        ann.delete_item(DeleteItem("u1", "n1", "k", at=T + 10))
    etag = ann.get_item("n1", "k", at=T).etag
    with pytest.raises(NotFound):
        ann.delete_item(DeleteItem("u1", "n1", "k", if_match=etag, at=T + 10))
    deleted = ann.delete_item(DeleteItem("u1", "n1", "k", at=T + 9))
    assert deleted.item.value == 1
    assert counters(ann) == (0, 0, 0)


def test_an_expired_item_counts_until_it_is_swept(ann):
    put(ann, "k", 1, expires_at=T + 10)
    size = item_size("k", 1)
    assert counters(ann) == stored(size)
    assert ann.get_item("n1", "k", at=T + 10) is None
    assert counters(ann) == stored(size)


# --- metadata --------------------------------------------------------------------------


def test_metadata_round_trips_and_counts_in_the_size(ann):
    metadata = {"owner": "ann", "tags": ["a", "é"], "n": 1.5}
    written = put(ann, "k", {"v": 1}, metadata=metadata).item
    assert written.metadata == metadata
    assert written.size == item_size("k", {"v": 1}, metadata)
    assert ann.get_item("n1", "k", at=T).metadata == metadata
    assert ann.get_items("n1", ["k"], at=T)["k"].metadata == metadata
    assert counters(ann) == stored(item_size("k", {"v": 1}, metadata))


def test_the_next_put_replaces_the_metadata(ann):
    put(ann, "k", 1, metadata={"a": "long metadata"})
    put(ann, "k", 1, metadata={"b": 2})
    assert ann.get_item("n1", "k", at=T).metadata == {"b": 2}
    put(ann, "k", 1)
    assert ann.get_item("n1", "k", at=T).metadata is None
    assert counters(ann) == stored(item_size("k", 1))


# --- increments ------------------------------------------------------------------------


def test_an_increment_of_a_missing_item_starts_at_zero(ann):
    first = increment(ann, "n", 5)
    assert first.created
    assert (first.item.value, first.item.version) == (5, 1)
    second = increment(ann, "n", -2)
    assert not second.created
    assert (second.item.value, second.item.version) == (3, 2)
    assert second.item.etag != first.item.etag
    assert ann.get_item("n1", "n", at=T) == second.item
    assert counters(ann) == stored(item_size("n", 3))


@pytest.mark.parametrize(
    ("start", "steps", "end"),
    [
        (0, [1, 2, 3], 6),
        (0.1, [0.2], 0.3),
        (1, [0.5], 1.5),
        (1.5, [-1.5], 0.0),
        (10**30, [1], 10**30 + 1),
        (-7, [7], 0),
    ],
)
def test_increments_add_as_decimals(ann, start, steps, end):
    put(ann, "n", start)
    for step in steps:
        result = increment(ann, "n", step).item.value
    assert result == end
    assert type(result) is type(end)
    assert ann.get_item("n1", "n", at=T).value == end


@pytest.mark.parametrize("value", ["1", None, True, [1], {"n": 1}])
def test_an_increment_of_a_value_that_is_not_a_number(ann, value):
    written = put(ann, "k", value).item
    with pytest.raises(Conflict) as refused:
        increment(ann, "k", 1)
    assert refused.value.code == "not_a_number"
    assert ann.get_item("n1", "k", at=T) == written


def test_an_increment_past_the_exact_range_is_refused(ann):
    put(ann, "n", 10**37 * 9)
    with pytest.raises(Conflict) as refused:
        increment(ann, "n", 10**37 * 2)
    assert refused.value.code == "number_out_of_range"
    assert ann.get_item("n1", "n", at=T).value == 10**37 * 9


def test_an_increment_keeps_the_expiry_and_metadata_unless_it_names_an_expiry(ann):
    put(ann, "n", 1, expires_at=T + 100, metadata={"m": 1})
    kept = increment(ann, "n", 1).item
    assert (kept.value, kept.expires_at, kept.metadata) == (2, T + 100, {"m": 1})
    assert kept.size == item_size("n", 2, {"m": 1})
    moved = increment(ann, "n", 1, expires_at=T + 200).item
    assert moved.expires_at == T + 200
    assert ann.get_item("n1", "n", at=T + 150).value == 3
    assert counters(ann) == stored(item_size("n", 3, {"m": 1}))


def test_an_increment_of_an_expired_item_starts_again(ann):
    put(ann, "n", 41, expires_at=T + 10, metadata={"m": 1})
    again = increment(ann, "n", 1, at=T + 10)
    assert again.created
    assert (again.item.value, again.item.version) == (1, 1)
    assert again.item.expires_at is None
    assert again.item.metadata is None
    assert counters(ann) == stored(item_size("n", 1))


def test_an_increment_with_an_expiry_on_a_new_item(ann):
    written = increment(ann, "n", 1, expires_at=T + 5).item
    assert written.expires_at == T + 5
    assert ann.get_item("n1", "n", at=T + 5) is None


def test_an_increment_within_the_storage_quota(ann):
    put(ann, "n", 9)  # 2 bytes
    with pytest.raises(QuotaExceeded):
        increment(ann, "n", 1, storage_limit=2)  # 10 is 3 bytes
    assert ann.get_item("n1", "n", at=T).value == 9
    with pytest.raises(QuotaExceeded):
        increment(ann, "m", 1, storage_limit=3)
    assert ann.get_item("n1", "m", at=T) is None
    assert increment(ann, "n", -1, storage_limit=2).item.value == 8  # not growing
    assert counters(ann) == stored(2)


def test_an_increment_into_a_deleted_namespace_is_refused(ann):
    ann.delete_namespace("u1", "app")
    with pytest.raises(NotFound):
        increment(ann, "n", 1)


# --- bulk writes -----------------------------------------------------------------------


def test_put_items_writes_every_item_and_counts_it_exactly(ann):
    put(ann, "old", "a long value to replace")
    written = put_many(
        ann,
        entry("a", 1),
        entry("b", {"x": [1, 2]}, metadata={"m": "é"}),
        entry("old", "short", expires_at=T + 100),
    )
    assert written.count == 3
    got = ann.get_items("n1", ["a", "b", "old", "none"], at=T)
    assert sorted(got) == ["a", "b", "old"]
    assert got["b"].value == {"x": [1, 2]}
    assert got["b"].metadata == {"m": "é"}
    assert got["b"].etag == "b-b"
    assert (got["old"].value, got["old"].version, got["old"].expires_at) == ("short", 2, T + 100)
    assert got["a"].version == 1
    assert counters(ann) == stored(
        item_size("a", 1), item_size("b", {"x": [1, 2]}, {"m": "é"}), item_size("old", "short")
    )


def test_put_items_over_an_expired_item_creates_it_anew(ann):
    put(ann, "k", 1, expires_at=T + 10)
    put_many(ann, entry("k", 2), at=T + 10)
    again = ann.get_item("n1", "k", at=T + 10)
    assert (again.value, again.version, again.expires_at) == (2, 1, None)
    assert counters(ann) == stored(item_size("k", 2))


def test_a_bulk_put_past_the_storage_quota_writes_nothing(ann):
    put(ann, "a", 1)  # 2 bytes
    before = counters(ann)
    with pytest.raises(QuotaExceeded):
        put_many(ann, entry("b", 1), entry("c", 12345), limit=9)  # 2 + 2 + 6 = 10
    assert ann.get_items("n1", ["b", "c"], at=T) == {}
    assert counters(ann) == before
    assert put_many(ann, entry("b", 1), entry("c", 1234), limit=9).count == 2
    assert counters(ann) == stored(2, 2, 5)


def test_a_bulk_put_that_shrinks_goes_over_the_quota(ann):
    put(ann, "a", "x" * 20)
    assert put_many(ann, entry("a", "x"), entry("b", 1), limit=5).count == 2
    assert counters(ann) == stored(item_size("a", "x"), 2)


def test_a_bulk_put_into_a_deleted_namespace_is_refused(ann):
    ann.delete_namespace("u1", "app")
    with pytest.raises(NotFound):
        put_many(ann, entry("a", 1))


def test_delete_items_counts_only_live_items_and_releases_their_bytes(ann):
    put(ann, "a", 1)
    put(ann, "b", 22)
    put(ann, "gone", 3, expires_at=T + 1)
    put(ann, "kept", 4)
    deleted = delete_many(ann, "a", "b", "gone", "never", at=T + 1)
    assert deleted.count == 2
    assert ann.get_items("n1", ["a", "b", "kept"], at=T) == {
        "kept": ann.get_item("n1", "kept", at=T)
    }
    # the expired one still counts until the sweep takes it
    assert counters(ann) == stored(item_size("gone", 3), item_size("kept", 4))
    assert delete_many(ann, "a", "b").count == 0


def test_get_items_finds_only_the_namespaces_own_items(ann):
    put(ann, "k", 1)
    put(ann, "k", 2, namespace="n2", user="u2")
    assert ann.get_items("n1", ["k"], at=T)["k"].value == 1
    assert ann.get_items("n2", ["k"], at=T)["k"].value == 2
    assert ann.get_items("n1", [f"k{i}" for i in range(100)], at=T) == {}


# --- listing ---------------------------------------------------------------------------


def test_a_detailed_list_says_everything_but_the_value(ann):
    put(ann, "a", 1, metadata={"m": [1]}, expires_at=T + 100)
    put(ann, "b", 2)
    put(ann, "b", 3, at=T + 1)
    found = listing(ann, details=True)
    assert found.keys == ["a", "b"]
    assert found.details == [
        KeyInfo("a", 1, at_second(T), T + 100, {"m": [1]}),
        KeyInfo("b", 2, at_second(T + 1), None, None),
    ]
    assert listing(ann).details is None
    assert listing(ann, at=T + 100, details=True).details == [
        KeyInfo("b", 2, at_second(T + 1), None, None)
    ]


KEYS = ["a", "a/1", "a/2", "a/3", "b", "b/1", "c", "é"]


@pytest.fixture
def many(ann):
    for key in KEYS:
        put(ann, key, 1)
    put(ann, "a/gone", 1, expires_at=T + 1)
    return ann


@pytest.mark.parametrize(
    ("options", "expected"),
    [
        ({}, KEYS),
        ({"prefix": "a/"}, ["a/1", "a/2", "a/3"]),
        ({"prefix": "a/", "after": "a/1"}, ["a/2", "a/3"]),
        ({"prefix": "a/", "after": "0"}, ["a/1", "a/2", "a/3"]),
        ({"start": "a/2"}, ["a/2", "a/3", "b", "b/1", "c", "é"]),
        ({"end": "b"}, ["a", "a/1", "a/2", "a/3"]),
        ({"start": "a/2", "end": "b/1"}, ["a/2", "a/3", "b"]),
        ({"start": "a/2", "end": "b/1", "after": "a/3"}, ["b"]),
        ({"prefix": "a/", "start": "a/2", "end": "z"}, ["a/2", "a/3"]),
        ({"prefix": "b", "start": "a", "end": "b/"}, ["b"]),
        ({"reverse": True}, KEYS[::-1]),
        ({"reverse": True, "prefix": "a/"}, ["a/3", "a/2", "a/1"]),
        ({"reverse": True, "prefix": "a/", "after": "a/3"}, ["a/2", "a/1"]),
        ({"reverse": True, "start": "a/2", "end": "b/1"}, ["b", "a/3", "a/2"]),
        ({"reverse": True, "start": "a/2", "end": "c", "after": "b"}, ["a/3", "a/2"]),
        ({"start": "d", "end": "c"}, []),
    ],
)
def test_lists_by_prefix_range_cursor_and_direction(many, options, expected):
    assert keys(many, at=T + 1, limit=1000, **options) == (expected, False)


@pytest.mark.parametrize("reverse", [False, True])
def test_pages_walk_a_range_in_either_direction(many, reverse):
    walked, after = [], None
    while True:
        page, more = keys(many, at=T + 1, limit=3, after=after, reverse=reverse)
        walked.extend(page)
        if not more:
            break
        after = page[-1]
    assert walked == (KEYS[::-1] if reverse else KEYS)


def test_expired_items_do_not_end_a_page_early(ann):
    for i in range(10):
        put(ann, f"k{i}", 1, expires_at=T + 1 if i % 2 else None)
    assert keys(ann, at=T + 1, limit=3) == (["k0", "k2", "k4"], True)
    assert keys(ann, at=T + 1, limit=3, after="k4") == (["k6", "k8"], False)


# --- the sweep -------------------------------------------------------------------------


def test_the_sweep_removes_only_expired_items_and_releases_their_bytes(ann):
    put(ann, "gone1", 1, expires_at=T + 1)
    put(ann, "gone2", 22, expires_at=T + 2, metadata={"m": 1})
    put(ann, "later", 3, expires_at=T + 3)
    put(ann, "kept", 4)
    put(ann, "theirs", 5, namespace="n2", user="u2", expires_at=T + 1)
    assert ann.sweep_expired(T) == 0
    assert ann.sweep_expired(T + 2) == 3
    assert counters(ann) == stored(item_size("later", 3), item_size("kept", 4))
    assert counters(ann, "u2") == (0, 0, 0)
    assert ann.get_item("n1", "later", at=T + 2).value == 3
    assert ann.sweep_expired(T + 2) == 0
    assert ann.get_item("n1", "gone1", at=T) is None  # removed, not only hidden


def test_the_sweep_takes_at_most_its_limit(ann):
    for i in range(7):
        put(ann, f"k{i}", i, expires_at=T + 1)
    assert ann.sweep_expired(T + 1, limit=3) == 3
    assert ann.sweep_expired(T + 1, limit=3) == 3
    assert ann.sweep_expired(T + 1, limit=3) == 1
    assert counters(ann) == (0, 0, 0)


def test_a_sweep_spares_an_item_written_again_without_expiry(ann):
    put(ann, "k", 1, expires_at=T + 1)
    put(ann, "k", 2, at=T + 2)
    assert ann.sweep_expired(T + 5) == 0
    assert ann.get_item("n1", "k", at=T + 5).value == 2


def test_racing_sweeps_release_each_item_once(ann):
    sizes = []
    for i in range(60):
        sizes.append(put(ann, f"k{i}", "x" * i, expires_at=T + 1).item.size)
    put(ann, "kept", 1)
    removed: list[int] = []
    start = threading.Barrier(4)

    def sweep() -> None:
        start.wait()
        while True:
            swept = ann.sweep_expired(T + 1, limit=7)
            removed.append(swept)
            if swept < 7:
                break

    threads = [threading.Thread(target=sweep) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sum(removed) == 60
    assert counters(ann) == stored(item_size("kept", 1))
