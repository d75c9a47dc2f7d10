"""Counting and deleting the items under a key prefix on the embedded engine.

Both walk the primary key's range of the prefix (``key >= prefix AND key < bound``),
so they touch only the keys under it. A deletion is one write transaction of at most
``limit`` rows, expired ones among them; the delete trigger releases each row's bytes,
and a row another deleter removed first is not there to release twice.
"""

from __future__ import annotations

from typing import Any

from kv_core.engines.sqlite.connection import Database
from kv_core.engines.sqlite.items import expiring, prefix_upper_bound
from kv_core.store import DeletePrefix, PrefixDeleted


def prefix_range(namespace_id: str, prefix: str) -> tuple[str, list[Any]]:
    """The ``WHERE`` clause of a namespace's keys under ``prefix``, and its values."""
    upper = prefix_upper_bound(prefix)
    if upper is None:
        return "namespace_id = ? AND key >= ?", [namespace_id, prefix]
    return "namespace_id = ? AND key >= ? AND key < ?", [namespace_id, prefix, upper]


class Prefixes(Database):
    def count_keys(self, namespace_id: str, *, prefix: str, at: int) -> int:
        where, params = prefix_range(namespace_id, prefix)
        row = self._read_one(
            f"SELECT count(*) FROM items WHERE {where} AND (expires_at IS NULL OR expires_at > ?)",
            (*params, at),
        )
        return int(row[0]) if row else 0

    def delete_prefix(self, delete: DeletePrefix) -> PrefixDeleted:
        where, params = prefix_range(delete.namespace_id, delete.prefix)
        # The feed logs the live items deleted as "delete", the expired ones as "expire".
        with self._write() as db, expiring(db, delete.at):
            removed = db.execute(
                "DELETE FROM items WHERE (namespace_id, key) IN (SELECT namespace_id, key"
                f" FROM items WHERE {where} ORDER BY key LIMIT ?) RETURNING expires_at",
                (*params, delete.limit),
            ).fetchall()
            more = db.execute(f"SELECT 1 FROM items WHERE {where} LIMIT 1", params).fetchone()
        if removed:
            self._wakeups.notify(delete.namespace_id)
        count = sum(1 for row in removed if row[0] is None or row[0] > delete.at)
        return PrefixDeleted(count, more is not None)
