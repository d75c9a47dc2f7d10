"""The expiry sweep (:class:`kv_core.services.sweep.Sweeper`) as a job: run by
``serve`` in the background every ``KV_SWEEP_INTERVAL_SECONDS`` (default 60), and
callable once by a scheduled function.

Every worker of ``serve`` starts a :class:`BackgroundSweep`; they take turns through a
lock file in the data directory that also holds when the last sweep ran, so that the
machine sweeps about once per interval. Correctness does not hang on it: the engines
release each expired item's bytes exactly once however many sweeps race.
"""

from __future__ import annotations

import fcntl
import logging
import os
import threading
import time
from pathlib import Path

from kv_core.services.sweep import Sweeper
from kv_core.settings import Settings, open_store

logger = logging.getLogger(__name__)

LAST_SWEEP_FILE = "swept-at"


def sweep(settings: Settings | None = None) -> int:
    """Sweep every expired item once; how many were removed."""
    settings = settings or Settings.from_env(secret_required=False)
    store = open_store(settings)
    try:
        return Sweeper(store, settings.core_config()).sweep()
    finally:
        store.close()


class BackgroundSweep:
    """A sweep every ``interval`` seconds from a daemon thread of this process."""

    def __init__(self, sweeper: Sweeper, settings: Settings) -> None:
        self.sweeper = sweeper
        self.interval = settings.sweep_interval_seconds
        self.path = Path(settings.data_dir) / LAST_SWEEP_FILE
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        if self.interval <= 0 or self._thread is not None:
            return
        self._thread = threading.Thread(target=self._run, name="kv-sweep", daemon=True)
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
                logger.warning("the expiry sweep failed; it runs again later", exc_info=True)

    def run_once(self, now: float | None = None) -> int | None:
        """Sweep if no process of the machine sweeps now or swept less than an interval
        ago; how many items it removed, or ``None`` if it was not this one's turn."""
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
            removed = self.sweeper.sweep()
            os.ftruncate(fd, 0)
            os.pwrite(fd, f"{now}\n".encode(), 0)
            return removed
        finally:
            os.close(fd)
