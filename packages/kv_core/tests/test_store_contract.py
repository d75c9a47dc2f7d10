"""The Store contract: one suite, run unchanged against every engine."""

from __future__ import annotations

from dataclasses import replace

import pytest

from kv_core.errors import Conflict, NotFound, PreconditionFailed, QuotaExceeded
from kv_core.hashing import digest
from kv_core.model import ApiKey, Namespace, ResetToken, Session, User
from kv_core.store import DeleteItem, PlanEvent, PutItem, RequestBatch
from kv_core.store.testing import listed

NOW = "2026-11-25T10:00:00.000Z"
LATER = "2026-11-25T10:05:00.000Z"


def user(n: int = 1, plan: str = "free") -> User:
    return User(f"u{n}", f"user{n}@example.com", "hash", plan, NOW, NOW)


def namespace(n: int = 1, owner: int = 1, name: str = "app") -> Namespace:
    return Namespace(f"n{n}", f"u{owner}", name, NOW)


def api_key(n: int = 1, owner: int = 1, ns: int = 1, access: str = "read-write") -> ApiKey:
    return ApiKey(
        f"k{n}", f"u{owner}", f"n{ns}", "app", f"key {n}", access, digest(f"raw{n}"), "kv_ab", NOW
    )


@pytest.fixture
def ann(store):
    """User u1 with namespace n1 ('app')."""
    store.create_user(user(1))
    store.create_namespace(namespace(1))
    return store


def put(store, key, value, size=None, etag="e1", **options):
    """Put into u1's n1; the store's :class:`Written`."""
    return store.put_item(
        PutItem(
            user_id="u1",
            namespace_id="n1",
            key=key,
            value=value,
            size=size if size is not None else len(key) + len(str(value)),
            etag=etag,
            now=options.pop("now", NOW),
            **options,
        )
    )


def put_created(store, key, value, **options):
    written = put(store, key, value, **options)
    return written.item, written.created


def delete(store, key, **options):
    return store.delete_item(DeleteItem(user_id="u1", namespace_id="n1", key=key, **options))


def counters(store, user_id="u1", name="app"):
    ns = store.get_namespace(user_id, name)
    return store.get_usage(user_id, "2026-11").storage_bytes, ns.item_count, ns.size_bytes


# --- users -----------------------------------------------------------------------------


def test_users_are_found_by_id_and_email(store):
    store.create_user(user(1))
    assert store.get_user("u1") == user(1)
    assert store.get_user_by_email("user1@example.com") == user(1)
    assert store.get_user("nobody") is None
    assert store.get_user_by_email("nobody@example.com") is None


def test_an_email_is_taken_once(store):
    store.create_user(user(1))
    with pytest.raises(Conflict) as error:
        store.create_user(User("u2", "user1@example.com", "h", "free", NOW, NOW))
    assert error.value.code == "email_taken"
    assert store.get_user("u2") is None


def test_set_plan(store):
    store.create_user(user(1))
    store.set_plan("u1", "pro", LATER)
    changed = store.get_user("u1")
    assert (changed.plan, changed.updated_at) == ("pro", LATER)
    with pytest.raises(NotFound):
        store.set_plan("nobody", "pro", LATER)
    assert store.get_user("nobody") is None


def test_set_plan_keeps_the_accounts_own_limits_with_it(store):
    store.create_user(user(1))
    store.set_plan("u1", "business", LATER, requests_limit=5_000, storage_limit=0)
    changed = store.get_user("u1")
    assert (changed.plan, changed.requests_limit, changed.storage_limit) == ("business", 5_000, 0)
    store.set_plan("u1", "pro", LATER)
    changed = store.get_user("u1")
    assert (changed.plan, changed.requests_limit, changed.storage_limit) == ("pro", None, None)
    assert store.get_user_by_email("user1@example.com") == changed


def test_disable_and_enable(store):
    store.create_user(user(1))
    store.set_disabled("u1", LATER, LATER)
    assert store.get_user("u1").disabled_at == LATER
    assert store.get_user("u1").disabled
    store.set_disabled("u1", None, LATER)
    assert not store.get_user("u1").disabled
    with pytest.raises(NotFound):
        store.set_disabled("nobody", LATER, LATER)
    assert store.get_user("nobody") is None


def test_iter_users_yields_every_user(store):
    for n in range(1, 4):
        store.create_user(user(n))
    assert sorted(u.id for u in store.iter_users()) == ["u1", "u2", "u3"]


# --- namespaces ------------------------------------------------------------------------


