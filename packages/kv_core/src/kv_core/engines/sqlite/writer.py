"""One writer at a time at the file, and group commit of one-statement writes."""

from __future__ import annotations

import fcntl
import os
import sqlite3
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any


class WriterLock:
    """Lets one writer at a time at the file, across threads and processes.

    SQLite's own busy handler waits by sleeping and polling, which under many small
    writes from several processes wastes most of the time asleep; an exclusive
    ``flock`` on a side file wakes the next writer as soon as the lock is free.

    One-statement writes go through :meth:`write_together`: one thread of the process
    at a time leads, running every such write that is waiting in its process and
    committing them at once, so that under load a process takes the lock, appends to
    the log and commits once for several writes instead of once for each.

    With ``sync`` (the engine's way of putting its log on disk), a write returns only
    once a sync begun after its commit has ended. The sync runs outside the lock, so
    other processes (and this one's write transactions) write while it goes to disk,
    and one sync at a time covers every commit of the process made before it
    (:class:`Syncs`).
    """

    def __init__(self, path: Path, sync: Callable[[], None] | None = None) -> None:
        self.path = path
        self.sync = sync
        self._syncs = Syncs(sync) if sync is not None else None
        self._pid = -1
        self._fd = -1
        self._threads = threading.Lock()
        self._waiting: list[_Statement] = []
        self._leading = False  # a thread is committing and syncing the waiting ones
        self._queue = threading.Lock()

    def _forked(self) -> None:
        if self._pid != os.getpid():  # a fresh lock after a fork
            self._syncs = Syncs(self.sync) if self.sync is not None else None
            self._threads = threading.Lock()
            self._queue = threading.Lock()
            self._waiting = []
            self._leading = False
            self._fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600)
            self._pid = os.getpid()

    def committed(self) -> int:
        """Count a commit of this process (just made); its number, for :meth:`durable`."""
        return self._syncs.committed() if self._syncs is not None else 0

    def durable(self, commit: int) -> None:
        """Return once commit number ``commit`` is on disk (at once without ``sync``)."""
        if self._syncs is not None:
            self._syncs.wait(commit)

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

    def write_together(
        self, connect: Callable[[], sqlite3.Connection], sql: str, params: Any
    ) -> list[Any]:
        """Run one statement, committed with the others waiting in this process; its
        rows. ``connect`` gives the connection a leader writes with, asked for under
        the lock. A statement that fails on a constraint (``RAISE(ABORT)`` in a trigger)
        is undone alone; any other failure undoes the group and fails every one.

        One thread of the process at a time leads: it takes every statement waiting,
        runs them in one transaction on the connection ``connect`` gives, and with
        ``sync`` puts the log on disk once the lock is free; a failed sync fails them
        all. Then it lets each of them return and hands the lead to the first
        statement that arrived meanwhile, whose thread commits every one that waited.
        So a statement that arrives while a sync is under way waits for it to end (a
        commit made during a sync would wait for the next one anyway), the statements
        that waited share one commit and one sync (under load, about as many as
        connections), and a thread that does not lead wakes only once, when its
        statement is done."""
        self._forked()
        mine = _Statement(sql, params)
        with self._queue:
            self._waiting.append(mine)
            mine.lead = not self._leading
            self._leading = True
        if not mine.lead:
            mine.wake.acquire()  # released once it is done, or once it is to lead
        if mine.lead:
            self._lead(connect, mine)
        if mine.error is not None:
            raise mine.error
        return mine.rows

    def _lead(self, connect: Callable[[], sqlite3.Connection], mine: _Statement) -> None:
        """Commit and sync every statement waiting (``mine`` among them), let them
        return, and pass the lead on."""
        group: list[_Statement] = []
        try:
            with self._threads:
                with self._queue:
                    group, self._waiting = self._waiting, []
                db = connect()
                with self._file():
                    _run_together(db, group)
                commit = self.committed()
            _sync_group(group, commit, self._syncs)
        except BaseException as error:  # the connection, the lock or the sync failed
            if not group:  # interrupted before it took any: its own alone
                with self._queue:
                    self._waiting.remove(mine)
                group = [mine]
            for statement in group:
                statement.rows = []
                statement.error = error
        finally:
            with self._queue:
                following = self._waiting[0] if self._waiting else None
                if following is None:
                    self._leading = False
                else:
                    following.lead = True
            for statement in group:
                if not statement.lead:
                    statement.wake.release()
            if following is not None:
                following.wake.release()

    def close(self) -> None:
        if self._pid == os.getpid() and self._fd >= 0:
            os.close(self._fd)
        self._fd = -1
        self._pid = -1


def _held_lock() -> threading.Lock:
    """A lock already taken: its waiter blocks until another thread releases it."""
    lock = threading.Lock()
    lock.acquire()
    return lock


@dataclass(slots=True)
class _Statement:
    sql: str
    params: Any
    rows: list[Any] = field(default_factory=list)
    error: BaseException | None = None
    lead: bool = False
    wake: threading.Lock = field(default_factory=_held_lock)


def _sync_group(group: list[_Statement], commit: int, syncs: Syncs | None) -> None:
    """Put a committed group on disk; a failed sync fails every statement of it."""
    try:
        if syncs is not None and any(statement.error is None for statement in group):
            syncs.wait(commit)
    except OSError as error:
        for statement in group:
            statement.rows = []
            statement.error = error


class Syncs:
    """Syncs of the log for a process's commits, one at a time: a sync covers every
    commit made before it started, so the commits made while one runs share the next.
    """

    def __init__(self, sync: Callable[[], None]) -> None:
        self.sync = sync
        self._changed = threading.Condition()
        self._committed = 0
        self._synced = 0
        self._syncing = False
        self.syncs = 0  # syncs made, for tests

    def committed(self) -> int:
        with self._changed:
            self._committed += 1
            return self._committed

    def wait(self, commit: int) -> None:
        """Return once ``commit`` is on disk: sync, or wait for the sync under way and
        then sync if it began before ``commit``."""
        with self._changed:
            while self._synced < commit:
                if self._syncing:
                    self._changed.wait()
                    continue
                self._syncing = True
                covered = self._committed
                self._changed.release()
                try:
                    self.sync()
                finally:
                    self._changed.acquire()
                    self._syncing = False
                    self._changed.notify_all()
                self.syncs += 1
                self._synced = max(self._synced, covered)


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
