"""Recounting a namespace on the embedded engine.

Triggers move the counters in the statement that changes an item (schema.py), so the
counters and the items seen in one read transaction always agree unless something
outside this engine changed the file. The recount looks in a read transaction first,
which blocks no writer, and only corrects, in a write transaction that counts again,
when they disagree.
"""

from __future__ import annotations

import sqlite3

from kv_core.engines.sqlite.connection import Database
from kv_core.store import Recount

_COUNTERS = "SELECT item_count, size_bytes FROM namespaces WHERE id = ? AND user_id = ?"
_COUNT = "SELECT count(*), coalesce(sum(size), 0) FROM items WHERE namespace_id = ?"


def _look(db: sqlite3.Connection, user_id: str, namespace_id: str) -> Recount | None:
    counters = db.execute(_COUNTERS, (namespace_id, user_id)).fetchone()
    if counters is None:
        return None
    items, size = db.execute(_COUNT, (namespace_id,)).fetchone()
    return Recount(namespace_id, items, size, counters[0] - items, counters[1] - size)


class Recounts(Database):
    def recount_namespace(
        self, user_id: str, namespace_id: str, *, settle_seconds: float = 0.0
    ) -> Recount | None:
        db = self._connection()
        db.execute("BEGIN")
        try:
            seen = _look(db, user_id, namespace_id)
        finally:
            db.execute("ROLLBACK")
        if seen is None or not seen.drifted:
            return seen
        with self._write() as db:
            seen = _look(db, user_id, namespace_id)
            if seen is None or not seen.drifted:
                return seen
            db.execute(
                "UPDATE namespaces SET item_count = ?, size_bytes = ? WHERE id = ?",
                (seen.items, seen.bytes, namespace_id),
            )
            db.execute(
                "UPDATE users SET storage_bytes = storage_bytes - ? WHERE id = ?",
                (seen.bytes_drift, user_id),
            )
        return Recount(
            namespace_id, seen.items, seen.bytes, seen.items_drift, seen.bytes_drift, corrected=True
        )
