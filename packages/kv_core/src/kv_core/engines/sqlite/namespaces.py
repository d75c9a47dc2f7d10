"""Namespaces on the embedded engine, with their live counters."""

from __future__ import annotations

import sqlite3

from kv_core.engines.sqlite import rows
from kv_core.engines.sqlite.connection import Database
from kv_core.model import Namespace
from kv_core.store import refusals

NAMESPACE_COLUMNS = rows.columns(Namespace)


class Namespaces(Database):
    def create_namespace(self, namespace: Namespace) -> None:
        try:
            with self._write() as db:
                db.execute(
                    "INSERT INTO namespaces (id, user_id, name, created_at)"
                    " VALUES (:id, :user_id, :name, :created_at)",
                    rows.values(namespace),
                )
        except sqlite3.IntegrityError:
            raise refusals.namespace_exists(namespace.name) from None

    def get_namespace(self, user_id: str, name: str) -> Namespace | None:
        row = self._read_one(
            f"SELECT {NAMESPACE_COLUMNS} FROM namespaces WHERE user_id = ? AND name = ?",
            (user_id, name),
        )
        return rows.record(Namespace, row) if row else None

    def list_namespaces(self, user_id: str) -> list[Namespace]:
        found = (
            self._connection()
            .execute(
                f"SELECT {NAMESPACE_COLUMNS} FROM namespaces WHERE user_id = ? ORDER BY name",
                (user_id,),
            )
            .fetchall()
        )
        return [rows.record(Namespace, row) for row in found]

    def delete_namespace(self, user_id: str, name: str) -> Namespace | None:
        with self._write() as db:
            row = db.execute(
                f"SELECT {NAMESPACE_COLUMNS} FROM namespaces WHERE user_id = ? AND name = ?",
                (user_id, name),
            ).fetchone()
            if row is None:
                return None
            namespace = rows.record(Namespace, row)
            # The namespace goes first, so that its items' triggers have nothing to move.
            db.execute("DELETE FROM namespaces WHERE id = ?", (namespace.id,))
            db.execute("DELETE FROM items WHERE namespace_id = ?", (namespace.id,))
            db.execute("DELETE FROM api_keys WHERE namespace_id = ?", (namespace.id,))
            db.execute("DELETE FROM changes WHERE namespace_id = ?", (namespace.id,))
            db.execute(
                "UPDATE users SET storage_bytes = storage_bytes - ? WHERE id = ?",
                (namespace.size_bytes, user_id),
            )
        self._keys_changed()
        return namespace