def test_namespaces_are_per_user_and_unique_by_name(ann):
    ann.create_user(user(2))
    ann.create_namespace(namespace(2, owner=2))  # the same name for another user is fine
    with pytest.raises(Conflict) as error:
        ann.create_namespace(Namespace("n3", "u1", "app", NOW))
    assert error.value.code == "namespace_exists"
    ann.create_namespace(namespace(4, name="alpha"))
    assert [n.name for n in ann.list_namespaces("u1")] == ["alpha", "app"]
    assert ann.get_namespace("u1", "app") == namespace(1)
    assert ann.get_namespace("u2", "app").id == "n2"
    assert ann.get_namespace("u1", "missing") is None


def test_namespaces_carry_live_counts(ann):
    put(ann, "a", 1, size=10)
    put(ann, "b", 2, size=5)
    spaces = ann.list_namespaces("u1")
    assert [(n.item_count, n.size_bytes) for n in spaces] == [(2, 15)]
    assert counters(ann) == (15, 2, 15)


def test_delete_namespace_cascades_and_releases_bytes(ann):
    ann.create_namespace(namespace(2, name="other"))
    ann.create_api_key(api_key(1))
    ann.create_api_key(
        ApiKey("k2", "u1", "n2", "other", "k", "read-write", digest("raw2"), "p", NOW)
    )
    put(ann, "a", 1, size=10)
    for i in range(30):
        put(ann, f"bulk/{i:02}", i, size=3)
    ann.put_item(
        PutItem(user_id="u1", namespace_id="n2", key="kept", value=1, size=7, etag="e", now=NOW)
    )
    deleted = ann.delete_namespace("u1", "app")
    assert (deleted.id, deleted.item_count, deleted.size_bytes) == ("n1", 31, 100)
    assert ann.get_namespace("u1", "app") is None
    assert ann.get_item("n1", "a") is None
    assert listed(ann, "n1", limit=100) == ([], False)
    assert ann.resolve_api_key(digest("raw1")) is None
    assert [k.id for k in ann.list_api_keys("u1")] == ["k2"]
    assert ann.get_usage("u1", "2026-11").storage_bytes == 7
    assert ann.get_item("n2", "kept").value == 1
    assert ann.delete_namespace("u1", "app") is None


def test_a_namespace_made_again_starts_empty(ann):
    put(ann, "a", 1, size=10)
    ann.delete_namespace("u1", "app")
    ann.create_namespace(Namespace("n9", "u1", "app", LATER))
    assert counters(ann) == (0, 0, 0)


def test_a_write_to_a_deleted_namespace_is_refused_and_leaves_nothing(ann):
    ann.delete_namespace("u1", "app")
    with pytest.raises(NotFound) as error:
        put(ann, "late", 1, size=4)
    assert error.value.code == "namespace_not_found"
    assert ann.get_item("n1", "late") is None
    assert ann.get_usage("u1", "2026-11").storage_bytes == 0


# --- API keys --------------------------------------------------------------------------


def test_api_keys_resolve_list_touch_and_revoke(ann):
    ann.create_api_key(api_key(1))
    ann.create_api_key(api_key(2, access="read-only"))
    key, owner = ann.resolve_api_key(digest("raw1"))
    assert key == api_key(1)
    assert owner == user(1)
    assert ann.resolve_api_key(digest("unknown")) is None
    assert [k.id for k in ann.list_api_keys("u1")] == ["k1", "k2"]
    ann.touch_api_key("u1", "k1", LATER)
    assert ann.list_api_keys("u1")[0].last_used_at == LATER
    assert ann.delete_api_key("u1", "k2").access == "read-only"
    assert ann.delete_api_key("u1", "k2") is None
    assert ann.resolve_api_key(digest("raw2")) is None
    ann.touch_api_key("u1", "k2", LATER)  # a late touch does not bring it back
    assert [k.id for k in ann.list_api_keys("u1")] == ["k1"]


def test_another_user_cannot_revoke_a_key(ann):
    ann.create_user(user(2))
    ann.create_api_key(api_key(1))
    assert ann.delete_api_key("u2", "k1") is None
    assert ann.resolve_api_key(digest("raw1")) is not None


def test_a_resolved_key_carries_the_owners_current_plan(ann):
    ann.create_api_key(api_key(1))
    ann.set_plan("u1", "pro", LATER)
    assert ann.resolve_api_key(digest("raw1"))[1].plan == "pro"
    ann.set_plan("u1", "business", LATER, requests_limit=7)
    assert ann.resolve_api_key(digest("raw1"))[1].requests_limit == 7
    ann.set_disabled("u1", LATER, LATER)
    assert ann.resolve_api_key(digest("raw1"))[1].disabled


