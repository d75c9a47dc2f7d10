"""How the embedded engine reaches its file: group commits go through one connection
of the process, and request counts written behind the shared counters do not wait
for a sync."""

import threading

import pytest

from kv_core.engines.sqlite import SqliteStore
from kv_core.model import Namespace, User
from kv_core.store import PutItem

NOW = "2026-11-25T10:00:00.000Z"


@pytest.fixture
def store(tmp_path):
    store = SqliteStore(tmp_path / "kv.sqlite3")
    store.create_user(User("u1", "ann@example.com", "h", "free", NOW, NOW))
    store.create_namespace(Namespace("n1", "u1", "app", NOW))
    yield store
    store.close()


def put(store, key):
    return store.put_item(
        PutItem(user_id="u1", namespace_id="n1", key=key, value=key, size=3, etag="e", now=NOW)
    )


def test_the_group_commits_of_every_thread_go_through_one_connection(store):
    group = store._group_connection()
    before = group.total_changes
    own_changes = []

    def write(key):
        put(store, key)
        own_changes.append(store._connection().total_changes)

    threads = [threading.Thread(target=write, args=(f"k{n}",)) for n in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert own_changes == [0, 0, 0, 0]  # no thread's own connection wrote
    assert group.total_changes - before >= 4  # every put, through the one connection
    assert store._group_connection() is group
    assert store.get_namespace("u1", "app").item_count == 4


def test_counts_written_behind_commit_without_waiting_for_a_sync(store):
    syncs = store._writer._syncs
    before = syncs.syncs
    store._store_requests("u1", "2026-11", 120)
    store._store_key_requests("k1", "2026-11", 20)
    assert syncs.syncs == before
    assert store._stored_requests("u1", "2026-11") == 120
    put(store, "a")  # a durable write's sync covers what was committed before it
    assert syncs.syncs == before + 1
    assert syncs._synced == syncs._committed  # the counts too are on disk now
