"""Checkpoints of a SQLite log, taken in a thread of their own, and the log's bound.

SQLite's automatic checkpoint runs inside the commit that crosses its threshold, so the
writer copying the log into the database, and syncing both to disk, holds the write
lock while it does, and every other writer waits; on a slow disk that stalls all writes
for a while. A ``PASSIVE`` checkpoint needs no write lock, so it runs here, beside the
writers, after every ``every`` commits of this process.

A passive checkpoint copies the log into the database but never starts the log over
while readers are about, and under steady reads they always are: the log grew by
hundreds of MB a minute. So once the log passes a quarter of its bound, the thread
takes a ``TRUNCATE`` checkpoint, which holds new writers back for the moment it takes
to wait for the readers of the old log, copy the rest and empty the file; past half
the bound, a writer waits for that after its commit (briefly, and never failing) rather
than let the log grow. When the process has written nothing for ``idle_seconds`` the
log is emptied too, and when the store closes.
"""

from __future__ import annotations

import logging
import os
import sqlite3
import threading
import time
from pathlib import Path

logger = logging.getLogger(__name__)

WAL_MAX_BYTES = 64 * 1024 * 1024
# What a plain commit adds to the log, at most: a few pages of 4 KB and their headers.
COMMIT_BYTES = 16 * 1024
IDLE_SECONDS = 1.0
# How long a writer waits for the log to be emptied, past half its bound.
HOLD_SECONDS = 5.0
# A closing store empties the log if it can do so promptly, and leaves it otherwise.
CLOSING_TIMEOUT_MS = 1_000


class Checkpointer:
    """Counts this process's commits, checkpoints the log every ``every`` of them, and
    keeps the log under ``wal_max_bytes``."""

    def __init__(
        self,
        path: Path,
        *,
        every: int,
        wal_max_bytes: int = WAL_MAX_BYTES,
        idle_seconds: float = IDLE_SECONDS,
        busy_timeout_ms: int = 30_000,
    ) -> None:
        self.path = path
        self.wal = path.with_name(path.name + "-wal")
        self.every = every
        self.restart_at = wal_max_bytes // 4
        self.hold_at = wal_max_bytes // 2
        # The size is looked at often enough to see each sixteenth of the bound.
        self.look_every = max(1, wal_max_bytes // 16 // COMMIT_BYTES)
        self.idle_seconds = idle_seconds
        self._busy_timeout_ms = busy_timeout_ms
        self._commits = 0
        self._unlooked = 0
        self._serial = 0  # commits ever noted here, for the idle check
        self._last_commit = 0.0
        self._pid = -1
        self._wake = threading.Event()
        self._emptied = threading.Condition()
        self._stop = False
        self._thread: threading.Thread | None = None
        self._done = 0  # checkpoints taken, for tests
        self._truncations = 0  # of them, those that emptied the log

    def log_size(self) -> int:
        try:
            return os.stat(self.wal).st_size
        except FileNotFoundError:
            return 0

    def committed(self, count: int = 1) -> None:
        """Note ``count`` commits; wake the thread when a checkpoint is due, and wait
        for the log to be emptied when it is past half its bound. (The counts are hints,
        not exact across threads; the size is looked at every ``look_every`` commits.)"""
        wake = self._started()  # from the first commit on, to empty the log when idle
        self._serial += count
        self._last_commit = time.monotonic()
        self._commits += count
        self._unlooked += count
        size = 0
        if self._unlooked >= self.look_every:
            self._unlooked = 0
            size = self.log_size()
        if size >= self.restart_at or self._commits >= self.every:
            self._commits = 0
            wake.set()
        if size >= self.hold_at:
            self._hold()

    def _hold(self) -> None:
        """Wait until the thread has emptied the log once more, or ``HOLD_SECONDS``."""
        deadline = time.monotonic() + HOLD_SECONDS
        with self._emptied:
            seen = self._truncations
            while self._truncations == seen and self.log_size() >= self.hold_at:
                left = deadline - time.monotonic()
                if left <= 0:
                    logger.warning("the log is %d bytes and could not be emptied", self.log_size())
                    return
                self._emptied.wait(min(left, 0.05))

    def _started(self) -> threading.Event:
        if self._pid != os.getpid():  # no thread survives a fork
            self._wake = threading.Event()
            self._emptied = threading.Condition()
            self._stop = False
            self._thread = threading.Thread(target=self._run, name="sqlite-checkpoint", daemon=True)
            self._pid = os.getpid()
            self._thread.start()
        return self._wake

    def _connect(self, busy_timeout_ms: int) -> sqlite3.Connection:
        db = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False)
        db.execute(f"PRAGMA busy_timeout={int(busy_timeout_ms)}")
        db.execute(f"PRAGMA journal_size_limit={self.restart_at}")
        return db

    def _run(self) -> None:
        db = self._connect(self._busy_timeout_ms)
        emptied = -1  # the commit serial the log was last emptied at
        try:
            while True:
                woken = self._wake.wait(self.idle_seconds)
                self._wake.clear()
                if self._stop:
                    return
                if woken:
                    full = self.log_size() >= self.restart_at
                    self._checkpoint(db, "TRUNCATE" if full else "PASSIVE")
                    continue
                serial = self._serial
                idle = time.monotonic() - self._last_commit >= self.idle_seconds
                # Written, then nothing for a while: empty the log.
                if serial != emptied and idle and self._emptied_log(db):
                    emptied = serial
        finally:
            db.close()

    def _emptied_log(self, db: sqlite3.Connection) -> bool:
        return self.log_size() == 0 or self._checkpoint(db, "TRUNCATE")

    def _checkpoint(self, db: sqlite3.Connection, mode: str) -> bool:
        """One checkpoint; whether it went through (a reader or another process's
        checkpoint can keep a ``TRUNCATE`` from finishing: the next one retries)."""
        try:
            busy, _, _ = db.execute(f"PRAGMA wal_checkpoint({mode})").fetchone()
        except sqlite3.Error:
            logger.warning("a checkpoint failed; the next will retry", exc_info=True)
            return False
        self._done += 1
        if mode == "TRUNCATE" and not busy:
            with self._emptied:
                self._truncations += 1
                self._emptied.notify_all()
        return not busy

    def close(self) -> None:
        """Stop this process's thread and empty the log (when no one else is using it,
        SQLite also removes it as the last connection closes)."""
        if self._thread is not None and self._pid == os.getpid():
            self._stop = True
            self._wake.set()
            self._thread.join(timeout=10)
            db = self._connect(CLOSING_TIMEOUT_MS)
            try:
                self._checkpoint(db, "TRUNCATE")
            finally:
                db.close()
        self._thread = None
        self._pid = -1
