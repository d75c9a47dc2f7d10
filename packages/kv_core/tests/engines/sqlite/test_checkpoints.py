"""Checkpoints are taken beside the writers, in a thread of their own."""

import sqlite3
import time
from pathlib import Path

import pytest

from kv_core.engines.sqlite import SqliteStore
from kv_core.engines.sqlite.checkpoints import Checkpointer
from kv_core.model import Namespace, User
from kv_core.store import PutItem
from kv_core.store.testing import listed

NOW = "2026-11-25T10:00:00.000Z"


@pytest.fixture
def store(tmp_path: Path):
    store = SqliteStore(tmp_path / "kv.sqlite3")
    store._checkpoints = Checkpointer(store.path, every=10)
    store.create_user(User("u1", "ann@example.com", "h", "free", NOW, NOW))
    store.create_namespace(Namespace("n1", "u1", "app", NOW))
    yield store
    store.close()


def put(store: SqliteStore, key: str) -> None:
    store.put_item(
        PutItem(user_id="u1", namespace_id="n1", key=key, value=1, size=5, etag="e", now=NOW)
    )


def wait_for(checkpoints: Checkpointer, count: int) -> None:
    deadline = time.monotonic() + 10
    while checkpoints._done < count:
        assert time.monotonic() < deadline, f"{checkpoints._done} checkpoints, not {count}"
        time.sleep(0.01)


def in_database_file(store: SqliteStore) -> int:
    """Items in the database file itself, not counting what is only in the log."""
    with sqlite3.connect(f"file:{store.path}?immutable=1", uri=True) as db:
        try:
            return int(db.execute("SELECT count(*) FROM items").fetchone()[0])
        except sqlite3.OperationalError:  # not even the schema is there yet
            return 0


def test_writers_do_not_checkpoint_themselves(store):
    assert store._connection().execute("PRAGMA wal_autocheckpoint").fetchone()[0] == 0


def test_every_so_many_commits_the_log_is_copied_into_the_database(store):
    """27 commits (the fixture's two and 25 puts) wake the thread at the 10th and the
    20th; two wakes before it runs are one checkpoint, taken after both."""
    for i in range(25):
        put(store, f"k{i}")
    deadline = time.monotonic() + 10
    while in_database_file(store) < 18:
        assert time.monotonic() < deadline, f"{in_database_file(store)} items checkpointed"
        time.sleep(0.01)
    assert store._checkpoints._done >= 1
    assert listed(store, "n1", limit=100)[0] == sorted(f"k{i}" for i in range(25))


def test_a_checkpoint_does_not_wait_for_the_write_lock(store):
    put(store, "a")
    with store._writer.held():  # another writer, busy
        store._checkpoints.committed(10)
        wait_for(store._checkpoints, 1)
    assert in_database_file(store) == 1


def test_closing_stops_the_thread(store):
    store._checkpoints.committed(10)
    wait_for(store._checkpoints, 1)
    thread = store._checkpoints._thread
    store._checkpoints.close()
    assert thread is not None
    assert not thread.is_alive()
