"""Counting requests against the monthly quota: exactly, or in batches.

On the embedded engine every request is admitted by one atomic store update, so counts
are exact and a quota of N admits exactly N. On a remote engine that costs a call per
request, so each instance counts in memory and writes its count in batches, flushed
after ``batch`` requests, after ``interval`` seconds, and on shutdown. A write does not
flush on its own: it carries what is pending to the store in the counters update it
makes anyway (:meth:`RequestMeter.take`, :class:`~kv_core.store.RequestBatch`), which
reports the month's total back, so writes cost no extra call for counting.

The bound on overshoot: an instance admits at most ``batch`` requests the store has not
seen (plus one for each other request it serves at the same moment; a Lambda instance
serves one at a time), and whenever its counts are written it learns the true total.
So with ``K`` instances serving one account at once, at most ``K * batch`` requests are
admitted past the quota. An instance that is killed without shutting down loses at most
``batch - 1`` counts (never admitting more because of it).

Each request made with an API key is also counted against the key, the same way: the
key's counts ride in the user's batch (:attr:`~kv_core.store.RequestBatch.by_key`)
and reach the store in the same call as the user's, so counting per key costs no call
and moves no bound.
"""

from __future__ import annotations

import atexit
import logging
import threading
import time
from collections import Counter
from dataclasses import dataclass, field

from kv_core.store import KeyCounts, RequestBatch, Store

logger = logging.getLogger(__name__)


@dataclass(slots=True)
class _Tally:
    known: int = 0  # the store's total when it last told us
    pending: int = 0  # admitted here, not yet written
    carried: int = 0  # handed to writes under way
    since: float = 0.0  # when the oldest pending request was admitted
    seen: bool = False  # whether we have asked the store for the total yet
    pending_keys: Counter[str] = field(default_factory=Counter)  # pending, per API key
    carried_keys: Counter[str] = field(default_factory=Counter)  # carried, per API key

    def by_key(self) -> KeyCounts:
        return tuple(self.pending_keys.items())


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

    def admit(
        self,
        user_id: str,
        month: str,
        limit: int,
        *,
        count: int = 1,
        carry: bool = False,
        key_id: str | None = None,
    ) -> int | None:
        """Count ``count`` requests (a bulk request's keys) at once; the month's total
        including them, or ``None`` if they would pass the quota (and nothing counted).
        ``key_id``: the API key that made them, counted with the user.

        With ``carry`` the caller is a write that will carry the pending count
        (:meth:`take`), so a batch that is due is not flushed here.
        """
        if self.exact:
            return self.store.admit_requests(user_id, month, count, limit, key_id=key_id)
        with self._lock:
            tally = self._tallies.setdefault((user_id, month), _Tally())
            if not tally.seen:
                total = self.store.admit_requests(user_id, month, count, limit, key_id=key_id)
                tally.seen = True
                if total is not None:
                    tally.known = total
                elif count == 1:
                    tally.known = limit  # refused one: the month is full
                else:  # refused several: how many fit is worth one read
                    tally.known = self.store.get_usage(user_id, month).requests
                return total
            if tally.known + tally.pending + tally.carried + count > limit:
                if tally.pending:
                    self._flush(user_id, month, tally)
                return None
            if not tally.pending and not tally.carried:
                tally.since = time.monotonic()
            tally.pending += count
            if key_id is not None:
                tally.pending_keys[key_id] += count
            used = tally.known + tally.pending + tally.carried
            if not carry and self._due(tally):
                self._flush(user_id, month, tally)
            return used

    def take(self, user_id: str, month: str) -> RequestBatch | None:
        """What is pending for the month, for a write to carry to the store; hand it
        back to :meth:`settle` once the write is over, whatever its outcome."""
        if self.exact:
            return None
        with self._lock:
            tally = self._tallies.get((user_id, month))
            if tally is None or not tally.pending:
                return None
            batch = RequestBatch(month, tally.pending, tally.by_key())
            tally.carried += tally.pending
            tally.carried_keys.update(tally.pending_keys)
            tally.pending = 0
            tally.pending_keys.clear()
            return batch

    def settle(self, user_id: str, batch: RequestBatch, total: int | None) -> None:
        """Learn the month's ``total`` a write reported, or, when it reported none (it
        did not count the batch), take its counts back and write them if they are due.
        Never raises: counts that cannot be written stay pending."""
        with self._lock:
            tally = self._tallies[(user_id, batch.month)]
            tally.carried -= batch.count
            tally.carried_keys.subtract(dict(batch.by_key))
            tally.carried_keys = +tally.carried_keys  # drop the keys at zero
            if total is not None:
                tally.known = max(tally.known, total)
                return
            tally.pending += batch.count
            tally.pending_keys.update(dict(batch.by_key))
            if self._due(tally):
                try:
                    self._flush(user_id, batch.month, tally)
                except Exception:
                    logger.warning("request counts kept for the next flush", exc_info=True)

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
        """Requests admitted here that the store may not have counted yet."""
        tally = self._tallies.get((user_id, month))
        return tally.pending + tally.carried if tally else 0

    def pending_by_key(self, user_id: str, month: str) -> dict[str, int]:
        """The part of :meth:`pending` each API key made."""
        with self._lock:
            tally = self._tallies.get((user_id, month))
            if tally is None:
                return {}
            return dict(tally.pending_keys + tally.carried_keys)

    def _due(self, tally: _Tally) -> bool:
        return tally.pending >= self.batch or time.monotonic() - tally.since >= self.interval

    def _flush(self, user_id: str, month: str, tally: _Tally) -> None:
        total = self.store.add_requests(user_id, month, tally.pending, by_key=tally.by_key())
        tally.known = max(tally.known, total)
        tally.pending = 0
        tally.pending_keys.clear()
        tally.seen = True