# --- items -----------------------------------------------------------------------------


def test_put_creates_then_replaces_with_versions(ann):
    item, created = put_created(ann, "a/b", {"x": 1}, size=10, etag="e1")
    assert created
    assert (item.version, item.etag, item.created_at, item.updated_at) == (1, "e1", NOW, NOW)
    item, created = put_created(ann, "a/b", {"x": [1, 2]}, size=14, etag="e2", now=LATER)
    assert not created
    assert (item.version, item.etag, item.created_at, item.updated_at) == (2, "e2", NOW, LATER)
    assert ann.get_item("n1", "a/b") == item
    assert counters(ann) == (14, 1, 14)


@pytest.mark.parametrize(
    "value", [None, True, 0, -1.5, "text", "ünï ✓", [], {}, {"nested": {"deep": [1, {"a": None}]}}]
)
def test_values_round_trip(ann, value):
    put(ann, "k", value, size=9)
    assert ann.get_item("n1", "k").value == value


def test_if_match_and_if_absent(ann):
    put(ann, "k", 1, size=5, etag="e1")
    with pytest.raises(PreconditionFailed):
        put(ann, "k", 2, size=50, etag="e2", if_match="stale")
    with pytest.raises(PreconditionFailed):
        put(ann, "k", 2, size=50, etag="e2", if_absent=True)
    assert ann.get_item("n1", "k").etag == "e1"
    assert counters(ann) == (5, 1, 5)
    item = put(ann, "k", 3, size=6, etag="e3", if_match="e1").item
    assert item.version == 2
    with pytest.raises(PreconditionFailed):
        put(ann, "new", 1, size=5, etag="e4", if_match="e3")
    assert ann.get_item("n1", "new") is None
    assert put(ann, "new", 1, size=5, etag="e5", if_absent=True).created


def test_if_match_any_needs_a_current_item(ann):
    with pytest.raises(PreconditionFailed):
        put(ann, "k", 1, size=5, etag="e1", if_match="*")
    assert ann.get_item("n1", "k") is None
    assert counters(ann) == (0, 0, 0)
    put(ann, "k", 1, size=5, etag="e1")
    item, created = put_created(ann, "k", 2, size=6, etag="e2", if_match="*")
    assert (item.version, created) == (2, False)
    deleted = delete(ann, "k", if_match="*").item
    assert deleted.etag == "e2"
    with pytest.raises(NotFound):
        delete(ann, "k", if_match="*")


def test_storage_limit_refuses_growth_past_it_and_writes_nothing(ann):
    put(ann, "a", 1, size=60, storage_limit=100)
    with pytest.raises(QuotaExceeded) as error:
        put(ann, "b", 2, size=41, storage_limit=100, etag="eb")
    assert error.value.code == "storage_quota_exceeded"
    assert ann.get_item("n1", "b") is None
    with pytest.raises(QuotaExceeded):
        put(ann, "a", 3, size=101, storage_limit=100, etag="ea")
    assert ann.get_item("n1", "a").value == 1
    assert counters(ann) == (60, 1, 60)
    put(ann, "b", 2, size=40, storage_limit=100)  # exactly to the limit
    assert counters(ann) == (100, 2, 100)
    put(ann, "a", 4, size=20, storage_limit=100)  # shrinking is always allowed
    assert counters(ann) == (60, 2, 60)


def test_over_the_limit_after_a_downgrade_writes_may_shrink_but_not_grow(ann):
    put(ann, "a", 1, size=60)
    put(ann, "b", 2, size=40)
    put(ann, "a", 3, size=20, storage_limit=50)  # still over 50, but smaller
    put(ann, "b", 4, size=40, storage_limit=50)  # the same size
    with pytest.raises(QuotaExceeded):
        put(ann, "b", 5, size=41, storage_limit=50, etag="eb")
    with pytest.raises(QuotaExceeded):
        put(ann, "c", 6, size=1, storage_limit=50, etag="ec")
    assert counters(ann) == (60, 2, 60)
    assert ann.get_item("n1", "b").value == 4


