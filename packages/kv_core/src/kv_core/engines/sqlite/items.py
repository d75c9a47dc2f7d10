"""Items on the embedded engine.

Triggers move the storage counters in the same statement as the item they count
(schema.py), so a plain put or delete is one statement, committed together with the
others waiting in its process (writer.py); a conditional one reads the current etag
first, in the same write transaction.
"""

from __future__ import annotations

import sqlite3
from typing import Any

from kv_core.engines.sqlite import rows
from kv_core.engines.sqlite.connection import Database
from kv_core.model import Item
from kv_core.sizing import encode_value
from kv_core.store import DeleteItem, PutItem, Written, refusals

_OLD_SIZE = "(SELECT size FROM items WHERE namespace_id = :ns AND key = :key)"
# A put: the new item, or the next version of the one there (keeping its created_at),
# unless it grows the user's storage past :limit (a write that does not grow always
# goes). No row comes back when it is refused.
_PUT_WITHIN_QUOTA = (
    f"INSERT INTO items ({rows.ITEM_COLUMNS})"
    " SELECT :ns, :key, :value, 1, :etag, :size, :now, :now"
    f" WHERE :limit IS NULL OR :size <= coalesce({_OLD_SIZE}, -1)"
    " OR coalesce((SELECT storage_bytes FROM users WHERE id = :user), 0)"
    f" + :size - coalesce({_OLD_SIZE}, 0) <= :limit"
    " ON CONFLICT (namespace_id, key) DO UPDATE SET value = excluded.value,"
    " version = version + 1, etag = excluded.etag, size = excluded.size,"
    " updated_at = excluded.updated_at"
    " RETURNING version, created_at"
)
_GET = f"SELECT {rows.ITEM_COLUMNS} FROM items WHERE namespace_id = ? AND key = ?"
_DELETE = f"DELETE FROM items WHERE namespace_id = ? AND key = ? RETURNING {rows.ITEM_COLUMNS}"


def prefix_upper_bound(prefix: str) -> str | None:
    """The smallest string greater than every string that starts with ``prefix``.

    ``None`` when there is none (the prefix is all U+10FFFF), so only the lower bound
    applies. Skips the surrogate range, which is not valid in UTF-8.
    """
    chars = list(prefix)
    while chars and chars[-1] == "\U0010ffff":
        chars.pop()
    if not chars:
        return None
    nxt = ord(chars[-1]) + 1
    if 0xD800 <= nxt <= 0xDFFF:
        nxt = 0xE000
    chars[-1] = chr(nxt)
    return "".join(chars)


class Items(Database):
    """Its request counts are exact (usage.py), so a write never carries a
    :class:`~kv_core.store.RequestBatch` here: one given is left to the meter."""

    def get_item(self, namespace_id: str, key: str) -> Item | None:
        row = self._read_one(_GET, (namespace_id, key))
        return rows.item(row) if row else None

    def put_item(self, put: PutItem) -> Written:
        params = {
            "user": put.user_id,
            "ns": put.namespace_id,
            "key": put.key,
            "value": encode_value(put.value),
            "etag": put.etag,
            "size": put.size,
            "now": put.now,
            "limit": put.storage_limit,
        }
        try:
            if put.conditional:
                version, created_at = self._put_on_condition(params, put)
            else:
                version, created_at = self._put_unconditionally(params)
        except sqlite3.IntegrityError as error:
            if "namespace_gone" in str(error):
                raise refusals.namespace_gone() from None
            raise
        item = Item(
            put.namespace_id, put.key, put.value, version, put.etag, put.size, created_at, put.now
        )
        return Written(item, created=version == 1)

    def _put_unconditionally(self, params: dict[str, Any]) -> tuple[int, str]:
        """One statement, committed with the other writes waiting in this process."""
        found = self._write_together(_PUT_WITHIN_QUOTA, params)
        if not found:
            raise refusals.storage_exceeded()
        return int(found[0][0]), str(found[0][1])

    def _put_on_condition(self, params: dict[str, Any], put: PutItem) -> tuple[int, str]:
        with self._write() as db:
            current = db.execute(
                "SELECT etag FROM items WHERE namespace_id = :ns AND key = :key", params
            ).fetchone()
            refusals.check_preconditions(
                current[0] if current else None, if_match=put.if_match, if_absent=put.if_absent
            )
            found = db.execute(_PUT_WITHIN_QUOTA, params).fetchone()
            if found is None:
                raise refusals.storage_exceeded()
            return int(found[0]), str(found[1])

    def delete_item(self, delete: DeleteItem) -> Written:
        where = (delete.namespace_id, delete.key)
        row: sqlite3.Row | None
        if delete.if_match is None:
            deleted = self._write_together(_DELETE, where)
            row = deleted[0] if deleted else None
        else:
            with self._write() as db:
                row = db.execute(_GET, where).fetchone()
                if row is not None:
                    refusals.check_preconditions(
                        row["etag"], if_match=delete.if_match, if_absent=False
                    )
                    db.execute("DELETE FROM items WHERE namespace_id = ? AND key = ?", where)
        if row is None:
            raise refusals.item_not_found(delete.key)
        return Written(rows.item(row))

    def list_keys(
        self, namespace_id: str, *, prefix: str = "", after: str | None = None, limit: int
    ) -> tuple[list[str], bool]:
        # One lower bound only, so that SQLite seeks to it: with two, it may pick the
        # prefix and scan every key up to the cursor.
        params: list[Any]
        if after is not None and after >= prefix:
            clauses, params = ["namespace_id = ?", "key > ?"], [namespace_id, after]
        else:
            clauses, params = ["namespace_id = ?", "key >= ?"], [namespace_id, prefix]
        upper = prefix_upper_bound(prefix) if prefix else None
        if upper is not None:
            clauses.append("key < ?")
            params.append(upper)
        found = (
            self._connection()
            .execute(
                f"SELECT key FROM items WHERE {' AND '.join(clauses)} ORDER BY key LIMIT ?",
                (*params, limit + 1),
            )
            .fetchall()
        )
        keys = [row[0] for row in found]
        return keys[:limit], len(keys) > limit
