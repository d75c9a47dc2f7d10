"""What every part of the embedded engine shares: the file, a connection per thread
and one for group commits, write transactions under the writer lock, the log's syncs
and bound, and the key cache's generation.

With ``synchronous="full"`` (the default) a write is answered only once it is on disk:
SQLite itself runs with ``synchronous=NORMAL`` (it syncs the log at checkpoints only)
and the engine syncs the log after each commit, outside the writer lock, so that one
sync serves every write committed while the previous sync ran
(:class:`~kv_core.engines.sqlite.writer.Syncs`). With ``"normal"`` the engine leaves
the log to the checkpoints: a crash of the process loses no committed write, a power
cut may lose those since the last checkpoint.
"""

from __future__ import annotations

import os
import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from kv_core.engines.sqlite.checkpoints import WAL_MAX_BYTES, Checkpointer
from kv_core.engines.sqlite.generation import SharedGeneration
from kv_core.engines.sqlite.wakeups import Wakeups
from kv_core.engines.sqlite.writer import WriterLock

# Commits of one process between checkpoints of the log, which are taken beside the
# writers (see checkpoints.py); a commit writes one page or a few (4 KB each).
CHECKPOINT_EVERY = 1_000
SYNCHRONOUS = ("full", "normal")
# The data and the size of a file, not its other metadata, as SQLite syncs its log.
_datasync = getattr(os, "fdatasync", os.fsync)


def make_private(path: Path) -> None:
    """Make the database's directory (0700, when it makes it) and the file itself (0600)
    readable by their owner only, before SQLite opens it: SQLite gives the log and its
    index the database file's mode."""
    if not path.parent.exists():
        path.parent.mkdir(parents=True, mode=0o700)
        path.parent.chmod(0o700)  # whatever the umask left of the mode
    os.close(os.open(path, os.O_RDWR | os.O_CREAT, 0o600))
    for made in (path, path.with_name(f"{path.name}-wal"), path.with_name(f"{path.name}-shm")):
        if made.exists() and made.stat().st_mode & 0o077:
            made.chmod(0o600)  # made by an earlier version, world-readable


