"""The change feed on the embedded engine.

The log is written by triggers on ``items`` (schema.py), in the statement of each
write, so it holds exactly the acknowledged writes. Its seq is SQLite's rowid under
the one-writer-at-a-time lock, so it grows in commit order; a read takes its page and
the namespace's highest seq in one snapshot, so a reader never moves past a change it
has not seen.
"""

from __future__ import annotations

import json
import sqlite3

from kv_core.engines.sqlite.connection import Database
from kv_core.engines.sqlite.items import prefix_upper_bound
from kv_core.store import Change, ChangePage, ReadChanges

_COLUMNS = "seq, key, op, version, updated_at, expires_at, value, at"


def change(row: sqlite3.Row) -> Change:
    carried = row["value"] is not None
    return Change(
        seq=row["seq"],
        key=row["key"],
        op=row["op"],
        version=row["version"],
        updated_at=row["updated_at"],
        at=row["at"],
        expires_at=row["expires_at"],
        value=json.loads(row["value"]) if carried else None,
        has_value=carried,
    )


class Changes(Database):
    def read_changes(self, read: ReadChanges) -> ChangePage:
        clauses, params = ["namespace_id = ?", "seq > ?"], [read.namespace_id, read.after]
        if read.prefix:
            clauses.append("key >= ?")
            params.append(read.prefix)
            upper = prefix_upper_bound(read.prefix)
            if upper is not None:
                clauses.append("key < ?")
                params.append(upper)
        db = self._connection()
        db.execute("BEGIN")  # one snapshot for the page and the highest seq
        try:
            found = db.execute(
                f"SELECT {_COLUMNS} FROM changes WHERE {' AND '.join(clauses)}"
                " ORDER BY seq LIMIT ?",
                (*params, read.limit),
            ).fetchall()
            if len(found) == read.limit:
                last = int(found[-1]["seq"])
            else:
                last = self._highest(db, read.namespace_id)
        finally:
            db.execute("COMMIT")
        return ChangePage([change(row) for row in found], max(last, read.after))

    def last_change(self, namespace_id: str) -> int:
        return self._highest(self._connection(), namespace_id)

    @staticmethod
    def _highest(db: sqlite3.Connection, namespace_id: str) -> int:
        row = db.execute(
            "SELECT max(seq) FROM changes WHERE namespace_id = ?", (namespace_id,)
        ).fetchone()
        return int(row[0] or 0)

    def wait_for_change(self, namespace_id: str, after: int, timeout: float) -> bool:
        return self._wakeups.wait(lambda: self.last_change(namespace_id) > after, timeout)

    def prune_changes(self, before: str, *, limit: int = 1000) -> int:
        """The oldest ``limit`` changes that were logged before ``before``: the log is
        in the order of ``at`` (the time of commit), so no index of it is kept."""
        with self._write() as db:
            removed = db.execute(
                "DELETE FROM changes WHERE seq IN"
                " (SELECT seq FROM changes ORDER BY seq LIMIT ?) AND at < ? RETURNING 1",
                (limit, before),
            ).fetchall()
        return len(removed)
