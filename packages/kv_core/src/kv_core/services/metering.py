"""Counting requests against the monthly quota: exactly, or in batches.

On the embedded engine every request is admitted by one atomic store update, so counts
are exact and a quota of N admits exactly N. On a remote engine that costs a call per
request, so each instance counts in memory and writes its count in batches, flushed
after ``batch`` requests, after ``interval`` seconds, and on shutdown.

The bound on overshoot: an instance admits at most ``batch`` requests the store has not
seen, and after every flush it learns the true total. So with ``K`` instances serving
one account at once, at most ``K * batch`` requests are admitted past the quota. An
instance that is killed without shutting down loses at most ``batch - 1`` counts
(never admitting more because of it).
"""

from __future__ import annotations

import atexit
import logging
import threading
import time
from dataclasses import dataclass

from kv_core.store import Store

logger = logging.getLogger(__name__)


@dataclass(slots=True)
class _Tally:
    known: int = 0  # the store's total at our last flush
    pending: int = 0  # admitted here, not yet written
    since: float = 0.0  # when the oldest pending request was admitted
    seen: bool = False  # whether we have asked the store for the total yet


class RequestMeter:
    """Admits requests against a monthly limit; see the module's doc for the bound."""

    def __init__(self, store: Store, *, batch: int = 1, interval: float = 5.0) -> None:
        self.store = store
        self.batch = max(1, batch)
        self.interval = interval
        self._tallies: dict[tuple[str, str], _Tally] = {}
        self._lock = threading.Lock()
        if self.batch > 1:
            atexit.register(self._flush_at_exit)

    @property
    def exact(self) -> bool:
        return self.batch == 1

    def admit(self, user_id: str, month: str, limit: int) -> int | None:
        """Count one request; the month's total including it, or ``None`` if the quota
        is reached (and nothing counted)."""
        if self.exact:
            return self.store.admit_requests(user_id, month, 1, limit)
        with self._lock:
            tally = self._tallies.setdefault((user_id, month), _Tally())
            if not tally.seen:
                total = self.store.admit_requests(user_id, month, 1, limit)
                tally.seen = True
                tally.known = limit if total is None else total
                return total
            if tally.known + tally.pending >= limit:
                if tally.pending:
                    self._flush(user_id, month, tally)
                return None
            if not tally.pending:
                tally.since = time.monotonic()
            tally.pending += 1
            used = tally.known + tally.pending
            if tally.pending >= self.batch or time.monotonic() - tally.since >= self.interval:
                self._flush(user_id, month, tally)
            return used

    def flush(self) -> None:
        """Write every pending count (at shutdown, or from a timer)."""
        with self._lock:
            for (user_id, month), tally in self._tallies.items():
                if tally.pending:
                    self._flush(user_id, month, tally)

    def close(self) -> None:
        """Write what is pending and stop watching for the process's exit."""
        self.flush()
        atexit.unregister(self._flush_at_exit)

    def _flush_at_exit(self) -> None:
        """At exit nobody can handle an error any more: report lost counts instead."""
        try:
            self.flush()
        except Exception:
            lost = sum(tally.pending for tally in self._tallies.values())
            logger.warning("%d request counts could not be written at exit", lost, exc_info=True)

    def pending(self, user_id: str, month: str) -> int:
        tally = self._tallies.get((user_id, month))
        return tally.pending if tally else 0

    def _flush(self, user_id: str, month: str, tally: _Tally) -> None:
        tally.known = self.store.add_requests(user_id, month, tally.pending)
        tally.pending = 0
        tally.seen = True
