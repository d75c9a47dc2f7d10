"""The embedded engine: one SQLite file in WAL mode.

Safe with several threads (one connection per thread) and several processes (one
writer at a time, under :class:`WriterLock`). Triggers move the storage counters in
the same statement as the item they count, so counts are exact, and a plain put or
delete is one statement, committed together with the others waiting in its process
(:meth:`WriterLock.write_together`). A committed write survives a ``kill -9`` of the
process. Request counts and the API-key cache's generation are shared through
:mod:`kv_core.engines.sqlite.counters` instead, which keeps them exact without a write
transaction per
request.
"""

from __future__ import annotations

import fcntl
import json
import os
import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from datetime import timedelta
from pathlib import Path
from typing import Any

from kv_core.engines.sqlite.checkpoints import Checkpointer
from kv_core.engines.sqlite.counters import SharedCounters, fits
from kv_core.errors import Conflict, NotFound
from kv_core.model import ApiKey, Item, Namespace, Usage, User, isoformat, parse_iso
from kv_core.sizing import encode_value
from kv_core.store import (
    ANY_ETAG,
    RequestBatch,
    namespace_gone,
    precondition_failed,
    storage_exceeded,
)

SCHEMA = """
CREATE TABLE IF NOT EXISTS users (
    id TEXT PRIMARY KEY,
    email TEXT NOT NULL UNIQUE,
    password_hash TEXT NOT NULL,
    plan TEXT NOT NULL,
    storage_bytes INTEGER NOT NULL DEFAULT 0,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS namespaces (
    id TEXT PRIMARY KEY,
    user_id TEXT NOT NULL REFERENCES users(id),
    name TEXT NOT NULL,
    item_count INTEGER NOT NULL DEFAULT 0,
    size_bytes INTEGER NOT NULL DEFAULT 0,
    created_at TEXT NOT NULL,
    UNIQUE (user_id, name)
);
CREATE TABLE IF NOT EXISTS api_keys (
    id TEXT PRIMARY KEY,
    key_hash TEXT NOT NULL UNIQUE,
    user_id TEXT NOT NULL REFERENCES users(id),
    namespace_id TEXT NOT NULL REFERENCES namespaces(id),
    namespace TEXT NOT NULL,
    name TEXT NOT NULL,
    access TEXT NOT NULL,
    prefix TEXT NOT NULL,
    created_at TEXT NOT NULL,
    last_used_at TEXT
);
CREATE INDEX IF NOT EXISTS api_keys_by_user ON api_keys (user_id, created_at);
CREATE INDEX IF NOT EXISTS api_keys_by_namespace ON api_keys (namespace_id);
CREATE TABLE IF NOT EXISTS items (
    namespace_id TEXT NOT NULL,
    key TEXT NOT NULL,
    value TEXT NOT NULL,
    version INTEGER NOT NULL,
    etag TEXT NOT NULL,
    size INTEGER NOT NULL,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    PRIMARY KEY (namespace_id, key)
) WITHOUT ROWID;
-- Every change of an item moves its namespace's and its owner's counters, in the same
-- statement; a write into a namespace deleted meanwhile is refused.
CREATE TRIGGER IF NOT EXISTS items_counted_on_insert AFTER INSERT ON items
BEGIN
    SELECT RAISE(ABORT, 'namespace_gone')
        WHERE NOT EXISTS (SELECT 1 FROM namespaces WHERE id = NEW.namespace_id);
    UPDATE namespaces SET item_count = item_count + 1, size_bytes = size_bytes + NEW.size
        WHERE id = NEW.namespace_id;
    UPDATE users SET storage_bytes = storage_bytes + NEW.size
        WHERE id = (SELECT user_id FROM namespaces WHERE id = NEW.namespace_id);
END;
-- Files made by earlier versions have this trigger under an older name, without WHEN.
DROP TRIGGER IF EXISTS items_counted_on_update;
CREATE TRIGGER IF NOT EXISTS items_resized AFTER UPDATE OF size ON items
    WHEN NEW.size <> OLD.size
BEGIN
    UPDATE namespaces SET size_bytes = size_bytes + NEW.size - OLD.size
        WHERE id = NEW.namespace_id;
    UPDATE users SET storage_bytes = storage_bytes + NEW.size - OLD.size
        WHERE id = (SELECT user_id FROM namespaces WHERE id = NEW.namespace_id);
END;
CREATE TRIGGER IF NOT EXISTS items_counted_on_delete AFTER DELETE ON items
BEGIN
    UPDATE namespaces SET item_count = item_count - 1, size_bytes = size_bytes - OLD.size
        WHERE id = OLD.namespace_id;
    UPDATE users SET storage_bytes = storage_bytes - OLD.size
        WHERE id = (SELECT user_id FROM namespaces WHERE id = OLD.namespace_id);
END;
CREATE TABLE IF NOT EXISTS usage (
    user_id TEXT NOT NULL,
    month TEXT NOT NULL,
    requests INTEGER NOT NULL,
    PRIMARY KEY (user_id, month)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS markers (
    scope TEXT NOT NULL,
    marker TEXT NOT NULL,
    created_at TEXT NOT NULL,
    PRIMARY KEY (scope, marker)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS login_failures (
    email TEXT PRIMARY KEY,
    count INTEGER NOT NULL,
    window_start TEXT NOT NULL
);
"""