def test_delete_releases_bytes_and_honours_if_match(ann):
    put(ann, "a", 1, size=10, etag="e1")
    put(ann, "b", 1, size=7, etag="e2")
    with pytest.raises(PreconditionFailed):
        delete(ann, "a", if_match="stale")
    assert ann.get_item("n1", "a") is not None
    deleted = delete(ann, "a", if_match="e1").item
    assert (deleted.key, deleted.size, deleted.value) == ("a", 10, 1)
    assert ann.get_item("n1", "a") is None
    assert counters(ann) == (7, 1, 7)
    with pytest.raises(NotFound) as error:
        delete(ann, "a")
    assert error.value.code == "item_not_found"
    with pytest.raises(NotFound):
        delete(ann, "a", if_match="e1")
    assert counters(ann) == (7, 1, 7)


def test_items_are_kept_per_namespace(ann):
    ann.create_namespace(namespace(2, name="other"))
    put(ann, "same", "one")
    ann.put_item(
        PutItem(user_id="u1", namespace_id="n2", key="same", value="two", size=3, etag="e", now=NOW)
    )
    assert ann.get_item("n1", "same").value == "one"
    assert ann.get_item("n2", "same").value == "two"
    assert listed(ann, "n2", limit=10) == (["same"], False)


# --- listing ---------------------------------------------------------------------------


def all_pages(store, prefix="", limit=7):
    keys, after = [], None
    while True:
        page, more = listed(store, "n1", prefix=prefix, after=after, limit=limit)
        assert len(page) <= limit
        keys.extend(page)
        if not more:
            return keys
        after = page[-1]


def test_pagination_across_many_pages(ann):
    written = [f"item/{i:03}" for i in range(50)]
    for key in reversed(written):
        put(ann, key, 0, size=1)
    assert all_pages(ann) == written
    assert listed(ann, "n1", limit=50) == (written, False)
    assert listed(ann, "n1", limit=49) == (written[:49], True)


AWKWARD = [
    "",
    "#",
    "#x",
    "/",
    "a",
    "a/",
    "a/b",
    "a/b/c",
    "ab",
    "b",
    "é",
    "éa",
    "ключ",
    "日本",
    "🙂",
]


@pytest.mark.parametrize("prefix", ["", "a", "a/", "a/b", "#", "/", "é", "ключ", "🙂", "zzz"])
def test_prefix_edge_cases(ann, prefix):
    stored = [k for k in AWKWARD if k]
    for key in stored:
        put(ann, key, 0, size=1)
    expected = sorted((k for k in stored if k.startswith(prefix)), key=lambda k: k.encode())
    assert all_pages(ann, prefix=prefix, limit=2) == expected
    assert listed(ann, "n1", prefix=prefix, limit=1000) == (expected, False)


def test_a_cursor_key_that_was_deleted_still_continues(ann):
    for key in ["a", "b", "c", "d"]:
        put(ann, key, 0, size=1)
    page, _ = listed(ann, "n1", limit=2)
    delete(ann, page[-1])
    assert listed(ann, "n1", after=page[-1], limit=2) == (["c", "d"], False)


# --- usage -----------------------------------------------------------------------------


def test_admit_requests_stops_at_the_limit(store):
    store.create_user(user(1))
    assert [store.admit_requests("u1", "2026-11", 1, 3) for _ in range(4)] == [1, 2, 3, None]
    assert store.admit_requests("u1", "2026-11", 5, 3) is None
    assert store.admit_requests("u1", "2026-12", 2, 3) == 2
    assert store.add_requests("u1", "2026-11", 4) == 7
    assert store.get_usage("u1", "2026-11").requests == 7
    assert store.request_history("u1", ["2026-10", "2026-11", "2026-12"]) == {
        "2026-10": 0,
        "2026-11": 7,
        "2026-12": 2,
    }
    assert store.get_usage("u1", "2027-01").requests == 0


def test_admitting_more_than_the_limit_at_once_is_refused(store):
    store.create_user(user(1))
    assert store.admit_requests("u1", "2026-11", 4, 3) is None
    assert store.get_usage("u1", "2026-11").requests == 0


def carried(store, batch, total, before):
    """Whether a write counted the batch it carried: then it reported the new total;
    else it reported nothing and counted nothing (an engine may always decline)."""
    now = store.get_usage("u1", "2026-11").requests
    if total is None:
        assert now == before
        return False
    assert total == now == before + batch.count
    return True


