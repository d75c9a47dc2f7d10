"""One writer at a time at the file, and group commit of one-statement writes."""

from __future__ import annotations

import fcntl
import os
import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any


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

    def close(self) -> None:
        if self._pid == os.getpid() and self._fd >= 0:
            os.close(self._fd)
        self._fd = -1
        self._pid = -1


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
            statement.error.__cause__ = error  # what failed, for the engine's faults.py
        if len(group) == 1:
            group[0].error = error
    finally:
        for statement in group:
            statement.done = True
