"""Monthly request counts on the embedded engine: exact, through the shared counters
(counters.py) for any (user, month) that fits a slot, in the ``usage`` table for the
rest and behind the counters."""

from __future__ import annotations

from kv_core.engines.sqlite.connection import Database
from kv_core.engines.sqlite.counters import SharedCounters, fits
from kv_core.model import Usage

_ADD = (
    "INSERT INTO usage (user_id, month, requests) VALUES (?, ?, ?)"
    " ON CONFLICT (user_id, month) DO UPDATE SET requests = requests + excluded.requests"
)


class UsageCounts(Database):
    _counters: SharedCounters

    def admit_requests(self, user_id: str, month: str, count: int, limit: int) -> int | None:
        if count > limit:
            return None
        if fits(user_id, month):
            return self._counters.admit(user_id, month, count, limit)
        added = self._write_one(
            f"{_ADD} WHERE requests + excluded.requests <= ? RETURNING requests",
            (user_id, month, count, limit),
        )
        return int(added[0][0]) if added else None

    def add_requests(self, user_id: str, month: str, count: int) -> int:
        if fits(user_id, month):
            return self._counters.add(user_id, month, count)
        added = self._write_one(f"{_ADD} RETURNING requests", (user_id, month, count))
        return int(added[0][0])

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
        """Write a total behind the shared counters; never lowers a stored count."""
        self._write_one(
            "INSERT INTO usage (user_id, month, requests) VALUES (?, ?, ?)"
            " ON CONFLICT (user_id, month) DO UPDATE"
            " SET requests = max(requests, excluded.requests)",
            (user_id, month, total),
        )

    def get_usage(self, user_id: str, month: str) -> Usage:
        storage = self._read_one("SELECT storage_bytes FROM users WHERE id = ?", (user_id,))
        return Usage(user_id, month, self._requests(user_id, month), storage[0] if storage else 0)

    def request_history(self, user_id: str, months: list[str]) -> dict[str, int]:
        return {month: self._requests(user_id, month) for month in months}
