"""Atomic operations on the embedded engine: one write transaction.

The transaction reads every key the operation names (expired rows too: their bytes
still count), judges the checks, computes increments and the growth against the
quota, and only then writes; a refusal raised before the first write leaves nothing
to undo, and one raised after it (a namespace deleted meanwhile) rolls the
transaction back. The triggers move the counters as for any other write (schema.py).
"""

from __future__ import annotations

import sqlite3
from typing import Any

from kv_core import numbers
from kv_core.engines.sqlite import rows
from kv_core.engines.sqlite.connection import Database
from kv_core.engines.sqlite.items import (
    _UPSERT,
    chunks,
    marks,
    namespace_checked,
    put_params,
)
from kv_core.model import Item
from kv_core.sizing import metadata_size, stored_size, value_size
from kv_core.store import (
    AtomicDelete,
    AtomicIncrement,
    AtomicPut,
    AtomicWrite,
    AtomicWritten,
    refusals,
)

_WRITE = f"{_UPSERT} RETURNING version"
_DELETE_LIVE = (
    "DELETE FROM items WHERE namespace_id = :ns AND key = :key"
    " AND (expires_at IS NULL OR expires_at > :at)"
)


def live(item: Item, at: int) -> bool:
    return item.expires_at is None or item.expires_at > at


class Atomic(Database):
    def apply_atomic(self, write: AtomicWrite) -> AtomicWritten:
        at = write.at
        names = list(dict.fromkeys([c.key for c in write.checks] + [op.key for op in write.ops]))
        with namespace_checked(), self._write() as db:
            stored = self._rows(db, write.namespace_id, names)
            current = {key: item for key, item in stored.items() if live(item, at)}
            failed = [
                check.key
                for check in write.checks
                if (current[check.key].version if check.key in current else None) != check.version
            ]
            if failed:
                raise refusals.check_failed(failed)
            planned = [self._planned(write, op, current.get(op.key)) for op in write.ops]
            growth = 0
            for op, params in zip(write.ops, planned, strict=True):
                if params is None:  # a delete removes the live item only
                    growth -= current[op.key].size if op.key in current else 0
                else:  # a write replaces the row there, expired or not
                    growth += params["size"] - (stored[op.key].size if op.key in stored else 0)
            if write.storage_limit is not None and growth > 0:
                used = db.execute(
                    "SELECT storage_bytes FROM users WHERE id = ?", (write.user_id,)
                ).fetchone()
                if (used[0] if used else 0) + growth > write.storage_limit:
                    raise refusals.storage_exceeded()
            versions: list[tuple[str, int | None]] = []
            for op, params in zip(write.ops, planned, strict=True):
                if params is None:
                    db.execute(_DELETE_LIVE, {"ns": write.namespace_id, "key": op.key, "at": at})
                    versions.append((op.key, None))
                else:
                    versions.append((op.key, int(db.execute(_WRITE, params).fetchone()[0])))
        self._wakeups.notify(write.namespace_id)
        return AtomicWritten(versions)

    def _rows(self, db: sqlite3.Connection, namespace_id: str, names: list[str]) -> dict[str, Item]:
        """The rows there for ``names``, live or expired, by key."""
        found: dict[str, Item] = {}
        for part in chunks(names):
            for row in db.execute(
                f"SELECT {rows.ITEM_COLUMNS} FROM items WHERE namespace_id = ?"
                f" AND key IN ({marks(len(part))})",
                (namespace_id, *part),
            ):
                found[row["key"]] = rows.item(row)
        return found

    def _planned(
        self, write: AtomicWrite, op: AtomicPut | AtomicDelete | AtomicIncrement, old: Item | None
    ) -> dict[str, Any] | None:
        """The parameters of the upsert an op makes over the live item ``old``
        (``None``: a delete)."""
        if isinstance(op, AtomicDelete):
            return None
        if isinstance(op, AtomicPut):
            value, size, expires_at, metadata = op.value, op.size, op.expires_at, op.metadata
        else:
            if old is not None and not numbers.is_number(old.value):
                raise refusals.not_a_number(op.key)
            value = numbers.add(0 if old is None else old.value, op.by)
            metadata = None if old is None else old.metadata
            expires_at = op.expires_at
            if expires_at is None and old is not None:
                expires_at = old.expires_at
            size = stored_size(op.key, value_size(value), metadata_size(metadata))
        return put_params(
            write.user_id,
            write.namespace_id,
            write.now,
            write.at,
            None,  # the quota is checked for the whole operation
            op.key,
            value,
            size,
            op.etag,
            expires_at,
            metadata,
        )
