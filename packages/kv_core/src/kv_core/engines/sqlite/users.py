"""Accounts on the embedded engine: users, their passwords and reset links, and the
deletion of everything that is theirs."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator

from kv_core.engines.sqlite import rows
from kv_core.engines.sqlite.connection import Database
from kv_core.model import ResetToken, User
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

    def set_password(self, user_id: str, password_hash: str, now: str) -> None:
        with self._write() as db:
            changed = db.execute(
                "UPDATE users SET password_hash = ?, updated_at = ? WHERE id = ?",
                (password_hash, now, user_id),
            ).rowcount
        if not changed:
            raise refusals.user_not_found()

    def delete_user(self, user_id: str) -> User | None:
        with self._write() as db:
            row = db.execute(
                f"SELECT {USER_COLUMNS} FROM users WHERE id = ?", (user_id,)
            ).fetchone()
            if row is None:
                return None
            # The namespaces go first, so that their items' triggers have nothing to move.
            owned = "SELECT id FROM namespaces WHERE user_id = :user"
            db.execute(f"DELETE FROM api_keys WHERE namespace_id IN ({owned})", {"user": user_id})
            spaces = [r[0] for r in db.execute(owned, {"user": user_id})]
            db.execute("DELETE FROM namespaces WHERE user_id = ?", (user_id,))
            for table in ("items", "changes"):
                db.executemany(
                    f"DELETE FROM {table} WHERE namespace_id = ?", [(s,) for s in spaces]
                )
            for table in ("api_keys", "usage", "sessions", "reset_tokens", "subscriptions"):
                db.execute(f"DELETE FROM {table} WHERE user_id = ?", (user_id,))
            db.execute("DELETE FROM users WHERE id = ?", (user_id,))
        self._keys_changed()
        return rows.record(User, row)

    def create_reset_token(self, token: ResetToken) -> None:
        self._write_one(
            "INSERT INTO reset_tokens (token_hash, user_id, expires_at)"
            " VALUES (:token_hash, :user_id, :expires_at)",
            rows.values(token),
        )

    def consume_reset_token(self, token_hash: str, now: str) -> str | None:
        used = self._write_one(
            "DELETE FROM reset_tokens WHERE token_hash = ? RETURNING user_id, expires_at",
            (token_hash,),
        )
        if not used or used[0]["expires_at"] <= now:
            return None
        return str(used[0]["user_id"])