# Commits of one process between checkpoints of the log, which are taken beside the
# writers (see kv_core.engines.sqlite.checkpoints); a commit writes one page or a few (4 KB each).
CHECKPOINT_EVERY = 1_000

_ITEM_COLUMNS = "namespace_id, key, value, version, etag, size, created_at, updated_at"
_KEY_COLUMNS = (
    "id, user_id, namespace_id, namespace, name, access, key_hash, prefix, created_at, last_used_at"
)
_USER_COLUMNS = "id, email, password_hash, plan, created_at, updated_at"
# A put: the new item, or the next version of the one there (keeping its created_at),
# unless it grows the user's storage past :limit (a write that does not grow always
# goes). No row comes back when it is refused.
_OLD_SIZE = "(SELECT size FROM items WHERE namespace_id = :ns AND key = :key)"
_PUT_WITHIN_QUOTA = (
    f"INSERT INTO items ({_ITEM_COLUMNS})"
    " SELECT :ns, :key, :value, 1, :etag, :size, :now, :now"
    f" WHERE :limit IS NULL OR :size <= coalesce({_OLD_SIZE}, -1)"
    " OR coalesce((SELECT storage_bytes FROM users WHERE id = :user), 0)"
    f" + :size - coalesce({_OLD_SIZE}, 0) <= :limit"
    " ON CONFLICT (namespace_id, key) DO UPDATE SET value = excluded.value,"
    " version = version + 1, etag = excluded.etag, size = excluded.size,"
    " updated_at = excluded.updated_at"
    " RETURNING version, created_at"
)
_RESOLVE = (
    "SELECT "
    + ", ".join(f"k.{c.strip()}" for c in _KEY_COLUMNS.split(","))
    + ", "
    + ", ".join(f"u.{c.strip()}" for c in _USER_COLUMNS.split(","))
    + " FROM api_keys k JOIN users u ON u.id = k.user_id WHERE k.key_hash = ?"
)


def prefix_upper_bound(prefix: str) -> str | None:
    """The smallest string greater than every string that starts with ``prefix``.

    ``None`` when there is none (the prefix is all U+10FFFF), so only the lower bound
    applies. Skips the surrogate range, which is not valid in UTF-8.
    """
    chars = list(prefix)
    while chars and chars[-1] == "\U0010ffff":
        chars.pop()
    if not chars:
        return None
    nxt = ord(chars[-1]) + 1
    if 0xD800 <= nxt <= 0xDFFF:
        nxt = 0xE000
    chars[-1] = chr(nxt)
    return "".join(chars)


