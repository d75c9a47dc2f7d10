"""The Store contract for requests per API key: counted with the owner's, in the same
step, on every engine."""

from __future__ import annotations

import pytest

from kv_core.errors import PreconditionFailed
from kv_core.hashing import digest
from kv_core.model import ApiKey, Namespace, User
from kv_core.store import PutItem, RequestBatch

NOW = "2026-11-25T10:00:00.000Z"
MONTH = "2026-11"


def api_key(n: int, ns: int = 1) -> ApiKey:
    return ApiKey(
        f"k{n}",
        "u1",
        f"n{ns}",
        f"app{ns}",
        f"key {n}",
        "read-write",
        digest(f"raw{n}"),
        "kv_ab",
        NOW,
    )


@pytest.fixture
def ann(store):
    """User u1 with namespaces n1 and n2, key k1 and k2 on n1, k3 on n2."""
    store.create_user(User("u1", "ann@example.com", "hash", "free", NOW, NOW))
    store.create_namespace(Namespace("n1", "u1", "app1", NOW))
    store.create_namespace(Namespace("n2", "u1", "app2", NOW))
    for n, ns in ((1, 1), (2, 1), (3, 2)):
        store.create_api_key(api_key(n, ns))
    return store


def counts(store, month=MONTH):
    """Each key's count, 0 for a key the store reports none for."""
    found = store.key_requests("u1", month)
    return {key.id: found.get(key.id, 0) for key in store.list_api_keys("u1")}


def test_admitted_requests_count_against_their_key(ann):
    assert ann.admit_requests("u1", MONTH, 1, 10, key_id="k1") == 1
    assert ann.admit_requests("u1", MONTH, 3, 10, key_id="k2") == 4
    assert ann.admit_requests("u1", MONTH, 1, 10) == 5  # no key: the user's only
    assert ann.admit_requests("u1", "2026-12", 2, 10, key_id="k1") == 2
    assert counts(ann) == {"k1": 1, "k2": 3, "k3": 0}
    assert counts(ann, "2026-12") == {"k1": 2, "k2": 0, "k3": 0}
    assert ann.get_usage("u1", MONTH).requests == 5


def test_a_refused_admission_counts_against_no_key(ann):
    assert ann.admit_requests("u1", MONTH, 2, 3, key_id="k1") == 2
    assert ann.admit_requests("u1", MONTH, 2, 3, key_id="k1") is None
    assert ann.admit_requests("u1", MONTH, 4, 3, key_id="k2") is None
    assert counts(ann) == {"k1": 2, "k2": 0, "k3": 0}
    assert ann.get_usage("u1", MONTH).requests == 2


def test_a_flushed_batch_adds_each_keys_part(ann):
    assert ann.add_requests("u1", MONTH, 6, by_key=(("k1", 4), ("k3", 1))) == 6
    assert ann.add_requests("u1", MONTH, 2, by_key=(("k1", 2),)) == 8
    assert counts(ann) == {"k1": 6, "k2": 0, "k3": 1}


def test_a_write_that_carries_a_batch_counts_its_keys_with_it(ann):
    batch = RequestBatch(MONTH, 5, (("k1", 3), ("k2", 2)))
    written = ann.put_item(
        PutItem(
            user_id="u1",
            namespace_id="n1",
            key="a",
            value=1,
            size=2,
            etag="e1",
            now=NOW,
            requests=batch,
        )
    )
    if written.requests_total is None:  # the engine declined: nothing counted
        assert counts(ann) == {"k1": 0, "k2": 0, "k3": 0}
    else:
        assert written.requests_total == 5
        assert counts(ann) == {"k1": 3, "k2": 2, "k3": 0}


def test_a_refused_write_counts_none_of_its_keys(ann):
    put = PutItem(user_id="u1", namespace_id="n1", key="a", value=1, size=2, etag="e1", now=NOW)
    ann.put_item(put)
    with pytest.raises(PreconditionFailed):
        ann.put_item(
            PutItem(
                user_id="u1",
                namespace_id="n1",
                key="a",
                value=2,
                size=2,
                etag="e2",
                now=NOW,
                if_absent=True,
                requests=RequestBatch(MONTH, 3, (("k1", 3),)),
            )
        )
    assert counts(ann) == {"k1": 0, "k2": 0, "k3": 0}
    assert ann.get_usage("u1", MONTH).requests == 0


def test_revoked_keys_counts_go_with_them(ann):
    for key_id in ("k1", "k2", "k3"):
        ann.admit_requests("u1", MONTH, 2, 100, key_id=key_id)
    ann.delete_api_key("u1", "k1")
    assert ann.key_requests("u1", MONTH).get("k2") == 2
    assert "k1" not in ann.key_requests("u1", MONTH)
    ann.delete_namespace("u1", "app2")
    assert "k3" not in ann.key_requests("u1", MONTH)
    assert ann.key_requests("u1", MONTH) == {"k2": 2}
    assert ann.get_usage("u1", MONTH).requests == 6  # the account's count stays


def test_a_user_without_keys_or_counts_has_none(ann):
    assert counts(ann) == {"k1": 0, "k2": 0, "k3": 0}
    assert ann.key_requests("nobody", MONTH) == {}
