"""Wake-ups of the change feed's waiters, one set per store in a process.

A commit of this process that logs changes wakes the waiters of its namespace at once
(:meth:`Wakeups.notify`; a sweep, which touches any namespace, wakes them all). Commits
of other processes are noticed by one poller thread per store, which runs only while
someone waits and reads one cheap value (``probe``: SQLite's ``data_version``, which
moves with every commit of another connection) ``POLLS_PER_SECOND`` times a second,
however many wait; when it moved, it reads each waited namespace's latest seq
(``latest``) once and wakes the waiters of those that grew. A waiter re-reads its own
namespace when woken, so a wake-up may be spurious (the waiter then waits on), never
missed; waiters of a namespace that is not written are not woken by the writes of
others in this process.
"""

from __future__ import annotations

import logging
import os
import threading
import time
from collections.abc import Callable

logger = logging.getLogger(__name__)

POLLS_PER_SECOND = 4
# How long the poller stays once nobody waits, so that waiters that come and go (a
# long poll answered and asked again) do not start a thread each time.
POLLER_LINGERS_SECONDS = 5.0


class _Namespace:
    """The waiters of one namespace: their condition (on the shared lock) and how
    many times the namespace was notified."""

    def __init__(self, lock: threading.Lock) -> None:
        self.changed = threading.Condition(lock)
        self.generation = 0
        self.waiters = 0
        self.polled: int | None = None  # its latest seq when the poller last read it


class Wakeups:
    def __init__(self, probe: Callable[[], int], latest: Callable[[str], int]) -> None:
        self._probe = probe
        self._latest = latest
        self._pid = -1
        self._closed = False
        self._forked()

    def _forked(self) -> None:
        """Fresh state after a fork: the parent's poller did not come along."""
        if self._pid != os.getpid():
            self._lock = threading.Lock()
            self._waiting: dict[str, _Namespace] = {}
            self._poller: threading.Thread | None = None
            self._pid = os.getpid()

    def notify(self, namespace_id: str | None = None) -> None:
        """Changes were committed in ``namespace_id`` (``None``: in any): wake its
        waiters."""
        self._forked()
        with self._lock:
            woken = (
                self._waiting.values()
                if namespace_id is None
                else [self._waiting[namespace_id]]
                if namespace_id in self._waiting
                else []
            )
            for waiters in woken:
                waiters.generation += 1
                waiters.changed.notify_all()

    def wait(self, namespace_id: str, changed: Callable[[], bool], timeout: float) -> bool:
        """Wait until ``changed()`` is true, for at most ``timeout`` seconds; whether it
        is. A wake-up that finds it false (the poller's first look at a namespace, a
        write that logged nothing new) goes back to waiting."""
        self._forked()
        with self._lock:
            waiters = self._waiting.get(namespace_id)
            if waiters is None:
                waiters = self._waiting[namespace_id] = _Namespace(self._lock)
            waiters.waiters += 1
            seen = waiters.generation
            self._start_poller()
        try:
            deadline = time.monotonic() + timeout
            while not changed():
                with self._lock:
                    while waiters.generation == seen:
                        remaining = deadline - time.monotonic()
                        if remaining <= 0:
                            break
                        waiters.changed.wait(remaining)
                    if waiters.generation == seen:  # the time is up, and nothing woke it
                        return changed()
                    seen = waiters.generation
            return True
        finally:
            with self._lock:
                waiters.waiters -= 1
                if not waiters.waiters:
                    del self._waiting[namespace_id]

    def _start_poller(self) -> None:
        """Called holding the lock."""
        if self._poller is None and not self._closed:
            self._poller = threading.Thread(target=self._poll, name="kv-change-poller", daemon=True)
            self._poller.start()

    def _poll(self) -> None:
        last = self._probed(None)
        idle_since: float | None = None
        while True:
            with self._lock:
                if self._closed:
                    self._poller = None
                    return
                if self._waiting:
                    idle_since = None
                elif idle_since is None:
                    idle_since = time.monotonic()
                elif time.monotonic() - idle_since >= POLLER_LINGERS_SECONDS:
                    self._poller = None
                    return
            time.sleep(1 / POLLS_PER_SECOND)
            current = self._probed(last)
            if current != last:
                last = current
                self._wake_grown()

    def _wake_grown(self) -> None:
        """Wake the waiters of each namespace whose latest seq moved since the last
        look (or was not looked at yet)."""
        with self._lock:
            waited = list(self._waiting.items())
        for namespace_id, waiters in waited:
            try:
                seq = self._latest(namespace_id)
            except Exception:
                logger.warning("the change feed's poller could not read the store", exc_info=True)
                self.notify()
                return
            if seq != waiters.polled:
                waiters.polled = seq
                self.notify(namespace_id)

    def _probed(self, last: int | None) -> int | None:
        """The probe's value, or ``last`` when the store cannot answer now (the
        waiters then find out by their own last look)."""
        try:
            return self._probe()
        except Exception:
            logger.warning("the change feed's poller could not read the store", exc_info=True)
            return last

    def close(self) -> None:
        with self._lock:
            self._closed = True
