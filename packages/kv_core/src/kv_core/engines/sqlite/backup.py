"""Copies of the embedded engine's file: an online backup while servers write, its
check, and its restore.

A backup is SQLite's online backup API run in one step, so the copy is one
consistent snapshot: every write committed before it began, none half-way, and the
counters that the triggers keep beside the items exactly as the items make them. The
request counts that the shared counters file holds (counters.py) are written behind
first. The copy is a single file (no write-ahead log beside it), written under a
temporary name and renamed into place, so a failed backup leaves no half copy.
"""

from __future__ import annotations

import contextlib
import os
import sqlite3
from dataclasses import dataclass
from pathlib import Path

from kv_core.engines.sqlite.connection import Database
from kv_core.engines.sqlite.counters import SharedCounters
from kv_core.engines.sqlite.schema import MIGRATIONS, version

# What every version of the schema has (later steps add tables and rename one).
TABLES = frozenset({"users", "namespaces", "api_keys", "items", "usage", "markers"})
# Side files that belong to one database's contents and must not outlive it.
_CONTENT_SIDE_FILES = ("-wal", "-shm", ".counters", ".generation")

_MISCOUNTED = """
SELECT
    (SELECT count(*) FROM namespaces n WHERE
        n.item_count <> (SELECT count(*) FROM items i WHERE i.namespace_id = n.id)
        OR n.size_bytes <> (SELECT coalesce(sum(size), 0) FROM items i
                            WHERE i.namespace_id = n.id)),
    (SELECT count(*) FROM users u WHERE
        u.storage_bytes <> (SELECT coalesce(sum(size_bytes), 0) FROM namespaces n
                            WHERE n.user_id = u.id))
"""


class NotADatabase(Exception):
    """The file is not a KV Storage database this build can open (or it is damaged)."""


@dataclass(frozen=True, slots=True)
class Contents:
    """What a checked copy holds."""

    schema_version: int
    users: int
    namespaces: int
    items: int
    stored_bytes: int

    def describe(self) -> str:
        return (
            f"{self.users} users, {self.namespaces} namespaces, {self.items} items"
            f" ({self.stored_bytes:,} bytes), schema version {self.schema_version}"
        )


def check(path: Path) -> Contents:
    """Open ``path`` read-only and check that it is a whole KV Storage database whose
    counters match its items; :class:`NotADatabase` says why not."""
    if not path.is_file():
        raise NotADatabase(f"{path} is not a file")
    try:
        db = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True)
    except sqlite3.Error as error:
        raise NotADatabase(f"{path} cannot be opened: {error}") from None
    try:
        return _contents(db, path)
    except sqlite3.Error as error:
        raise NotADatabase(f"{path} is not a KV Storage database: {error}") from None
    finally:
        db.close()


def _contents(db: sqlite3.Connection, path: Path) -> Contents:
    if db.execute("PRAGMA quick_check").fetchone()[0] != "ok":
        raise NotADatabase(f"{path} is damaged (SQLite's quick_check fails)")
    tables = {name for (name,) in db.execute("SELECT name FROM sqlite_master WHERE type='table'")}
    missing = TABLES - tables
    at = version(db)
    if missing or not 1 <= at <= len(MIGRATIONS):
        raise NotADatabase(f"{path} is not a KV Storage database this version can open")
    namespaces_off, users_off = db.execute(_MISCOUNTED).fetchone()
    if namespaces_off or users_off:
        raise NotADatabase(
            f"{path}: the counters of {namespaces_off} namespaces and {users_off} users"
            " do not match their items"
        )
    users, stored = db.execute(
        "SELECT count(*), coalesce(sum(storage_bytes), 0) FROM users"
    ).fetchone()
    (namespaces,) = db.execute("SELECT count(*) FROM namespaces").fetchone()
    (items,) = db.execute("SELECT count(*) FROM items").fetchone()
    return Contents(at, users, namespaces, items, stored)


def _copy(source: sqlite3.Connection, target: Path) -> None:
    """The source as one snapshot into a fresh single file at ``target``."""
    with contextlib.suppress(FileNotFoundError):
        target.unlink()
    copy = sqlite3.connect(target, isolation_level=None)
    try:
        source.backup(copy)  # every page in one step: one read snapshot
        copy.execute("PRAGMA journal_mode=DELETE")
    finally:
        copy.close()


def _partial(target: Path) -> Path:
    return target.with_name(f".{target.name}.partial")


class Backups(Database):
    _counters: SharedCounters

    def backup(self, target: str | os.PathLike[str]) -> Contents:
        """Copy the database to ``target`` while others go on writing; returns what
        the copy holds, checked."""
        target = Path(target)
        partial = _partial(target)
        self._counters.flush()
        try:
            _copy(self._connection(), partial)
            contents = check(partial)
        except BaseException:
            with contextlib.suppress(FileNotFoundError):
                partial.unlink()
            raise
        os.replace(partial, target)
        return contents


def restore(source: Path, database: Path) -> Contents:
    """Put the copy at ``source`` in place of ``database``, which nothing may have
    open (the caller makes sure no server runs). The copy is checked before anything
    is touched; the database it replaces is kept beside it as ``.before-restore``."""
    contents = check(source)
    database.parent.mkdir(parents=True, exist_ok=True)
    staged = _partial(database)
    copied = sqlite3.connect(f"{source.resolve().as_uri()}?mode=ro", uri=True)
    try:
        _copy(copied, staged)
    finally:
        copied.close()
    if database.exists():
        old = sqlite3.connect(database, isolation_level=None)
        try:  # fold its log in, so that the file kept aside is whole
            old.execute("PRAGMA wal_checkpoint(TRUNCATE)")
            old.execute("PRAGMA journal_mode=DELETE")
        finally:
            old.close()
        os.replace(database, database.with_name(f"{database.name}.before-restore"))
    for suffix in _CONTENT_SIDE_FILES:
        with contextlib.suppress(FileNotFoundError):
            database.with_name(f"{database.name}{suffix}").unlink()
    os.replace(staged, database)
    return contents
