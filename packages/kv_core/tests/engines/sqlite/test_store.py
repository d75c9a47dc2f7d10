"""What only the embedded engine promises: several processes on one file see each
other's revocations at once, writes waiting in one process are committed together, and
its key-range helper is right."""

import os
import sqlite3
import threading
import time
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from kv_core.engines.sqlite import SqliteStore
from kv_core.engines.sqlite import connection as connection_module
from kv_core.engines.sqlite import writer as writer_module
from kv_core.engines.sqlite.items import prefix_upper_bound
from kv_core.errors import NotFound, QuotaExceeded, StoreUnavailable
from kv_core.hashing import digest
from kv_core.model import ApiKey, Namespace, User
from kv_core.store import DeleteItem, PutItem
from kv_core.store.testing import listed

NOW = "2026-11-25T10:00:00.000Z"


@pytest.fixture
def two_processes(tmp_path: Path):
    """Two stores on one file stand in for two worker processes."""
    first, second = SqliteStore(tmp_path / "kv.sqlite3"), SqliteStore(tmp_path / "kv.sqlite3")
    first.create_user(User("u1", "ann@example.com", "h", "free", NOW, NOW))
    first.create_namespace(Namespace("n1", "u1", "app", NOW))
    first.create_api_key(
        ApiKey("k1", "u1", "n1", "app", "key", "read-write", digest("raw"), "kv_", NOW)
    )
    yield first, second
    first.close()
    second.close()


def test_a_revocation_in_one_process_is_seen_at_once_in_another(two_processes):
    first, second = two_processes
    assert first.resolve_api_key(digest("raw")) is not None  # now cached in `first`
    assert second.delete_api_key("u1", "k1") is not None
    assert first.resolve_api_key(digest("raw")) is None


def test_a_plan_change_in_one_process_is_seen_at_once_in_another(two_processes):
    first, second = two_processes
    assert first.resolve_api_key(digest("raw"))[1].plan == "free"
    second.set_plan("u1", "pro", NOW)
    assert first.resolve_api_key(digest("raw"))[1].plan == "pro"


def test_a_namespace_deletion_revokes_its_keys_everywhere(two_processes):
    first, second = two_processes
    assert first.resolve_api_key(digest("raw")) is not None
    second.delete_namespace("u1", "app")
    assert first.resolve_api_key(digest("raw")) is None


def test_touch_updates_the_cached_key(two_processes):
    first, _ = two_processes
    first.resolve_api_key(digest("raw"))
    first.touch_api_key("u1", "k1", NOW)
    assert first.resolve_api_key(digest("raw"))[0].last_used_at == NOW


def write_as_a_group(store: SqliteStore, writes: dict[str, object]) -> dict[str, object]:
    """Start each write in its own thread while the process's writer is busy, so that
    they all wait; then let them go: the first to get the lock runs them all. Returns
    each write's result or exception."""
    outcomes: dict[str, object] = {}

    def run(name: str, write) -> None:
        try:
            outcomes[name] = write()
        except Exception as error:
            outcomes[name] = error

    threads = [threading.Thread(target=run, args=item) for item in writes.items()]
    with store._writer._threads:
        for thread in threads:
            thread.start()
        while len(store._writer._waiting) < len(writes):
            time.sleep(0.001)
    for thread in threads:
        thread.join()
    assert not store._writer._waiting
    return outcomes


@pytest.fixture
def one_process(two_processes):
    store = two_processes[0]
    store.create_namespace(Namespace("n2", "u1", "gone", NOW))
    store.put_item(
        PutItem(user_id="u1", namespace_id="n1", key="old", value=1, size=10, etag="e", now=NOW)
    )
    return store


def put(store, namespace_id, key, size, limit=None):
    return lambda: store.put_item(
        PutItem(
            user_id="u1",
            namespace_id=namespace_id,
            key=key,
            value=key,
            size=size,
            etag="e",
            now=NOW,
            storage_limit=limit,
        )
    )


