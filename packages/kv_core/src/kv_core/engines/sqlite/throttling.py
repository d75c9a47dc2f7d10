"""Once-only markers and login-attempt windows on the embedded engine."""

from __future__ import annotations

from datetime import timedelta

from kv_core.engines.sqlite.connection import Database
from kv_core.model import isoformat, parse_iso


def _window_open_since(now: str, window_seconds: int) -> str:
    return isoformat(parse_iso(now) - timedelta(seconds=window_seconds))


class Throttling(Database):
    def mark_once(self, scope: str, marker: str, now: str) -> bool:
        with self._write() as db:
            inserted = db.execute(
                "INSERT OR IGNORE INTO markers (scope, marker, created_at) VALUES (?, ?, ?)",
                (scope, marker, now),
            ).rowcount
        return bool(inserted)

    def has_mark(self, scope: str, marker: str) -> bool:
        found = self._read_one(
            "SELECT 1 FROM markers WHERE scope = ? AND marker = ?", (scope, marker)
        )
        return found is not None

    def count_login_attempt(self, subject: str, now: str, window_seconds: int) -> int:
        since = _window_open_since(now, window_seconds)
        with self._write() as db:
            row = db.execute(
                "INSERT INTO login_attempts (subject, count, window_start) VALUES (?, 1, ?)"
                " ON CONFLICT (subject) DO UPDATE SET"
                "   count = CASE WHEN window_start > ? THEN count + 1 ELSE 1 END,"
                "   window_start = CASE WHEN window_start > ? THEN window_start ELSE ? END"
                " RETURNING count",
                (subject, now, since, since, now),
            ).fetchone()
        return int(row[0])

    def clear_login_attempts(self, subject: str) -> None:
        with self._write() as db:
            db.execute("DELETE FROM login_attempts WHERE subject = ?", (subject,))
