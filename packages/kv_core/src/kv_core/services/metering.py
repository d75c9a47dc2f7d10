"""Counting requests against the monthly quota: exactly, or in batches.

On the embedded engine every request is admitted by one atomic store update, so counts
are exact and a quota of N admits exactly N. On a remote engine that costs a call per
request, so each instance counts in memory and writes its count in batches, flushed
once its *allowance* of unwritten requests is reached, after ``interval`` seconds, and
on shutdown. A write does not flush on its own: it carries what is pending to the store
in the counters update it makes anyway (:meth:`RequestMeter.take`,
:class:`~kv_core.store.RequestBatch`), which reports the month's total back, so writes
cost no extra call for counting.

The allowance grows with the headroom the instance knows of, ``headroom = limit -
known - carried`` (what it last learned is left of the month's quota, less what is in
flight): ``allowance = min(batch_max, max(batch, headroom // batch_share))``, with
``batch`` 20, ``batch_share`` 64 and ``batch_max`` 1,000 as configured
(:class:`~kv_core.services.CoreConfig`). Far from the quota an instance writes once per
1,000 requests (a bulk get of 100 keys then costs 1.1 calls); near it, once per 20.

The bound on overshoot: an instance never admits past the quota by what it knows, and
never leaves more than its allowance unseen by the store (plus one for each other
request it serves at the same moment; a Lambda instance serves one at a time): a
request that would (a bulk one) first writes what is pending, learning the true total,
and one that alone is more than the allowance is admitted by the store's count. So with
``K`` instances serving one account at once, at most ``K * min(1000, max(20, limit //
64))`` requests are admitted past the quota; as the account nears its quota each
instance's allowance shrinks back to 20 as soon as it has written once, so near the
quota the bound is ``K * 20`` again after one flush per instance. An instance that is
killed without shutting down loses at most its allowance ``- 1`` counts (never
admitting more because of it).

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
    limit: int = 0  # the month's quota, as the last request admitted was told
    seen: bool = False  # whether we have asked the store for the total yet
    pending_keys: Counter[str] = field(default_factory=Counter)  # pending, per API key
    carried_keys: Counter[str] = field(default_factory=Counter)  # carried, per API key

    def by_key(self) -> KeyCounts:
        return tuple(self.pending_keys.items())


class RequestMeter:
    """Admits requests against a monthly limit; see the module's doc for the bound."""

    def __init__(
        self,
        store: Store,
        *,
        batch: int = 1,
        interval: float = 5.0,
        batch_share: int = 64,
        batch_max: int | None = None,
    ) -> None:
        """``batch``: the least allowance (1: exact, no batching); ``batch_max``: the
        most (by default ``batch``: a fixed allowance); ``batch_share``: the share of
        the known headroom an instance may hold between the two."""
        self.store = store
        self.batch = max(1, batch)
        self.batch_max = max(self.batch, batch_max or self.batch)
        self.batch_share = max(1, batch_share)
        self.interval = interval
        self._tallies: dict[tuple[str, str], _Tally] = {}
        self._lock = threading.Lock()
        if self.batch_max > 1:
            atexit.register(self._flush_at_exit)

    @property
    def exact(self) -> bool:
        return self.batch_max == 1

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
            tally.limit = limit
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
            if tally.pending + count > self._allowance(tally):
                # More than the allowance would go unseen: learn the total first, and
                # admit what is still too many for the allowance at the store, exactly.
                if tally.pending:
                    self._flush(user_id, month, tally)
                if count > self._allowance(tally):
                    return self._admit_exactly(user_id, month, tally, count, key_id)
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

    def allowance(self, user_id: str, month: str) -> int:
        """How many unwritten requests the instance may hold for the month now."""
        with self._lock:
            tally = self._tallies.get((user_id, month))
            return self._allowance(tally) if tally else self.batch

    def _allowance(self, tally: _Tally) -> int:
        headroom = tally.limit - tally.known - tally.carried
        return min(self.batch_max, max(self.batch, headroom // self.batch_share))

    def _due(self, tally: _Tally) -> bool:
        return (
            tally.pending >= self._allowance(tally)
            or time.monotonic() - tally.since >= self.interval
        )

    def _admit_exactly(
        self, user_id: str, month: str, tally: _Tally, count: int, key_id: str | None
    ) -> int | None:
        """Admit ``count`` requests by the store's count (with this instance's counts in
        flight), in the one call a flush would have made."""
        limit = tally.limit - tally.carried
        total = self.store.admit_requests(user_id, month, count, limit, key_id=key_id)
        if total is None:
            return None
        tally.known = max(tally.known, total)
        return tally.known + tally.pending + tally.carried

    def _flush(self, user_id: str, month: str, tally: _Tally) -> None:
        total = self.store.add_requests(user_id, month, tally.pending, by_key=tally.by_key())
        tally.known = max(tally.known, total)
        tally.pending = 0
        tally.pending_keys.clear()
        tally.seen = True
