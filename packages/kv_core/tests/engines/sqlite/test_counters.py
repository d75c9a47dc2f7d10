"""Request counts shared through the counters file: exact across processes, written
behind to SQLite, and never lost by a killed process."""

import multiprocessing
import os
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kv_core.engines.sqlite import SqliteStore, counters
from kv_core.engines.sqlite.counters import FLUSH_EVERY, SharedCounters, fits, key_fits
from kv_core.hashing import digest
from kv_core.model import ApiKey, Namespace, User

MONTH = "2026-11"


@pytest.fixture
def path(tmp_path: Path) -> Path:
    return tmp_path / "kv.sqlite3"


@pytest.fixture
def store(path: Path):
    store = SqliteStore(path)
    yield store
    store.close()


def stored(path: Path, user: str, month: str = MONTH) -> int:
    """What SQLite itself holds, behind the counters."""
    probe = SqliteStore(path)
    try:
        return probe._stored_requests(user, month)
    finally:
        probe._connection().close()


def abandon(shared: SharedCounters) -> None:
    """Let go of the file without writing anything behind, like a killed process."""
    if shared._map is not None:
        shared._map.close()
        os.close(shared._fd)
        shared._map = None


def _admit_many(path: Path, user: str, tries: int, limit: int, results) -> None:
    store = SqliteStore(path)
    results.put(sum(store.admit_requests(user, MONTH, 1, limit) is not None for _ in range(tries)))
    store.close()


def test_processes_admit_exactly_the_quota_together(path: Path, store: SqliteStore) -> None:
    context = multiprocessing.get_context("fork")
    results = context.Queue()
    workers = [
        context.Process(target=_admit_many, args=(path, "u1", 400, 1000, results)) for _ in range(4)
    ]
    for worker in workers:
        worker.start()
    admitted = sum(results.get(timeout=60) for _ in workers)
    for worker in workers:
        worker.join(timeout=60)
    assert admitted == 1000
    assert store.get_usage("u1", MONTH).requests == 1000
    assert stored(path, "u1") == 1000  # each process wrote behind as it closed


def _admit_then_die(path: Path, user: str, tries: int) -> None:
    store = SqliteStore(path)
    for _ in range(tries):
        store.admit_requests(user, MONTH, 1, 10**6)
    os._exit(0)  # no close, no atexit: as if killed


def test_a_killed_process_loses_no_counts(path: Path, store: SqliteStore) -> None:
    context = multiprocessing.get_context("fork")
    worker = context.Process(target=_admit_then_die, args=(path, "u1", 37))
    worker.start()
    worker.join(timeout=60)
    assert stored(path, "u1") == 0  # fewer than FLUSH_EVERY, so not written yet
    assert store.get_usage("u1", MONTH).requests == 37
    assert store.admit_requests("u1", MONTH, 1, 38) == 38
    assert store.admit_requests("u1", MONTH, 1, 38) is None


def test_a_process_that_exits_without_closing_writes_behind(path: Path) -> None:
    """A server's workers exit without closing their store."""
    script = (
        "import sys\n"
        "from kv_core.engines.sqlite import SqliteStore\n"
        "store = SqliteStore(sys.argv[1])\n"
        "for _ in range(7):\n"
        "    store.admit_requests('u1', '2026-11', 1, 100)\n"
    )
    subprocess.run([sys.executable, "-c", script, str(path)], check=True, timeout=60)
    assert stored(path, "u1") == 7


def test_counts_are_written_behind_every_flush_every_requests(
    path: Path, store: SqliteStore
) -> None:
    for _ in range(FLUSH_EVERY - 1):
        store.admit_requests("u1", MONTH, 1, 10**6)
    assert stored(path, "u1") == 0
    store.admit_requests("u1", MONTH, 1, 10**6)
    assert stored(path, "u1") == FLUSH_EVERY