def test_waiting_writes_are_committed_together_and_a_refused_one_alone(one_process):
    store = one_process
    store.delete_namespace("u1", "gone")
    outcomes = write_as_a_group(
        store,
        {
            "a": put(store, "n1", "a", 5),
            "b": put(store, "n1", "b", 7),
            "gone": put(store, "n2", "x", 3),
            "too big": put(store, "n1", "big", 1_000, limit=100),
            "deleted": lambda: store.delete_item(
                DeleteItem(user_id="u1", namespace_id="n1", key="old")
            ),
            "missing": lambda: store.delete_item(
                DeleteItem(user_id="u1", namespace_id="n1", key="nope")
            ),
        },
    )
    assert outcomes["a"].created
    assert outcomes["b"].created
    assert isinstance(outcomes["gone"], NotFound)
    assert outcomes["gone"].code == "namespace_not_found"
    assert isinstance(outcomes["too big"], QuotaExceeded)
    assert outcomes["deleted"].item.key == "old"
    assert isinstance(outcomes["missing"], NotFound)
    assert listed(store, "n1", limit=10) == (["a", "b"], False)
    assert listed(store, "n2", limit=10) == ([], False)
    assert store.get_usage("u1", "2026-11").storage_bytes == 12
    assert store.get_namespace("u1", "app").item_count == 2


def test_a_group_that_cannot_commit_fails_every_write_in_it(one_process, monkeypatch):
    store = one_process
    real = sqlite3.Connection.execute

    class Failing(sqlite3.Connection):
        def execute(self, sql, *args):
            if sql == "COMMIT":
                raise sqlite3.OperationalError("disk I/O error")
            return real(self, sql, *args)

    failing = sqlite3.connect(store.path, isolation_level=None, factory=Failing)
    monkeypatch.setattr(store, "_group_connection", lambda: failing)
    outcomes = write_as_a_group(
        store, {"a": put(store, "n1", "a", 5), "b": put(store, "n1", "b", 7)}
    )
    assert all(isinstance(outcome, sqlite3.OperationalError) for outcome in outcomes.values())
    assert not failing.in_transaction
    monkeypatch.undo()
    assert listed(store, "n1", limit=10) == (["old"], False)
    assert store.get_usage("u1", "2026-11").storage_bytes == 10
    failing.close()


def fails_as_a_group_then_the_next_write_leads(store: SqliteStore) -> None:
    """Two writes of one group both fail as unavailable, nothing is written, and the
    write after them goes."""
    outcomes = write_as_a_group(
        store, {"a": put(store, "n1", "a", 5), "b": put(store, "n1", "b", 7)}
    )
    assert all(isinstance(outcome, StoreUnavailable) for outcome in outcomes.values())
    assert listed(store, "n1", limit=10) == (["old"], False)
    assert put(store, "n1", "c", 3)().created
    assert listed(store, "n1", limit=10) == (["c", "old"], False)


def test_a_group_whose_connection_cannot_be_opened_fails_and_the_next_write_leads(
    one_process, monkeypatch
):
    """The leader asks for the group's connection under the lock; when it cannot be
    had, every write of the group fails and the next write goes."""
    store = one_process
    real = store._group_connection
    failures = [store.path.parent / "gone" / "kv.sqlite3"]  # SQLITE_CANTOPEN, for real

    def group_connection():
        if failures:
            return sqlite3.connect(failures.pop())
        return real()

    monkeypatch.setattr(store, "_group_connection", group_connection)
    fails_as_a_group_then_the_next_write_leads(store)


def test_a_group_whose_lock_cannot_be_taken_fails_and_the_next_write_leads(
    one_process, monkeypatch
):
    """The thread that leads a group cannot take the file's lock: every write of the
    group fails (none hangs, none is answered as written), and the next write goes."""
    store = one_process
    real = writer_module.fcntl.flock
    failures = [OSError(37, "No locks available")]

    def flock(fd: int, operation: int) -> None:
        if operation == writer_module.fcntl.LOCK_EX and failures:
            raise failures.pop()
        real(fd, operation)

    monkeypatch.setattr(writer_module.fcntl, "flock", flock)
    fails_as_a_group_then_the_next_write_leads(store)


