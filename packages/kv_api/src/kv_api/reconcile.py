"""The counters' reconciliation (:mod:`kv_core.services.reconcile`) as a job: run on
demand by ``kv-storage admin recount``, on AWS by a scheduled function, and by
``serve`` in the background every ``KV_RECONCILE_INTERVAL_SECONDS``."""

from __future__ import annotations

import fcntl
import logging
import os
import threading
import time
from pathlib import Path

from kv_core.names import normalize_email
from kv_core.services.reconcile import Reconciled, Reconciliation
from kv_core.settings import Settings, open_store
from kv_core.store import Store

logger = logging.getLogger(__name__)

LAST_RUN_FILE = "reconciled-at"


def reconcile(
    settings: Settings | None = None, *, email: str | None = None, deadline: float | None = None
) -> Reconciled:
    """One pass over every namespace (of one account, given its ``email``); raises
    ``LookupError`` for an email with no account."""
    settings = settings or Settings.from_env()
    store = open_store(settings)
    try:
        users = None
        if email is not None:
            user = store.get_user_by_email(normalize_email(email))
            if user is None:
                raise LookupError(f"there is no account {email!r}")
            users = [user]
        reconciliation = Reconciliation(store, settle_seconds=settings.reconcile_settle_seconds)
        return reconciliation.run(users, deadline=deadline)
    finally:
        store.close()


class BackgroundPass:
    """A pass every ``interval`` seconds from a daemon thread of this process.

    Every worker of ``serve`` starts one; they take turns through a lock file in the
    data directory, which also holds when the last pass ran, so that the machine runs
    one pass per interval whatever its number of workers.
    """

    def __init__(self, store: Store, settings: Settings) -> None:
        self.store = store
        self.interval = settings.reconcile_interval_seconds
        self.reconciliation = Reconciliation(
            store, settle_seconds=settings.reconcile_settle_seconds
        )
        self.path = Path(settings.data_dir) / LAST_RUN_FILE
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        if self.interval <= 0 or self._thread is not None:
            return
        self._thread = threading.Thread(target=self._run, name="kv-reconcile", daemon=True)
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
                logger.warning(
                    "the counters' reconciliation failed; it runs again later", exc_info=True
                )

    def run_once(self, now: float | None = None) -> Reconciled | None:
        """Run a pass if no process of the machine runs one or ran one less than an
        interval ago; what it did, or ``None`` if it was not this one's turn."""
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
            done = self.reconciliation.run()
            os.ftruncate(fd, 0)
            os.pwrite(fd, f"{now}\n".encode(), 0)
            logger.info(
                "reconciled %d namespaces: %d corrected, %d left for the next pass",
                done.namespaces,
                len(done.corrected),
                len(done.unsettled),
            )
            return done
        finally:
            os.close(fd)
