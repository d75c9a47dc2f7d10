"""Wake-ups of the change feed's waiters, one set per store in a process.

A commit of this process wakes every waiter at once (:meth:`Wakeups.notify`, called
after each write transaction). Commits of other processes are noticed by one poller
thread per store, which runs only while someone waits and reads one cheap value
(``probe``: SQLite's ``data_version``, which moves with every commit of another
connection) ``POLLS_PER_SECOND`` times a second,
however many wait. A waiter re-reads its own namespace when woken, so a wake-up may be
spurious, never missed.
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
# long-poll answered and asked again) do not start a thread each time.
POLLER_LINGERS_SECONDS = 5.0


class Wakeups:
    def __init__(self, probe: Callable[[], int]) -> None:
        self._probe = probe
        self._pid = -1
        self._closed = False
        self._forked()

    def _forked(self) -> None:
        """Fresh state after a fork: the parent's poller did not come along."""
        if self._pid != os.getpid():
            self._changed = threading.Condition()
            self._generation = 0
            self._waiters = 0
            self._poller: threading.Thread | None = None
            self._pid = os.getpid()

    def notify(self) -> None:
        """Something was committed: wake every waiter."""
        self._forked()
        with self._changed:
            self._generation += 1
            self._changed.notify_all()

    def wait(self, changed: Callable[[], bool], timeout: float) -> bool:
        """Wait until ``changed()`` may be true, for at most ``timeout`` seconds;
        whether it may be (a False is checked by a last ``changed()``)."""
        self._forked()
        with self._changed:
            seen = self._generation
            self._waiters += 1
            self._start_poller()
        try:
            if changed():
                return True
            deadline = time.monotonic() + timeout
            with self._changed:
                while self._generation == seen:
                    remaining = deadline - time.monotonic()
                    if remaining <= 0:
                        break
                    self._changed.wait(remaining)
                woken = self._generation != seen
        finally:
            with self._changed:
                self._waiters -= 1
        return woken or changed()

    def _start_poller(self) -> None:
        """Called holding the condition."""
        if self._poller is None and not self._closed:
            self._poller = threading.Thread(target=self._poll, name="kv-change-poller", daemon=True)
            self._poller.start()

    def _poll(self) -> None:
        last = self._probed(None)
        idle_since: float | None = None
        while True:
            with self._changed:
                if self._closed:
                    self._poller = None
                    return
                if self._waiters:
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
                self.notify()

    def _probed(self, last: int | None) -> int | None:
        """The probe's value, or ``last`` when the store cannot answer now (the
        waiters then find out by their own last look)."""
        try:
            return self._probe()
        except Exception:
            logger.warning("the change feed's poller could not read the store", exc_info=True)
            return last

    def close(self) -> None:
        with self._changed:
            self._closed = True
