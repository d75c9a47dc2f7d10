"""Monthly request counts on the embedded engine: exact, through the shared counters
(counters.py) for any (user, month) that fits a slot, in the ``usage`` table for the
rest and behind the counters.

Each API key's count of the month moves with its owner's, in the same hold of the
counters' lock or the same SQLite transaction, and is written behind to
``key_usage``."""

from __future__ import annotations

from kv_core.engines.sqlite.connection import Database
from kv_core.engines.sqlite.counters import SharedCounters, fits, key_fits
from kv_core.model import Usage
from kv_core.store import KeyCounts

_ADD = (
    "INSERT INTO usage (user_id, month, requests) VALUES (?, ?, ?)"
    " ON CONFLICT (user_id, month) DO UPDATE SET requests = requests + excluded.requests"
)
# Only for a key that is not revoked, so that a late write leaves no count behind.
_ADD_KEY = (
    "INSERT INTO key_usage (key_id, month, requests)"
    " SELECT ?1, ?2, ?3 WHERE EXISTS (SELECT 1 FROM api_keys WHERE id = ?1)"
    " ON CONFLICT (key_id, month) DO UPDATE SET requests = requests + excluded.requests"
)
_STORE_KEY = (
    "INSERT INTO key_usage (key_id, month, requests)"
    " SELECT ?1, ?2, ?3 WHERE EXISTS (SELECT 1 FROM api_keys WHERE id = ?1)"
    " ON CONFLICT (key_id, month) DO UPDATE SET requests = max(requests, excluded.requests)"
)
_KEY_COUNTS = (
    "SELECT k.id, coalesce(u.requests, 0) FROM api_keys k"
    " LEFT JOIN key_usage u ON u.key_id = k.id AND u.month = ?"
    " WHERE k.user_id = ? ORDER BY k.created_at, k.id"
)


class UsageCounts(Database):
    _counters: SharedCounters

    def admit_requests(
        self, user_id: str, month: str, count: int, limit: int, *, key_id: str | None = None
    ) -> int | None:
        if count > limit:
            return None
        if fits(user_id, month) and (key_id is None or key_fits(key_id, month)):
            return self._counters.admit(user_id, month, count, limit, key_id=key_id)
        if fits(user_id, month):  # a key id no slot holds (never one the service made)
            total = self._counters.admit(user_id, month, count, limit)
            if total is not None and key_id is not None:
                self._write_one(_ADD_KEY, (key_id, month, count))
            return total
        with self._write() as db:
            added = db.execute(
                f"{_ADD} WHERE requests + excluded.requests <= ? RETURNING requests",
                (user_id, month, count, limit),
            ).fetchall()
            if added and key_id is not None:
                db.execute(_ADD_KEY, (key_id, month, count))
        return int(added[0][0]) if added else None

    def add_requests(self, user_id: str, month: str, count: int, *, by_key: KeyCounts = ()) -> int:
        if not fits(user_id, month):
            with self._write() as db:
                added = db.execute(f"{_ADD} RETURNING requests", (user_id, month, count))
                total = int(added.fetchall()[0][0])
                db.executemany(_ADD_KEY, [(key_id, month, part) for key_id, part in by_key])
            return total
        in_slots = tuple((key_id, part) for key_id, part in by_key if key_fits(key_id, month))
        total = self._counters.add(user_id, month, count, by_key=in_slots)
        elsewhere = [(k, month, part) for k, part in by_key if not key_fits(k, month)]
        if elsewhere:  # key ids no slot holds (never ones the service made)
            with self._write() as db:
                db.executemany(_ADD_KEY, elsewhere)
        return total

    def key_requests(self, user_id: str, month: str) -> dict[str, int]:
        stored = self._connection().execute(_KEY_COUNTS, (month, user_id)).fetchall()
        counts: dict[str, int] = {}
        for key_id, requests in stored:
            counted = self._counters.peek_key(key_id, month) if key_fits(key_id, month) else None
            counts[key_id] = int(requests) if counted is None else counted
        return counts

    def _requests(self, user_id: str, month: str) -> int:
        """The month's count: the shared counters', else the table's."""
        if fits(user_id, month):
            counted = self._counters.peek(user_id, month)
            if counted is not None:
                return counted
        return self._stored_requests(user_id, month)

    def _stored_requests(self, user_id: str, month: str) -> int:
        row = self._read_one(
            "SELECT requests FROM usage WHERE user_id = ? AND month = ?", (user_id, month)
        )
        return int(row[0]) if row else 0

    def _store_requests(self, user_id: str, month: str, total: int) -> None:
        """Write a total behind the shared counters; never lowers a stored count.

        It does not wait for a sync: it is written while the counters are held, and
        every request of the process would wait with it. The next write's sync puts it
        on disk; a power cut before that loses it, as it loses the counts the counters
        file held (it starts over at boot), and the count goes back to the last one
        on disk."""
        self._write_one(
            "INSERT INTO usage (user_id, month, requests) VALUES (?, ?, ?)"
            " ON CONFLICT (user_id, month) DO UPDATE"
            " SET requests = max(requests, excluded.requests)",
            (user_id, month, total),
            durable=False,
        )

    def _stored_key_requests(self, key_id: str, month: str) -> int:
        row = self._read_one(
            "SELECT requests FROM key_usage WHERE key_id = ? AND month = ?", (key_id, month)
        )
        return int(row[0]) if row else 0

    def _store_key_requests(self, key_id: str, month: str, total: int) -> None:
        """Write a key's total behind the shared counters, as :meth:`_store_requests`
        (a revoked key's is dropped)."""
        self._write_one(_STORE_KEY, (key_id, month, total), durable=False)

    def get_usage(self, user_id: str, month: str) -> Usage:
        storage = self._read_one("SELECT storage_bytes FROM users WHERE id = ?", (user_id,))
        return Usage(user_id, month, self._requests(user_id, month), storage[0] if storage else 0)

    def request_history(self, user_id: str, months: list[str]) -> dict[str, int]:
        return {month: self._requests(user_id, month) for month in months}
