"""The dashboard's sessions on the embedded engine."""

from __future__ import annotations

from kv_core.engines.sqlite import rows
from kv_core.engines.sqlite.connection import Database
from kv_core.model import Session

SESSION_COLUMNS = rows.columns(Session)


class Sessions(Database):
    def create_session(self, session: Session) -> None:
        self._write_one(
            f"INSERT INTO sessions ({SESSION_COLUMNS}) VALUES ({rows.placeholders(Session)})",
            rows.values(session),
        )

    def get_session(self, user_id: str, token_hash: str) -> Session | None:
        row = self._read_one(
            f"SELECT {SESSION_COLUMNS} FROM sessions WHERE token_hash = ? AND user_id = ?",
            (token_hash, user_id),
        )
        return rows.record(Session, row) if row else None

    def delete_session(self, user_id: str, token_hash: str) -> None:
        self._write_one(
            "DELETE FROM sessions WHERE token_hash = ? AND user_id = ?", (token_hash, user_id)
        )

    def delete_sessions(self, user_id: str, *, keep: str | None = None) -> int:
        with self._write() as db:
            return db.execute(
                "DELETE FROM sessions WHERE user_id = ? AND token_hash IS NOT ?", (user_id, keep)
            ).rowcount
