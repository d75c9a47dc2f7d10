"""Accounts on the embedded engine."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator

from kv_core.engines.sqlite import rows
from kv_core.engines.sqlite.connection import Database
from kv_core.model import User
from kv_core.store import refusals

USER_COLUMNS = rows.columns(User)


class Users(Database):
    def create_user(self, user: User) -> None:
        try:
            with self._write() as db:
                db.execute(
                    f"INSERT INTO users ({USER_COLUMNS}) VALUES ({rows.placeholders(User)})",
                    rows.values(user),
                )
        except sqlite3.IntegrityError:
            raise refusals.email_taken() from None

    def get_user(self, user_id: str) -> User | None:
        row = self._read_one(f"SELECT {USER_COLUMNS} FROM users WHERE id = ?", (user_id,))
        return rows.record(User, row) if row else None

    def get_user_by_email(self, email: str) -> User | None:
        row = self._read_one(f"SELECT {USER_COLUMNS} FROM users WHERE email = ?", (email,))
        return rows.record(User, row) if row else None

    def set_plan(
        self,
        user_id: str,
        plan: str,
        now: str,
        *,
        requests_limit: int | None = None,
        storage_limit: int | None = None,
    ) -> None:
        self._change_user(
            "plan = ?, requests_limit = ?, storage_limit = ?",
            (plan, requests_limit, storage_limit),
            user_id,
            now,
        )

    def set_disabled(self, user_id: str, disabled_at: str | None, now: str) -> None:
        self._change_user("disabled_at = ?", (disabled_at,), user_id, now)

    def _change_user(
        self, assignments: str, values: tuple[object, ...], user_id: str, now: str
    ) -> None:
        """Update the user's row; every process's key cache sees the change at once."""
        with self._write() as db:
            changed = db.execute(
                f"UPDATE users SET {assignments}, updated_at = ? WHERE id = ?",
                (*values, now, user_id),
            ).rowcount
        if not changed:
            raise refusals.user_not_found()
        self._keys_changed()

    def iter_users(self) -> Iterator[User]:
        found = self._connection().execute(f"SELECT {USER_COLUMNS} FROM users").fetchall()
        for row in found:
            yield rows.record(User, row)
