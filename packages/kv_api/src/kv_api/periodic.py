"""A job that ``serve`` runs in the background every so many seconds, once per machine.

Every worker of ``serve`` starts one; they take turns through a lock file in the data
directory, which also holds when the job last ran, so that the machine runs it about
once per interval whatever its number of workers.
"""

from __future__ import annotations

import fcntl
import logging
import os
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Generic, TypeVar

logger = logging.getLogger(__name__)

T = TypeVar("T")


class PeriodicJob(Generic[T]):
    """``work`` every ``interval`` seconds (0: never) from a daemon thread named
    ``name``, taking turns with the machine's other workers through ``path``."""

    def __init__(
        self, name: str, work: Callable[[], T], *, interval: float, path: Path, what: str
    ) -> None:
        self.name = name
        self.work = work
        self.interval = interval
        self.path = path
        self.what = what  # for the log: "the expiry sweep"
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        if self.interval <= 0 or self._thread is not None:
            return
        self._thread = threading.Thread(target=self._run, name=self.name, daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=10)
            self._thread = None

    def _run(self) -> None:
        while not self._stop.wait(self.interval):
            try:
                self.run_once()
            except Exception:
                logger.warning("%s failed; it runs again later", self.what, exc_info=True)

    def run_once(self, now: float | None = None) -> T | None:
        """Run the job if no process of the machine runs it now or ran it less than an
        interval ago; what it answered, or ``None`` if it was not this one's turn."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                return None
            now = time.time() if now is None else now
            last = os.pread(fd, 64, 0).decode().strip()
            if last and now - float(last) < self.interval * 0.9:
                return None
            done = self.work()
            os.ftruncate(fd, 0)
            os.pwrite(fd, f"{now}\n".encode(), 0)
            return done
        finally:
            os.close(fd)