def test_writes_may_carry_request_counts(ann):
    ann.add_requests("u1", "2026-11", 10)
    batch = RequestBatch("2026-11", 3)
    written = put(ann, "a", 1, requests=batch)
    created = carried(ann, batch, written.requests_total, 10)
    batch = RequestBatch("2026-11", 2)
    deleted = delete(ann, "a", requests=batch)
    assert carried(ann, batch, deleted.requests_total, 13 if created else 10) == created
    assert ann.remote == created  # DynamoDB counts along; SQLite counts exactly anyway


def test_a_refused_write_counts_none_of_the_requests_it_carried(ann):
    ann.add_requests("u1", "2026-11", 10)
    put(ann, "a", 1, size=10)
    refusals = [
        lambda batch: put(ann, "b", 1, size=11, storage_limit=20, requests=batch),
        lambda batch: put(ann, "a", 2, if_absent=True, requests=batch),
        lambda batch: delete(ann, "nothing", requests=batch),
        lambda batch: delete(ann, "a", if_match="other", requests=batch),
    ]
    for refuse in refusals:
        batch = RequestBatch("2026-11", 3)
        with pytest.raises((QuotaExceeded, PreconditionFailed, NotFound)):
            refuse(batch)
        assert not carried(ann, batch, None, 10)
    assert counters(ann) == (10, 1, 10)


# --- markers and login throttling -------------------------------------------------------


def test_mark_once(store):
    assert store.mark_once("paddle", "evt_1", NOW)
    assert not store.mark_once("paddle", "evt_1", LATER)
    assert store.mark_once("alerts", "evt_1", NOW)


def test_login_attempts_count_in_a_window(store):
    subject, window = "ann@example.com 10.0.0.1", 600
    assert [store.count_login_attempt(subject, NOW, window) for _ in range(3)] == [1, 2, 3]
    assert store.count_login_attempt(subject, LATER, window) == 4
    after_window = "2026-11-25T10:10:00.001Z"
    assert store.count_login_attempt(subject, after_window, window) == 1
    assert store.count_login_attempt("ann@example.com 10.0.0.2", after_window, window) == 1
    store.clear_login_attempts(subject)
    assert store.count_login_attempt(subject, after_window, window) == 1
    store.clear_login_attempts("never-tried@example.com 10.0.0.1")


# --- sessions --------------------------------------------------------------------------


def session(user_id="u1", token="t1", expires=LATER):
    return Session(user_id, digest(token), NOW, expires)


def test_sessions_are_found_by_user_and_hash_and_end(store):
    store.create_user(user(1))
    store.create_session(session())
    assert store.get_session("u1", digest("t1")) == session()
    assert store.get_session("u2", digest("t1")) is None  # another user's id
    assert store.get_session("u1", digest("t2")) is None
    store.delete_session("u1", digest("t1"))
    assert store.get_session("u1", digest("t1")) is None
    store.delete_session("u1", digest("t1"))  # ending it twice is fine


def test_every_other_session_of_a_user_can_be_ended(store):
    for token in ("t1", "t2", "t3"):
        store.create_session(session(token=token))
    store.create_session(session("u2", "t4"))
    assert store.delete_sessions("u1", keep=digest("t2")) == 2
    assert [store.get_session("u1", digest(t)) is not None for t in ("t1", "t2", "t3")] == [
        False,
        True,
        False,
    ]
    assert store.get_session("u2", digest("t4")) is not None
    assert store.delete_sessions("u1") == 1


# --- billing ----------------------------------------------------------------------------

T1, T2, T3 = (f"2026-11-25T10:00:0{n}.000000Z" for n in (1, 2, 3))


def plan_event(event_id, user_id="u1", sub="sub_1", occurred=T1, plan="pro"):
    return PlanEvent(event_id, sub, user_id, occurred, plan, NOW)


def test_a_plan_event_is_applied_once(store):
    store.create_user(user(1))
    assert store.apply_plan_event(plan_event("e1")) == "applied"
    assert store.get_user("u1").plan == "pro"
    assert store.apply_plan_event(plan_event("e1", plan="scale")) == "duplicate"
    assert store.get_user("u1").plan == "pro"


def test_an_older_event_does_not_undo_a_newer_one(store):
    store.create_user(user(1))
    assert store.apply_plan_event(plan_event("e2", occurred=T2, plan="scale")) == "applied"
    assert store.apply_plan_event(plan_event("e1", occurred=T1, plan="free")) == "stale"
    assert store.get_user("u1").plan == "scale"
    assert store.apply_plan_event(plan_event("e1", occurred=T1, plan="free")) == "duplicate"
    assert store.apply_plan_event(plan_event("e3", occurred=T3, plan="free")) == "applied"
    assert store.get_user("u1").plan == "free"