class Database:
    """The base of :class:`~kv_core.engines.sqlite.SqliteStore` and of each of its
    concern modules: how they reach the file."""

    def __init__(
        self,
        path: str | os.PathLike[str],
        *,
        busy_timeout_ms: int = 30_000,
        synchronous: str = "full",
        wal_max_bytes: int = WAL_MAX_BYTES,
    ) -> None:
        """``synchronous`` is ``full`` (a write is answered once it is on disk) or
        ``normal`` (once it is in the log; see the module's doc); ``wal_max_bytes``
        bounds the log (see :mod:`~kv_core.engines.sqlite.checkpoints`)."""
        if synchronous not in SYNCHRONOUS:
            raise ValueError(f"synchronous is one of {SYNCHRONOUS}, not {synchronous!r}")
        self.path = Path(path)
        make_private(self.path)
        self._busy_timeout_ms = busy_timeout_ms
        self._local = threading.local()
        self._group_db: sqlite3.Connection | None = None
        self._group_pid = -1
        self._log = self.path.with_name(f"{self.path.name}-wal")
        self._log_handle = -1
        self._log_pid = -1
        self._writer = WriterLock(
            self._beside("lock"), sync=self._sync if synchronous == "full" else None
        )
        self._generation = SharedGeneration(self._beside("generation"))
        self._checkpoints = Checkpointer(
            self.path,
            every=CHECKPOINT_EVERY,
            wal_max_bytes=wal_max_bytes,
            busy_timeout_ms=busy_timeout_ms,
        )
        self._wakeups = Wakeups(self._data_version, self._latest_change)

    def _beside(self, suffix: str) -> Path:
        """A side file of the database: ``kv.sqlite3.<suffix>``."""
        return self.path.with_name(f"{self.path.name}.{suffix}")

    def _connection(self) -> sqlite3.Connection:
        """This thread's connection, opened anew after a fork."""
        db: sqlite3.Connection | None = getattr(self._local, "db", None)
        if db is None or self._local.pid != os.getpid():
            db = self._local.db = self._open()
            self._local.pid = os.getpid()
        return db

    def _group_connection(self) -> sqlite3.Connection:
        """The process's connection for group commits (:meth:`_write_together`), asked
        for and used by one leading thread at a time, under the writer lock. Being
        always the same one, its cache holds the pages the last group wrote; a thread's
        own connection would read them anew from the log after every other thread's
        commit."""
        if self._group_db is None or self._group_pid != os.getpid():
            self._group_db = self._open()
            self._group_pid = os.getpid()
        return self._group_db

    def _open(self) -> sqlite3.Connection:
        db = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False, timeout=60)
        db.row_factory = sqlite3.Row
        db.execute("PRAGMA journal_mode=WAL")
        # In "full", the engine syncs the log itself (see _sync), outside the lock.
        db.execute("PRAGMA synchronous=NORMAL")
        db.execute("PRAGMA wal_autocheckpoint=0")  # self._checkpoints takes them
        # A writer that starts the log over cuts the file back to this size.
        db.execute(f"PRAGMA journal_size_limit={self._checkpoints.restart_at}")
        db.execute(f"PRAGMA busy_timeout={int(self._busy_timeout_ms)}")
        db.execute("PRAGMA foreign_keys=OFF")
        return db

    @contextmanager
    def _write(self, *, durable: bool = True) -> Iterator[sqlite3.Connection]:
        """A write transaction that holds the lock from its start. Without ``durable``
        it returns once committed, and the next write's sync puts it on disk."""
        db = self._connection()
        with self._writer.held():
            db.execute("BEGIN IMMEDIATE")
            try:
                yield db
                db.execute("COMMIT")
            except BaseException:
                # A full disk or an I/O error may have rolled it back already; a
                # failed COMMIT may not have, and must not leave it open.
                if db.in_transaction:
                    db.execute("ROLLBACK")
                raise
            commit = self._writer.committed()
        if durable:
            self._writer.durable(commit)
        self._checkpoints.committed()

    def _write_together(self, sql: str, params: Any) -> list[Any]:
        """One statement, committed with the others waiting in this process."""
        rows = self._writer.write_together(self._group_connection, sql, params)
        self._checkpoints.committed()
        return rows

    def _data_version(self) -> int:
        """A number that moves whenever another connection (of this process or
        another) commits to the file, read without touching the data."""
        return int(self._connection().execute("PRAGMA data_version").fetchone()[0])

    def _latest_change(self, namespace_id: str) -> int:
        """The seq of a namespace's latest change (0 if none): what a waiter waits on."""
        row = self._read_one("SELECT max(seq) FROM changes WHERE namespace_id = ?", (namespace_id,))
        return int(row[0] or 0) if row else 0

    def _sync(self) -> None:
        """Put every commit made so far on disk: the log's, or the database's when
        there is no log (a checkpoint that emptied the log synced the database first).
        The log stays open between syncs; SQLite never removes it while this process
        has a connection to the file."""
        log = self._log_fd()
        if log is not None:
            _datasync(log)
            return
        fd = os.open(self.path, os.O_RDONLY)
        try:
            _datasync(fd)
        finally:
            os.close(fd)

    def _log_fd(self) -> int | None:
        """This process's descriptor of the log, opened on first use (``None`` while
        there is no log)."""
        if self._log_pid != os.getpid():
            try:
                self._log_handle = os.open(self._log, os.O_RDONLY)
            except FileNotFoundError:
                return None
            self._log_pid = os.getpid()
        return self._log_handle

    def _close_log(self) -> None:
        if self._log_pid == os.getpid():
            os.close(self._log_handle)
        self._log_pid = -1

    def _write_one(self, sql: str, params: Any, *, durable: bool = True) -> list[Any]:
        """One statement in its own write transaction (see :meth:`_write`)."""
        with self._write(durable=durable) as db:
            return db.execute(sql, params).fetchall()

    def _read_one(self, sql: str, params: Any) -> sqlite3.Row | None:
        row: sqlite3.Row | None = self._connection().execute(sql, params).fetchone()
        return row

    def _keys_changed(self) -> None:
        """Tell every process's key cache, after a revocation or a plan change."""
        self._generation.bump()

    def _close_connection(self) -> None:
        db: sqlite3.Connection | None = getattr(self._local, "db", None)
        if db is not None and self._local.pid == os.getpid():
            db.close()
        self._local = threading.local()
        if self._group_db is not None and self._group_pid == os.getpid():
            self._group_db.close()
        self._group_db = None
        self._group_pid = -1