class WriterLock:
    """Lets one writer at a time at the file, across threads and processes.

    SQLite's own busy handler waits by sleeping and polling, which under many small
    writes from several processes wastes most of the time asleep; an exclusive
    ``flock`` on a side file wakes the next writer as soon as the lock is free.

    One-statement writes go through :meth:`write_together`: the thread that gets the
    lock runs every such write that is waiting in its process and commits them at
    once, so that under load a process takes the lock, appends to the log and
    commits once for several writes instead of once for each.
    """

    def __init__(self, path: Path) -> None:
        self.path = path
        self._pid = -1
        self._fd = -1
        self._threads = threading.Lock()
        self._waiting: list[_Statement] = []
        self._queue = threading.Lock()

    def _forked(self) -> None:
        if self._pid != os.getpid():  # a fresh lock after a fork
            self._threads = threading.Lock()
            self._queue = threading.Lock()
            self._waiting = []
            self._fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600)
            self._pid = os.getpid()

    @contextmanager
    def held(self) -> Iterator[None]:
        self._forked()
        with self._threads, self._file():
            yield

    @contextmanager
    def _file(self) -> Iterator[None]:
        fcntl.flock(self._fd, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(self._fd, fcntl.LOCK_UN)

    def write_together(self, db: sqlite3.Connection, sql: str, params: Any) -> list[Any]:
        """Run one statement, committed with the others waiting in this process; its
        rows. A statement that fails on a constraint (``RAISE(ABORT)`` in a trigger)
        is undone alone; any other failure undoes the group and fails every one."""
        self._forked()
        mine = _Statement(sql, params)
        with self._queue:
            self._waiting.append(mine)
        with self._threads:
            if not mine.done:
                with self._queue:
                    group, self._waiting = self._waiting, []
                with self._file():
                    _run_together(db, group)
        if mine.error is not None:
            raise mine.error
        return mine.rows


@dataclass(slots=True)
class _Statement:
    sql: str
    params: Any
    rows: list[Any] = field(default_factory=list)
    error: BaseException | None = None
    done: bool = False


def _run_together(db: sqlite3.Connection, group: list[_Statement]) -> None:
    """Run ``group`` in one transaction (a single statement in its own)."""
    try:
        if len(group) > 1:
            db.execute("BEGIN IMMEDIATE")
        for statement in group:
            try:
                statement.rows = db.execute(statement.sql, statement.params).fetchall()
            except sqlite3.IntegrityError as error:
                statement.error = error
        if len(group) > 1:
            db.execute("COMMIT")
    except BaseException as error:
        if db.in_transaction:
            db.execute("ROLLBACK")
        for statement in group:
            statement.rows = []
            statement.error = sqlite3.OperationalError(f"the write was undone: {error}")
        if len(group) == 1:
            group[0].error = error
    finally:
        for statement in group:
            statement.done = True


class SqliteStore:
    """The :class:`~kv_core.store.Store` on one SQLite file.

    Its request counts are exact, so a write never carries a
    :class:`~kv_core.store.RequestBatch` here: one given is left to the meter.
    """

    remote = False

    def __init__(self, path: str | os.PathLike[str], *, busy_timeout_ms: int = 30_000) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._busy_timeout_ms = busy_timeout_ms
        self._local = threading.local()
        self._writer = WriterLock(self.path.with_name(self.path.name + ".lock"))
        self._counters = SharedCounters(
            self.path.with_name(self.path.name + ".counters"),
            load=self._stored_requests,
            save=self._store_requests,
        )
        self._checkpoints = Checkpointer(self.path, every=CHECKPOINT_EVERY)
        self._resolved: dict[str, tuple[ApiKey, User]] = {}
        self._resolved_generation = -1
        with self._writer.held():
            self._connection().executescript(f"BEGIN IMMEDIATE; {SCHEMA} COMMIT;")

    # --- connections -----------------------------------------------------------------

    def _connection(self) -> sqlite3.Connection:
        """This thread's connection, opened anew after a fork."""
        db: sqlite3.Connection | None = getattr(self._local, "db", None)
        if db is None or self._local.pid != os.getpid():
            db = sqlite3.connect(
                self.path, isolation_level=None, check_same_thread=False, timeout=60
            )
            db.execute("PRAGMA journal_mode=WAL")
            db.execute("PRAGMA synchronous=NORMAL")
            db.execute("PRAGMA wal_autocheckpoint=0")  # self._checkpoints takes them
            db.execute(f"PRAGMA busy_timeout={int(self._busy_timeout_ms)}")
            db.execute("PRAGMA foreign_keys=OFF")
            self._local.db = db
            self._local.pid = os.getpid()
        return db

    @contextmanager
    def _write(self) -> Iterator[sqlite3.Connection]:
        """A write transaction that holds the lock from its start."""
        db = self._connection()
        with self._writer.held():
            db.execute("BEGIN IMMEDIATE")
            try:
                yield db
            except BaseException:
                db.execute("ROLLBACK")
                raise
            db.execute("COMMIT")
        self._checkpoints.committed()

    def _write_together(self, sql: str, params: Any) -> list[Any]:
        """One statement, committed with the others waiting in this process."""
        rows = self._writer.write_together(self._connection(), sql, params)
        self._checkpoints.committed()
        return rows

    def _write_one(self, sql: str, params: tuple[Any, ...]) -> list[Any]:
        """One statement in its own write transaction."""
        with self._write() as db:
            return db.execute(sql, params).fetchall()

    def close(self) -> None:
        self._counters.close()
        self._checkpoints.close()
        db: sqlite3.Connection | None = getattr(self._local, "db", None)
        if db is not None and self._local.pid == os.getpid():
            db.close()
        self._local = threading.local()

    # --- users ---------------------------------------------------------------------

    def create_user(self, user: User) -> None:
        try:
            with self._write() as db:
                db.execute(
                    f"INSERT INTO users ({_USER_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?)",
                    (
                        user.id,
                        user.email,
                        user.password_hash,
                        user.plan,
                        user.created_at,
                        user.updated_at,
                    ),
                )
        except sqlite3.IntegrityError:
            raise Conflict(
                "An account with that email exists already.", code="email_taken"
            ) from None

    def get_user(self, user_id: str) -> User | None:
        row = (
            self._connection()
            .execute(f"SELECT {_USER_COLUMNS} FROM users WHERE id = ?", (user_id,))
            .fetchone()
        )
        return User(*row) if row else None

    def get_user_by_email(self, email: str) -> User | None:
        row = (
            self._connection()
            .execute(f"SELECT {_USER_COLUMNS} FROM users WHERE email = ?", (email,))
            .fetchone()
        )
        return User(*row) if row else None

    def set_plan(self, user_id: str, plan: str, now: str) -> None:
        with self._write() as db:
            changed = db.execute(
                "UPDATE users SET plan = ?, updated_at = ? WHERE id = ?", (plan, now, user_id)
            ).rowcount
        if not changed:
            raise NotFound("There is no such account.", code="user_not_found")
        self._keys_changed()

    def iter_users(self) -> Iterator[User]:
        rows = self._connection().execute(f"SELECT {_USER_COLUMNS} FROM users").fetchall()
        for row in rows:
            yield User(*row)

    # --- namespaces ----------------------------------------------------------------

    def create_namespace(self, namespace: Namespace) -> None:
        try:
            with self._write() as db:
                db.execute(
                    "INSERT INTO namespaces (id, user_id, name, created_at) VALUES (?, ?, ?, ?)",
                    (namespace.id, namespace.user_id, namespace.name, namespace.created_at),
                )
        except sqlite3.IntegrityError:
            raise Conflict(
                f"You already have a namespace called '{namespace.name}'.",
                code="namespace_exists",
            ) from None

    def get_namespace(self, user_id: str, name: str) -> Namespace | None:
        row = (
            self._connection()
            .execute(
                "SELECT id, user_id, name, created_at, item_count, size_bytes FROM namespaces"
                " WHERE user_id = ? AND name = ?",
                (user_id, name),
            )
            .fetchone()
        )
        return Namespace(*row) if row else None

    def list_namespaces(self, user_id: str) -> list[Namespace]:
        rows = (
            self._connection()
            .execute(
                "SELECT id, user_id, name, created_at, item_count, size_bytes FROM namespaces"
                " WHERE user_id = ? ORDER BY name",
                (user_id,),
            )
            .fetchall()
        )
        return [Namespace(*row) for row in rows]

    def delete_namespace(self, user_id: str, name: str) -> Namespace | None:
        with self._write() as db:
            row = db.execute(
                "SELECT id, user_id, name, created_at, item_count, size_bytes FROM namespaces"
                " WHERE user_id = ? AND name = ?",
                (user_id, name),
            ).fetchone()
            if row is None:
                return None
            namespace = Namespace(*row)
            # The namespace goes first, so that its items' triggers have nothing to move.
            db.execute("DELETE FROM namespaces WHERE id = ?", (namespace.id,))
            db.execute("DELETE FROM items WHERE namespace_id = ?", (namespace.id,))
            db.execute("DELETE FROM api_keys WHERE namespace_id = ?", (namespace.id,))
            db.execute(
                "UPDATE users SET storage_bytes = storage_bytes - ? WHERE id = ?",
                (namespace.size_bytes, user_id),
            )
        self._keys_changed()
        return namespace

    # --- API keys ------------------------------------------------------------------

    def create_api_key(self, key: ApiKey) -> None:
        with self._write() as db:
            db.execute(
                f"INSERT INTO api_keys ({_KEY_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    key.id,
                    key.user_id,
                    key.namespace_id,
                    key.namespace,
                    key.name,
                    key.access,
                    key.key_hash,
                    key.prefix,
                    key.created_at,
                    key.last_used_at,
                ),
            )

    def resolve_api_key(self, key_hash: str) -> tuple[ApiKey, User] | None:
        """Served from memory until any process revokes a key or changes a plan."""
        generation = self._keys_generation()
        if generation != self._resolved_generation:
            self._resolved = {}
            self._resolved_generation = generation
        resolved = self._resolved.get(key_hash)
        if resolved is None:
            row = self._connection().execute(_RESOLVE, (key_hash,)).fetchone()
            if row is None:
                return None
            resolved = ApiKey(*row[:10]), User(*row[10:])
            self._resolved[key_hash] = resolved
        return resolved

    def _keys_generation(self) -> int:
        """Grows whenever a resolved key may have changed; see ``_keys_changed``."""
        return self._counters.generation()

    def _keys_changed(self) -> None:
        """Tell every process's key cache, after a revocation or a plan change."""
        self._counters.bump_generation()

    def list_api_keys(self, user_id: str) -> list[ApiKey]:
        rows = (
            self._connection()
            .execute(
                f"SELECT {_KEY_COLUMNS} FROM api_keys WHERE user_id = ? ORDER BY created_at, id",
                (user_id,),
            )
            .fetchall()
        )
        return [ApiKey(*row) for row in rows]

    def delete_api_key(self, user_id: str, key_id: str) -> ApiKey | None:
        with self._write() as db:
            rows = db.execute(
                f"DELETE FROM api_keys WHERE user_id = ? AND id = ? RETURNING {_KEY_COLUMNS}",
                (user_id, key_id),
            ).fetchall()
        if not rows:
            return None
        self._keys_changed()
        return ApiKey(*rows[0])

    def touch_api_key(self, user_id: str, key_id: str, when: str) -> None:
        self._write_one(
            "UPDATE api_keys SET last_used_at = ? WHERE user_id = ? AND id = ?",
            (when, user_id, key_id),
        )
        for key_hash, (key, user) in list(self._resolved.items()):
            if key.id == key_id:
                self._resolved[key_hash] = replace(key, last_used_at=when), user

    # --- items ---------------------------------------------------------------------

    def get_item(self, namespace_id: str, key: str) -> Item | None:
        row = (
            self._connection()
            .execute(
                f"SELECT {_ITEM_COLUMNS} FROM items WHERE namespace_id = ? AND key = ?",
                (namespace_id, key),
            )
            .fetchone()
        )
        return _item(row) if row else None

    def put_item(
        self,
        *,
        user_id: str,
        namespace_id: str,
        key: str,
        value: Any,
        size: int,
        etag: str,
        now: str,
        if_match: str | None = None,
        if_absent: bool = False,
        storage_limit: int | None = None,
        requests: RequestBatch | None = None,
    ) -> tuple[Item, bool]:
        row = {
            "user": user_id,
            "ns": namespace_id,
            "key": key,
            "value": encode_value(value),
            "etag": etag,
            "size": size,
            "now": now,
            "limit": storage_limit,
        }
        try:
            if if_match is None and not if_absent:
                version, created_at = self._put_unconditionally(row)
            else:
                version, created_at = self._put_on_condition(row, if_match, if_absent)
        except sqlite3.IntegrityError as error:
            if "namespace_gone" in str(error):
                raise namespace_gone() from None
            raise
        item = Item(namespace_id, key, value, version, etag, size, created_at, now)
        return item, version == 1

    def _put_unconditionally(self, row: dict[str, Any]) -> tuple[int, str]:
        """One statement, committed with the other writes waiting in this process."""
        found = self._write_together(_PUT_WITHIN_QUOTA, row)
        if not found:
            raise storage_exceeded()
        return int(found[0][0]), str(found[0][1])

    def _put_on_condition(
        self, row: dict[str, Any], if_match: str | None, if_absent: bool
    ) -> tuple[int, str]:
        with self._write() as db:
            current = db.execute(
                "SELECT etag FROM items WHERE namespace_id = :ns AND key = :key", row
            ).fetchone()
            etag = current[0] if current else None
            _check_preconditions(etag, if_match=if_match, if_absent=if_absent)
            return self._upsert(db, row)

    @staticmethod
    def _upsert(db: sqlite3.Connection, row: dict[str, Any]) -> tuple[int, str]:
        """Write the item unless that takes the user past ``limit``: its version and
        created_at. The counters move in triggers."""
        found = db.execute(_PUT_WITHIN_QUOTA, row).fetchone()
        if found is None:
            raise storage_exceeded()
        return int(found[0]), str(found[1])

    def delete_item(
        self,
        *,
        user_id: str,
        namespace_id: str,
        key: str,
        if_match: str | None = None,
        requests: RequestBatch | None = None,
    ) -> Item:
        if if_match is None:
            deleted = self._write_together(
                f"DELETE FROM items WHERE namespace_id = ? AND key = ? RETURNING {_ITEM_COLUMNS}",
                (namespace_id, key),
            )
            row = deleted[0] if deleted else None
        else:
            with self._write() as db:
                row = db.execute(
                    f"SELECT {_ITEM_COLUMNS} FROM items WHERE namespace_id = ? AND key = ?",
                    (namespace_id, key),
                ).fetchone()
                if row is not None:
                    _check_preconditions(row[4], if_match=if_match, if_absent=False)
                    db.execute(
                        "DELETE FROM items WHERE namespace_id = ? AND key = ?", (namespace_id, key)
                    )
        if row is None:
            raise NotFound(f"There is no item '{key}'.", code="item_not_found")
        return _item(row)

    def list_keys(
        self, namespace_id: str, *, prefix: str = "", after: str | None = None, limit: int
    ) -> tuple[list[str], bool]:
        # One lower bound only, so that SQLite seeks to it: with two, it may pick the
        # prefix and scan every key up to the cursor.
        params: list[Any]
        if after is not None and after >= prefix:
            clauses, params = ["namespace_id = ?", "key > ?"], [namespace_id, after]
        else:
            clauses, params = ["namespace_id = ?", "key >= ?"], [namespace_id, prefix]
        upper = prefix_upper_bound(prefix) if prefix else None
        if upper is not None:
            clauses.append("key < ?")
            params.append(upper)
        rows = (
            self._connection()
            .execute(
                f"SELECT key FROM items WHERE {' AND '.join(clauses)} ORDER BY key LIMIT ?",
                (*params, limit + 1),
            )
            .fetchall()
        )
        keys = [row[0] for row in rows]
        return keys[:limit], len(keys) > limit

    # --- usage ---------------------------------------------------------------------

    def admit_requests(self, user_id: str, month: str, count: int, limit: int) -> int | None:
        if count > limit:
            return None
        if fits(user_id, month):
            return self._counters.admit(user_id, month, count, limit)
        rows = self._write_one(
            "INSERT INTO usage (user_id, month, requests) VALUES (?, ?, ?)"
            " ON CONFLICT (user_id, month) DO UPDATE"
            " SET requests = requests + excluded.requests"
            " WHERE requests + excluded.requests <= ? RETURNING requests",
            (user_id, month, count, limit),
        )
        return int(rows[0][0]) if rows else None

    def add_requests(self, user_id: str, month: str, count: int) -> int:
        if fits(user_id, month):
            return self._counters.add(user_id, month, count)
        rows = self._write_one(
            "INSERT INTO usage (user_id, month, requests) VALUES (?, ?, ?)"
            " ON CONFLICT (user_id, month) DO UPDATE"
            " SET requests = requests + excluded.requests"
            " RETURNING requests",
            (user_id, month, count),
        )
        return int(rows[0][0])

    def _requests(self, user_id: str, month: str) -> int:
        """The month's count: the shared counters', else the table's."""
        if fits(user_id, month):
            counted = self._counters.peek(user_id, month)
            if counted is not None:
                return counted
        return self._stored_requests(user_id, month)

    def _stored_requests(self, user_id: str, month: str) -> int:
        row = (
            self._connection()
            .execute("SELECT requests FROM usage WHERE user_id = ? AND month = ?", (user_id, month))
            .fetchone()
        )
        return int(row[0]) if row else 0

    def _store_requests(self, user_id: str, month: str, total: int) -> None:
        """Write a total behind the shared counters; never lowers a stored count."""
        self._write_one(
            "INSERT INTO usage (user_id, month, requests) VALUES (?, ?, ?)"
            " ON CONFLICT (user_id, month) DO UPDATE"
            " SET requests = max(requests, excluded.requests)",
            (user_id, month, total),
        )

    def get_usage(self, user_id: str, month: str) -> Usage:
        storage = (
            self._connection()
            .execute("SELECT storage_bytes FROM users WHERE id = ?", (user_id,))
            .fetchone()
        )
        return Usage(user_id, month, self._requests(user_id, month), storage[0] if storage else 0)

    def request_history(self, user_id: str, months: list[str]) -> dict[str, int]:
        return {month: self._requests(user_id, month) for month in months}

    # --- once-only markers and throttling --------------------------------------------

    def mark_once(self, scope: str, marker: str, now: str) -> bool:
        with self._write() as db:
            inserted = db.execute(
                "INSERT OR IGNORE INTO markers (scope, marker, created_at) VALUES (?, ?, ?)",
                (scope, marker, now),
            ).rowcount
        return bool(inserted)

    def add_login_failure(self, email: str, now: str, window_seconds: int) -> int:
        window_open_since = isoformat(parse_iso(now) - timedelta(seconds=window_seconds))
        with self._write() as db:
            row = db.execute(
                "INSERT INTO login_failures (email, count, window_start) VALUES (?, 1, ?)"
                " ON CONFLICT (email) DO UPDATE SET"
                "   count = CASE WHEN window_start > ? THEN count + 1 ELSE 1 END,"
                "   window_start = CASE WHEN window_start > ? THEN window_start ELSE ? END"
                " RETURNING count",
                (email, now, window_open_since, window_open_since, now),
            ).fetchone()
        return int(row[0])

    def clear_login_failures(self, email: str) -> None:
        with self._write() as db:
            db.execute("DELETE FROM login_failures WHERE email = ?", (email,))

    def login_failures(self, email: str, now: str, window_seconds: int) -> int:
        window_open_since = isoformat(parse_iso(now) - timedelta(seconds=window_seconds))
        row = (
            self._connection()
            .execute(
                "SELECT count FROM login_failures WHERE email = ? AND window_start > ?",
                (email, window_open_since),
            )
            .fetchone()
        )
        return int(row[0]) if row else 0


def _item(row: tuple[Any, ...]) -> Item:
    namespace_id, key, value, version, etag, size, created_at, updated_at = row
    return Item(namespace_id, key, json.loads(value), version, etag, size, created_at, updated_at)


def _check_preconditions(
    current_etag: str | None, *, if_match: str | None, if_absent: bool
) -> None:
    if if_absent and current_etag is not None:
        raise precondition_failed(if_absent=True)
    if if_match is not None and current_etag is None:
        raise precondition_failed(if_absent=False, missing=True)
    if if_match not in (None, ANY_ETAG, current_etag):
        raise precondition_failed(if_absent=False)
