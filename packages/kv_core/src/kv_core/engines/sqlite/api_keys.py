"""API keys on the embedded engine, resolved from memory until any process changes
one (see generation.py)."""

from __future__ import annotations

from dataclasses import replace

from kv_core.engines.sqlite import rows
from kv_core.engines.sqlite.connection import Database
from kv_core.model import ApiKey, User

KEY_COLUMNS = rows.columns(ApiKey)
_RESOLVE = (
    f"SELECT {rows.columns(ApiKey, 'k', 'k_')}, {rows.columns(User, 'u', 'u_')}"
    " FROM api_keys k JOIN users u ON u.id = k.user_id WHERE k.key_hash = ?"
)


class ApiKeys(Database):
    _resolved: dict[str, tuple[ApiKey, User]]
    _resolved_generation: int

    def create_api_key(self, key: ApiKey) -> None:
        with self._write() as db:
            db.execute(
                f"INSERT INTO api_keys ({KEY_COLUMNS}) VALUES ({rows.placeholders(ApiKey)})",
                rows.values(key),
            )

    def resolve_api_key(self, key_hash: str) -> tuple[ApiKey, User] | None:
        """Served from memory until any process revokes a key or changes a plan."""
        generation = self._generation.value()
        if generation != self._resolved_generation:
            self._resolved = {}
            self._resolved_generation = generation
        resolved = self._resolved.get(key_hash)
        if resolved is None:
            row = self._read_one(_RESOLVE, (key_hash,))
            if row is None:
                return None
            resolved = rows.record(ApiKey, row, "k_"), rows.record(User, row, "u_")
            self._resolved[key_hash] = resolved
        return resolved

    def list_api_keys(self, user_id: str) -> list[ApiKey]:
        found = (
            self._connection()
            .execute(
                f"SELECT {KEY_COLUMNS} FROM api_keys WHERE user_id = ? ORDER BY created_at, id",
                (user_id,),
            )
            .fetchall()
        )
        return [rows.record(ApiKey, row) for row in found]

    def delete_api_key(self, user_id: str, key_id: str) -> ApiKey | None:
        with self._write() as db:
            deleted = db.execute(
                f"DELETE FROM api_keys WHERE user_id = ? AND id = ? RETURNING {KEY_COLUMNS}",
                (user_id, key_id),
            ).fetchall()
            if deleted:
                db.execute("DELETE FROM key_usage WHERE key_id = ?", (key_id,))
        if not deleted:
            return None
        self._keys_changed()
        return rows.record(ApiKey, deleted[0])

    def touch_api_key(self, user_id: str, key_id: str, when: str) -> None:
        self._write_one(
            "UPDATE api_keys SET last_used_at = ? WHERE user_id = ? AND id = ?",
            (when, user_id, key_id),
        )
        for key_hash, (key, user) in list(self._resolved.items()):
            if key.id == key_id:
                self._resolved[key_hash] = replace(key, last_used_at=when), user