def test_counts_are_written_behind_after_a_while(
    path: Path, store: SqliteStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    clock = [1000.0]
    monkeypatch.setattr(counters.time, "time", lambda: clock[0])
    store.admit_requests("u1", MONTH, 1, 10)
    clock[0] += counters.FLUSH_AFTER
    assert stored(path, "u1") == 0
    store.admit_requests("u1", MONTH, 1, 10)
    assert stored(path, "u1") == 2


def test_a_failed_write_behind_is_retried_and_fails_no_request(tmp_path: Path) -> None:
    saved: list[int] = []

    def save(user: str, month: str, total: int) -> None:
        if not saved:
            saved.append(0)
            raise OSError("disk full")
        saved.append(total)

    shared = SharedCounters(tmp_path / "kv.counters", load=lambda u, m: 0, save=save)
    for expected in range(1, FLUSH_EVERY + 2):
        assert shared.admit("u1", MONTH, 1, 10**6) == expected
    assert saved == [0, FLUSH_EVERY + 1]
    shared.close()


def test_a_new_boot_restarts_from_what_sqlite_holds(
    path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    before = SqliteStore(path)
    for _ in range(FLUSH_EVERY + 5):
        before.admit_requests("u1", MONTH, 1, 10**6)
    abandon(before._counters)  # a power cut: nothing written behind
    monkeypatch.setattr(counters, "boot_id", lambda: b"another boot....")
    after = SqliteStore(path)
    assert after.get_usage("u1", MONTH).requests == FLUSH_EVERY
    after.close()


def test_reads_add_in_what_is_not_written_yet(store: SqliteStore) -> None:
    store.admit_requests("u1", MONTH, 3, 10)
    store.add_requests("u1", "2026-10", 4)
    assert store.get_usage("u1", MONTH).requests == 3
    assert store.request_history("u1", ["2026-10", MONTH, "2026-12"]) == {
        "2026-10": 4,
        MONTH: 3,
        "2026-12": 0,
    }


def test_a_user_id_too_long_for_a_slot_is_counted_in_sqlite(path: Path, store: SqliteStore) -> None:
    user = "u" * 200
    assert not fits(user, MONTH)
    assert not any(fits(odd, MONTH) for odd in ("u\n1", "u\0", ""))
    assert fits("u" * 80, MONTH)
    assert store.admit_requests(user, MONTH, 2, 3) == 2
    assert store.admit_requests(user, MONTH, 2, 3) is None
    assert store.add_requests(user, MONTH, 5) == 7
    assert stored(path, user) == 7
    assert store.get_usage(user, MONTH).requests == 7


class Table:
    """A tiny counters table over a dict standing in for SQLite, so every operation
    meets full windows and reused slots."""

    def __init__(self, path: Path) -> None:
        self.saved: dict[tuple[str, str], int] = {}
        self.counters = SharedCounters(path, load=self.load, save=self.save, slots=3, window=2)

    def load(self, user: str, month: str) -> int:
        return self.saved.get((user, month), 0)

    def save(self, user: str, month: str, total: int) -> None:
        key = (user, month)
        self.saved[key] = max(self.saved.get(key, 0), total)


operations = st.lists(
    st.tuples(
        st.sampled_from(["admit", "add", "flush", "reopen"]),
        st.sampled_from(["u1", "u2", "u3", "u4", "u5"]),
        st.sampled_from(["2026-10", MONTH]),
        st.integers(0, 5),
        st.integers(0, 12),
    ),
    max_size=60,
)


@settings(max_examples=150, deadline=None)
@given(operations)
def test_counts_match_a_model_through_evictions_and_reopens(tmp_path_factory, ops) -> None:
    path = tmp_path_factory.mktemp("counters") / "kv.counters"
    table = Table(path)
    model: dict[tuple[str, str], int] = {}
    for op, user, month, count, limit in ops:
        key = (user, month)
        total = model.get(key, 0)
        if op == "admit":
            admitted = table.counters.admit(user, month, count, limit)
            if total + count <= limit:
                model[key] = total + count
                assert admitted == total + count
            else:
                assert admitted is None
        elif op == "add":
            model[key] = total + count
            assert table.counters.add(user, month, count) == total + count
        elif op == "flush":
            table.counters.flush()
            assert all(table.saved.get(k, 0) == v for k, v in model.items())
        else:  # another process opens the file: it sees the same counts
            other = SharedCounters(path, load=table.load, save=table.save, slots=3, window=2)
            for (u, m), value in model.items():
                held = other.peek(u, m)
                assert (held if held is not None else table.saved.get((u, m), 0)) == value
            abandon(other)
        for (u, m), saved in table.saved.items():
            assert saved <= model[(u, m)]  # SQLite never runs ahead
    table.counters.close()
    assert {k: v for k, v in table.saved.items() if v} == {k: v for k, v in model.items() if v}


# --- requests per API key ------------------------------------------------------------

NOW = "2026-11-25T10:00:00.000Z"


def with_keys(store: SqliteStore, *key_ids: str) -> SqliteStore:
    store.create_user(User("u1", "ann@example.com", "h", "free", NOW, NOW))
    store.create_namespace(Namespace("n1", "u1", "app", NOW))
    for key_id in key_ids:
        store.create_api_key(
            ApiKey(key_id, "u1", "n1", "app", key_id, "read-write", digest(key_id), "kv_", NOW)
        )
    return store


def stored_key(path: Path, key_id: str, month: str = MONTH) -> int:
    probe = SqliteStore(path)
    try:
        return probe._stored_key_requests(key_id, month)
    finally:
        probe._connection().close()


def test_key_counts_live_in_the_file_and_are_written_behind(path: Path) -> None:
    store = with_keys(SqliteStore(path), "k1", "k2")
    for _ in range(3):
        store.admit_requests("u1", MONTH, 1, 100, key_id="k1")
    store.admit_requests("u1", MONTH, 2, 100, key_id="k2")
    assert stored_key(path, "k1") == 0  # not written behind yet: the file holds it
    assert store.key_requests("u1", MONTH) == {"k1": 3, "k2": 2}
    store.close()
    assert (stored_key(path, "k1"), stored_key(path, "k2")) == (3, 2)
    reopened = SqliteStore(path)
    assert reopened.key_requests("u1", MONTH) == {"k1": 3, "k2": 2}
    assert reopened.admit_requests("u1", MONTH, 1, 100, key_id="k1") == 6
    assert reopened.key_requests("u1", MONTH)["k1"] == 4
    reopened.close()


def test_a_revoked_keys_late_count_is_not_written_behind(path: Path) -> None:
    store = with_keys(SqliteStore(path), "k1")
    store.admit_requests("u1", MONTH, 2, 100, key_id="k1")
    store.delete_api_key("u1", "k1")
    store.close()  # writes the file's counts behind: k1's has nowhere to go
    assert stored_key(path, "k1") == 0
    assert stored(path, "u1") == 2


def test_a_key_id_no_slot_holds_is_counted_in_sqlite(path: Path, store: SqliteStore) -> None:
    long_key = "k" * 100
    assert not key_fits(long_key, MONTH)
    assert key_fits("0" * 32, MONTH)
    with_keys(store, long_key)
    assert store.admit_requests("u1", MONTH, 2, 3, key_id=long_key) == 2
    assert store.admit_requests("u1", MONTH, 2, 3, key_id=long_key) is None
    assert store.add_requests("u1", MONTH, 4, by_key=((long_key, 4),)) == 6
    assert stored_key(path, long_key) == 6
    assert store.key_requests("u1", MONTH) == {long_key: 6}


def test_a_user_and_key_too_long_for_slots_are_counted_together(store: SqliteStore) -> None:
    user = "u" * 200
    assert store.admit_requests(user, MONTH, 2, 3, key_id="k1") == 2
    assert store.add_requests(user, MONTH, 1, by_key=(("k1", 1),)) == 3
    with store._write() as db:  # no such key: the counts were dropped, not misfiled
        assert db.execute("SELECT count(*) FROM key_usage").fetchone()[0] == 0


def test_two_slots_hold_a_request_while_others_are_written_behind(tmp_path: Path) -> None:
    """With two slots, every admission needs both: the user's slot must never take the
    slot just found for its key (nor the other way round)."""
    users: dict[tuple[str, str], int] = {}
    keys: dict[tuple[str, str], int] = {}

    def keep(table: dict[tuple[str, str], int]):
        def save(name: str, month: str, total: int) -> None:
            table[name, month] = max(table.get((name, month), 0), total)

        return save

    shared = SharedCounters(
        tmp_path / "kv.counters",
        load=lambda u, m: users.get((u, m), 0),
        save=keep(users),
        load_key=lambda k, m: keys.get((k, m), 0),
        save_key=keep(keys),
        slots=2,
        window=2,
    )
    for i in range(60):
        assert shared.admit(f"u{i % 3}", MONTH, 1, 10**6, key_id=f"k{i % 4}") is not None
    shared.add("u0", MONTH, 5, by_key=(("k0", 2), ("k1", 3)))
    shared.close()
    assert users == {("u0", MONTH): 25, ("u1", MONTH): 20, ("u2", MONTH): 20}
    assert keys == {("k0", MONTH): 17, ("k1", MONTH): 18, ("k2", MONTH): 15, ("k3", MONTH): 15}