def record_syncs(monkeypatch) -> list[str]:
    """The files the engine syncs from now on (SQLite's own syncs are not seen)."""
    synced: list[str] = []
    real = connection_module._datasync

    def fdatasync(fd: int) -> None:
        synced.append(os.readlink(f"/proc/self/fd/{fd}"))
        real(fd)

    monkeypatch.setattr(connection_module, "_datasync", fdatasync)
    return synced


needs_proc = pytest.mark.skipif(not Path("/proc/self/fd").is_dir(), reason="reads /proc")


@needs_proc
def test_a_group_is_answered_once_its_log_is_synced(one_process, monkeypatch):
    store = one_process
    synced = record_syncs(monkeypatch)
    outcomes = write_as_a_group(
        store, {"a": put(store, "n1", "a", 5), "b": put(store, "n1", "b", 7)}
    )
    assert all(outcome.created for outcome in outcomes.values())
    assert synced == [str(store.path) + "-wal"]  # one sync for the two writes


@needs_proc
def test_every_write_transaction_syncs_the_log(one_process, monkeypatch):
    store = one_process
    synced = record_syncs(monkeypatch)
    store.create_namespace(Namespace("n3", "u1", "more", NOW))
    assert synced == [str(store.path) + "-wal"]


def test_a_write_whose_log_cannot_be_synced_is_not_acknowledged(one_process, monkeypatch):
    store = one_process

    def broken(fd: int) -> None:
        raise OSError(5, "Input/output error")

    monkeypatch.setattr(connection_module, "_datasync", broken)
    outcomes = write_as_a_group(store, {"a": put(store, "n1", "a", 5)})
    assert isinstance(outcomes["a"], StoreUnavailable)
    with pytest.raises(StoreUnavailable):
        store.create_namespace(Namespace("n3", "u1", "more", NOW))
    monkeypatch.undo()
    put(store, "n1", "b", 7)()  # the store heals once the disk does


