"""Checkpoints of a SQLite log, taken in a thread of their own.

SQLite's automatic checkpoint runs inside the commit that crosses its threshold, so the
writer copying the log into the database, and syncing both to disk, holds the write
lock while it does, and every other writer waits; on a slow disk that stalls all writes
for a while. A ``PASSIVE`` checkpoint needs no write lock, so it runs here, beside the
writers, after every ``every`` commits of this process.
"""

from __future__ import annotations

import logging
import os
import sqlite3
import threading
from pathlib import Path

logger = logging.getLogger(__name__)


class Checkpointer:
    """Counts this process's commits and checkpoints the log every ``every`` of them."""

    def __init__(self, path: Path, *, every: int) -> None:
        self.path = path
        self.every = every
        self._commits = 0
        self._pid = -1
        self._wake = threading.Event()
        self._stop = False
        self._thread: threading.Thread | None = None
        self._done = 0  # checkpoints taken, for tests

    def committed(self, count: int = 1) -> None:
        """Note ``count`` commits; wake the thread when a checkpoint is due. (The count
        is a hint, not exact across threads.)"""
        self._commits += count
        if self._commits >= self.every:
            self._commits = 0
            self._started().set()

    def _started(self) -> threading.Event:
        if self._pid != os.getpid():  # no thread survives a fork
            self._wake = threading.Event()
            self._stop = False
            self._thread = threading.Thread(target=self._run, name="sqlite-checkpoint", daemon=True)
            self._pid = os.getpid()
            self._thread.start()
        return self._wake

    def _run(self) -> None:
        db = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False)
        try:
            while True:
                self._wake.wait()
                self._wake.clear()
                if self._stop:
                    return
                try:
                    db.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchall()
                    self._done += 1
                except sqlite3.Error:
                    logger.warning("a checkpoint failed; the next will retry", exc_info=True)
        finally:
            db.close()

    def close(self) -> None:
        """Stop this process's thread (the last connection to close checkpoints)."""
        if self._thread is not None and self._pid == os.getpid():
            self._stop = True
            self._wake.set()
            self._thread.join(timeout=10)
        self._thread = None
        self._pid = -1
