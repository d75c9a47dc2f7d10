"""The schema's migrations: numbered, each whole or not at all, never run twice."""

import sqlite3
from pathlib import Path

import pytest

from kv_core.engines.sqlite import SqliteStore
from kv_core.engines.sqlite.schema import MIGRATIONS, migrate, version
from kv_core.model import Namespace, User
from kv_core.store import PutItem

NOW = "2026-11-25T10:00:00.000Z"
TRIGGERS = {
    "items_counted_on_insert",
    "items_resized",
    "items_counted_on_delete",
    "items_logged_on_insert",
    "items_logged_on_update",
    "items_logged_on_delete",
}


def triggers(path: Path) -> set[str]:
    with sqlite3.connect(path) as db:
        found = db.execute("SELECT name FROM sqlite_master WHERE type = 'trigger'")
        return {name for (name,) in found}


def file_version(path: Path) -> int:
    with sqlite3.connect(path) as db:
        return version(db)


def resize(store: SqliteStore, *sizes: int) -> None:
    store.create_user(User("u1", "ann@example.com", "h", "free", NOW, NOW))
    store.create_namespace(Namespace("n1", "u1", "app", NOW))
    for size in sizes:
        store.put_item(PutItem("u1", "n1", "k", size, size, "e", NOW))


def test_a_new_file_is_at_the_last_step(tmp_path: Path):
    path = tmp_path / "kv.sqlite3"
    SqliteStore(path).close()
    assert file_version(path) == len(MIGRATIONS)
    assert triggers(path) == TRIGGERS


def test_a_first_round_file_gets_the_new_resize_trigger_only(tmp_path: Path):
    """A file from before the steps were numbered: version 0, the old trigger."""
    path = tmp_path / "kv.sqlite3"
    with sqlite3.connect(path) as db:
        db.executescript(MIGRATIONS[0])  # what the first round's schema made
    assert "items_counted_on_update" in triggers(path)
    store = SqliteStore(path)
    assert triggers(path) == TRIGGERS
    assert file_version(path) == len(MIGRATIONS)
    resize(store, 10, 25, 25, 4)
    assert store.get_usage("u1", "2026-11").storage_bytes == 4
    assert store.get_namespace("u1", "app").size_bytes == 4
    store.close()


def test_reopening_runs_no_step_again(tmp_path: Path):
    path = tmp_path / "kv.sqlite3"
    store = SqliteStore(path)
    resize(store, 7)
    store.close()
    with sqlite3.connect(path) as db:
        db.execute("DROP TRIGGER items_resized")  # a step run again would make it anew
    SqliteStore(path).close()
    assert triggers(path) == TRIGGERS - {"items_resized"}


def test_a_failing_step_leaves_the_file_at_the_step_before(tmp_path: Path):
    db = sqlite3.connect(tmp_path / "kv.sqlite3", isolation_level=None)
    broken = (*MIGRATIONS, "CREATE TABLE extra (x INTEGER); CREATE TABLE extra (y INTEGER);")
    with pytest.raises(sqlite3.OperationalError):
        migrate(db, broken)
    assert version(db) == len(MIGRATIONS)
    assert not db.in_transaction
    tables = {name for (name,) in db.execute("SELECT name FROM sqlite_master WHERE type='table'")}
    assert "extra" not in tables
    db.close()


def test_a_file_from_a_newer_build_is_refused(tmp_path: Path):
    path = tmp_path / "kv.sqlite3"
    SqliteStore(path).close()
    with sqlite3.connect(path) as db:
        db.execute(f"PRAGMA user_version = {len(MIGRATIONS) + 1}")
    with pytest.raises(RuntimeError, match="newer than this build"):
        SqliteStore(path)


def test_login_attempts_of_a_first_round_file_carry_over(tmp_path: Path):
    path = tmp_path / "kv.sqlite3"
    with sqlite3.connect(path) as db:
        db.executescript(MIGRATIONS[0])
        db.execute(
            "INSERT INTO login_failures (email, count, window_start) VALUES (?, 3, ?)",
            ("ann@example.com", NOW),
        )
    store = SqliteStore(path)
    assert store.count_login_attempt("ann@example.com", NOW, 600) == 4
    store.close()


def test_a_file_of_the_second_step_gets_account_limits_and_keeps_its_users(tmp_path: Path):
    path = tmp_path / "kv.sqlite3"
    db = sqlite3.connect(path, isolation_level=None)
    migrate(db, MIGRATIONS[:2])
    db.execute(
        "INSERT INTO users (id, email, password_hash, plan, created_at, updated_at)"
        " VALUES ('u1', 'ann@example.com', 'h', 'business', ?, ?)",
        (NOW, NOW),
    )
    db.close()
    store = SqliteStore(path)
    assert store.get_user("u1") == User("u1", "ann@example.com", "h", "business", NOW, NOW)
    store.set_plan("u1", "business", NOW, requests_limit=5, storage_limit=6)
    assert store.get_user("u1") == User(
        "u1", "ann@example.com", "h", "business", NOW, NOW, requests_limit=5, storage_limit=6
    )
    store.close()


def test_the_feed_triggers_carry_values_up_to_the_limit_in_kv_core():
    """The change feed's triggers write the value limit into the schema; a new limit in
    kv_core needs a migration step of its own, which this test asks for."""
    from kv_core.engines.sqlite.schema import MIGRATIONS
    from kv_core.limits import LIMITS

    feed = next(step for step in MIGRATIONS if "CREATE TABLE changes" in step)
    assert f"<= {LIMITS.change_value_max_bytes} THEN NEW.value" in feed