def test_syncs_that_overlap_are_shared(one_process, monkeypatch):
    """Commits made while a sync runs wait for it and share the next one."""
    store = one_process
    syncs = store._writer._syncs
    assert syncs is not None
    before = syncs.syncs
    threads = [threading.Thread(target=put(store, "n1", f"k{i}", 5)) for i in range(40)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert listed(store, "n1", limit=100)[0] == sorted(["old", *(f"k{i}" for i in range(40))])
    assert 1 <= syncs.syncs - before <= 40


def test_writes_that_arrive_during_a_sync_wait_for_it_and_commit_as_one(one_process, monkeypatch):
    """A write made while a sync runs would wait for the next sync anyway: it waits
    for this one to end before it runs, and the writes that waited share one commit
    and one sync."""
    store = one_process
    syncing, release = threading.Event(), threading.Event()
    real = connection_module._datasync
    calls: list[int] = []

    def slow(fd: int) -> None:
        calls.append(fd)
        if len(calls) == 1:
            syncing.set()
            release.wait(10)
        real(fd)

    monkeypatch.setattr(connection_module, "_datasync", slow)
    commits: list[int] = []
    real_run = writer_module._run_together
    monkeypatch.setattr(
        writer_module,
        "_run_together",
        lambda db, group: (commits.append(len(group)), real_run(db, group))[1],
    )
    first = threading.Thread(target=put(store, "n1", "first", 5))
    first.start()
    assert syncing.wait(10)
    waiting = [threading.Thread(target=put(store, "n1", f"k{i}", 5)) for i in range(5)]
    for thread in waiting:
        thread.start()
    time.sleep(0.2)  # give them time to run, if they were going to
    assert commits == [1]  # nothing committed while the sync runs
    release.set()
    for thread in [first, *waiting]:
        thread.join()
    assert commits == [1, 5]
    assert len(calls) == 2
    assert listed(store, "n1", limit=100)[0] == sorted(
        ["old", "first", *(f"k{i}" for i in range(5))]
    )


@needs_proc
def test_normal_sync_leaves_the_log_to_the_checkpoints(tmp_path, monkeypatch):
    store = SqliteStore(tmp_path / "kv.sqlite3", synchronous="normal")
    store.create_user(User("u1", "ann@example.com", "h", "free", NOW, NOW))
    store.create_namespace(Namespace("n1", "u1", "app", NOW))
    synced = record_syncs(monkeypatch)
    put(store, "n1", "a", 5)()
    assert synced == []
    store.close()


def test_the_engine_refuses_an_unknown_sync_mode(tmp_path):
    with pytest.raises(ValueError, match="synchronous is one of"):
        SqliteStore(tmp_path / "kv.sqlite3", synchronous="off")
    assert not (tmp_path / "kv.sqlite3").exists()


@given(
    st.text(st.characters(exclude_categories=("Cs",)), min_size=1, max_size=6), st.text(max_size=6)
)
def test_prefix_upper_bound_is_above_every_extension(prefix, rest):
    bound = prefix_upper_bound(prefix)
    extended = prefix + rest
    if bound is None:
        assert set(prefix) == {"\U0010ffff"}
    else:
        assert extended.encode() < bound.encode()
        assert prefix.encode() < bound.encode()


def test_prefix_upper_bound_examples():
    assert prefix_upper_bound("user/") == "user0"
    assert prefix_upper_bound("a\U0010ffff") == "b"
    assert prefix_upper_bound("\ud7ff") == "\ue000"
    assert prefix_upper_bound("\U0010ffff") is None


def test_the_database_and_its_log_are_readable_by_their_owner_only(tmp_path: Path):
    import os
    import stat

    old = os.umask(0o022)
    try:
        data = tmp_path / "data"
        store = SqliteStore(data / "kv.sqlite3")
        store.create_user(User("u1", "ann@example.com", "h", "free", NOW, NOW))
        files = [p for p in data.iterdir() if p.name.startswith("kv.sqlite3")]
        assert {p.name for p in files} >= {"kv.sqlite3", "kv.sqlite3-wal", "kv.sqlite3-shm"}
        assert {p.name: stat.S_IMODE(p.stat().st_mode) for p in files} == {
            p.name: 0o600 for p in files
        }
        assert stat.S_IMODE(data.stat().st_mode) == 0o700
        store.close()
    finally:
        os.umask(old)


def test_a_world_readable_file_of_an_earlier_version_is_made_private(tmp_path: Path):
    import stat

    path = tmp_path / "kv.sqlite3"
    SqliteStore(path).close()
    path.chmod(0o644)
    SqliteStore(path).close()
    assert stat.S_IMODE(path.stat().st_mode) == 0o600


def test_a_plan_event_that_fails_half_way_records_nothing(tmp_path: Path):
    """The event is recorded in the transaction that changes the plan: when the change
    fails, so does the record, and the event applies when it comes again."""
    from kv_core.store import PlanEvent

    store = SqliteStore(tmp_path / "kv.sqlite3")
    store.create_user(User("u1", "ann@example.com", "h", "free", NOW, NOW))
    with sqlite3.connect(store.path) as db:
        db.execute(
            "CREATE TRIGGER refuse BEFORE UPDATE OF plan ON users"
            " BEGIN SELECT RAISE(ABORT, 'disk says no'); END"
        )
    event = PlanEvent("evt_1", "sub_1", "u1", "2026-11-25T10:00:00.000000Z", "pro", NOW)
    with pytest.raises(sqlite3.IntegrityError):
        store.apply_plan_event(event)
    assert not store.has_mark("paddle-event", "evt_1")
    with sqlite3.connect(store.path) as db:
        db.execute("DROP TRIGGER refuse")
    assert store.apply_plan_event(event) == "applied"
    assert store.get_user("u1").plan == "pro"
    store.close()
