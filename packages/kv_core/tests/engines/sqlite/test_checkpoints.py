"""Checkpoints are taken beside the writers, in a thread of their own, and keep the
log under its bound."""

import itertools
import random
import sqlite3
import threading
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


BOUND = 256 * 1024  # a few dozen commits' worth of log


@pytest.fixture
def bounded(tmp_path: Path):
    """A store whose log is bounded to 256 KiB, emptied after 0.2 s without writes."""
    store = SqliteStore(tmp_path / "kv.sqlite3", wal_max_bytes=BOUND)
    store._checkpoints.idle_seconds = 0.2
    store.create_user(User("u1", "ann@example.com", "h", "business", NOW, NOW))
    store.create_namespace(Namespace("n1", "u1", "app", NOW))
    yield store
    store.close()


def test_the_log_stays_under_its_bound_while_readers_read(bounded):
    stop = threading.Event()
    high = [0]
    failures: list[BaseException] = []

    def keep(work) -> None:
        try:
            while not stop.is_set():
                work()
        except BaseException as error:
            failures.append(error)

    counter = itertools.count()
    value = {"name": "Ann Example", "tags": ["a", "b", "c"], "pad": "x" * 60}

    def write() -> None:
        n = next(counter)
        bounded.put_item(
            PutItem(
                user_id="u1",
                namespace_id="n1",
                key=f"k{n % 500}",
                value=value,
                size=120,
                etag=f"e{n}",
                now=NOW,
            )
        )

    def read() -> None:
        bounded.get_item("n1", f"k{random.randrange(500)}")

    def watch() -> None:
        high[0] = max(high[0], bounded._checkpoints.log_size())
        time.sleep(0.001)

    threads = [threading.Thread(target=keep, args=(work,)) for work in [write] * 3 + [read] * 3]
    threads.append(threading.Thread(target=keep, args=(watch,)))
    for thread in threads:
        thread.start()
    # Until the log has been emptied five times over: five times the bound written.
    started = time.monotonic()
    while time.monotonic() - started < 30 and bounded._checkpoints._truncations < 5:
        time.sleep(0.05)
    stop.set()
    for thread in threads:
        thread.join()
    assert not failures
    assert bounded._checkpoints._truncations >= 5
    assert 0 < high[0] <= BOUND
    assert bounded.get_item("n1", "k1") is not None


def test_an_idle_log_is_emptied(store):
    store._checkpoints.idle_seconds = 0.2
    for i in range(50):
        put(store, f"k{i}")
    assert store._checkpoints.log_size() > 0
    deadline = time.monotonic() + 10
    while store._checkpoints.log_size() > 0:
        assert time.monotonic() < deadline, "the log was not emptied"
        time.sleep(0.05)
    assert in_database_file(store) == 50


def test_the_log_is_emptied_after_every_spell_of_writes(tmp_path):
    """Far fewer commits than a checkpoint is due at, twice over: each spell's log is
    emptied once the writes stop."""
    store = SqliteStore(tmp_path / "kv.sqlite3")
    store._checkpoints.idle_seconds = 0.2
    store.create_user(User("u1", "ann@example.com", "h", "free", NOW, NOW))
    store.create_namespace(Namespace("n1", "u1", "app", NOW))
    try:
        for spell in range(2):
            for i in range(20):
                put(store, f"s{spell}-{i}")
            assert store._checkpoints.log_size() > 0
            deadline = time.monotonic() + 10
            while store._checkpoints.log_size() > 0:
                assert time.monotonic() < deadline, f"spell {spell}'s log was not emptied"
                time.sleep(0.05)
        assert in_database_file(store) == 40
    finally:
        store.close()


def test_closing_empties_the_log(tmp_path):
    store = SqliteStore(tmp_path / "kv.sqlite3")
    store.create_user(User("u1", "ann@example.com", "h", "free", NOW, NOW))
    store.create_namespace(Namespace("n1", "u1", "app", NOW))
    put(store, "a")
    store.close()
    wal = tmp_path / "kv.sqlite3-wal"
    assert not wal.exists() or wal.stat().st_size == 0
    assert in_database_file(store) == 1