def test_a_subscription_changes_only_its_own_account(store):
    store.create_user(user(1))
    store.create_user(user(2))
    assert store.apply_plan_event(plan_event("e1", "u1")) == "applied"
    assert store.apply_plan_event(plan_event("e2", "u2", occurred=T2, plan="scale")) == "foreign"
    assert (store.get_user("u1").plan, store.get_user("u2").plan) == ("pro", "free")
    # Events that name no account go to the subscription's.
    assert store.apply_plan_event(plan_event("e3", None, occurred=T3, plan="scale")) == "applied"
    assert (store.get_user("u1").plan, store.get_user("u2").plan) == ("scale", "free")


def test_an_event_for_no_known_account_is_ignored_and_not_recorded(store):
    assert store.apply_plan_event(plan_event("e1", "nobody")) == "ignored"
    assert store.apply_plan_event(plan_event("e2", None, sub="sub_new")) == "ignored"
    store.create_user(User("nobody", "late@example.com", "h", "free", NOW, NOW))
    assert store.apply_plan_event(plan_event("e1", "nobody")) == "applied"


def test_has_mark(store):
    assert not store.has_mark("paddle", "evt_1")
    store.mark_once("paddle", "evt_1", NOW)
    assert store.has_mark("paddle", "evt_1")
    assert not store.has_mark("other", "evt_1")


# --- passwords and leaving ----------------------------------------------------------------


def test_set_password(store):
    store.create_user(user(1))
    store.set_password("u1", "new-hash", LATER)
    assert (store.get_user("u1").password_hash, store.get_user("u1").updated_at) == (
        "new-hash",
        LATER,
    )
    with pytest.raises(NotFound):
        store.set_password("nobody", "h", LATER)


def test_a_reset_token_works_once_and_not_after_it_expires(store):
    store.create_user(user(1))
    store.create_reset_token(ResetToken("u1", digest("r1"), LATER))
    store.create_reset_token(ResetToken("u1", digest("r2"), LATER))
    assert store.consume_reset_token(digest("r1"), NOW) == "u1"
    assert store.consume_reset_token(digest("r1"), NOW) is None
    assert store.consume_reset_token(digest("nope"), NOW) is None
    assert store.consume_reset_token(digest("r2"), LATER) is None  # expired: and gone
    store.create_reset_token(ResetToken("u1", digest("r2"), LATER))
    assert store.consume_reset_token(digest("r2"), NOW) == "u1"


def test_deleting_a_user_leaves_nothing_of_theirs(ann):
    ann.create_user(user(2))
    ann.create_namespace(namespace(2, owner=2, name="bobs"))
    ann.create_namespace(namespace(3, name="second"))
    ann.create_api_key(api_key(1))
    ann.create_api_key(api_key(2, owner=2, ns=2))
    for n in range(30):
        put(ann, f"k{n}", n, size=4)
    ann.put_item(PutItem("u2", "n2", "kept", 1, 5, "e", NOW))
    ann.add_requests("u1", "2026-11", 7)
    ann.create_session(session())
    ann.create_reset_token(ResetToken("u1", digest("r1"), LATER))

    deleted = ann.delete_user("u1")

    assert deleted == user(1)
    assert ann.get_user("u1") is None
    assert ann.get_user_by_email("user1@example.com") is None
    assert ann.list_namespaces("u1") == []
    assert listed(ann, "n1", limit=100) == ([], False)
    assert ann.resolve_api_key(digest("raw1")) is None
    assert ann.list_api_keys("u1") == []
    assert ann.get_session("u1", digest("t1")) is None
    assert ann.consume_reset_token(digest("r1"), NOW) is None
    assert ann.get_usage("u1", "2026-11").requests in (0, 7)  # a count may linger unread
    assert ann.delete_user("u1") is None
    # The other user keeps everything, and the email is free again.
    assert ann.get_item("n2", "kept").value == 1
    assert ann.resolve_api_key(digest("raw2")) is not None
    ann.create_user(User("u9", "user1@example.com", "h", "free", NOW, NOW))
    assert ann.get_user_by_email("user1@example.com").id == "u9"


def test_a_keys_scope_and_expiry_are_kept(ann):
    scoped = replace(api_key(1), key_prefix="user:42/", expires_at=1_900_000_000)
    ann.create_api_key(scoped)
    assert ann.resolve_api_key(digest("raw1"))[0] == scoped
    assert ann.list_api_keys("u1") == [scoped]
