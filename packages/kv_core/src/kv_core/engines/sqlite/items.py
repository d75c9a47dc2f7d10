"""Items on the embedded engine.

Triggers move the storage counters in the same statement as the item they count
(schema.py), so a plain put or delete is one statement, committed together with the
others waiting in its process (writer.py); a conditional one reads the current etag
first, in the same write transaction.
"""

from __future__ import annotations

import json
import sqlite3
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any

from kv_core import numbers
from kv_core.engines.sqlite import rows
from kv_core.engines.sqlite.connection import Database
from kv_core.model import Item, KeyInfo
from kv_core.sizing import encode_value, metadata_size, stored_size, value_size
from kv_core.store import (
    BulkWritten,
    DeleteItem,
    DeleteItems,
    IncrementItem,
    KeyListing,
    ListKeys,
    PutItem,
    PutItems,
    Written,
    refusals,
)

_LIVE = "(expires_at IS NULL OR expires_at > :at)"
_OLD_SIZE = "(SELECT size FROM items WHERE namespace_id = :ns AND key = :key)"
# A put: the new item, or the next version of the one there (keeping its created_at;
# over an expired one, version 1 and a new created_at, as a new item), unless it grows
# the user's storage past :limit (a write that does not grow always goes). No row
# comes back when it is refused.
_UPSERT = (
    f"INSERT INTO items ({rows.ITEM_COLUMNS})"
    " SELECT :ns, :key, :value, 1, :etag, :size, :now, :now, :expires_at, :metadata"
    f" WHERE :limit IS NULL OR :size <= coalesce({_OLD_SIZE}, -1)"
    " OR coalesce((SELECT storage_bytes FROM users WHERE id = :user), 0)"
    f" + :size - coalesce({_OLD_SIZE}, 0) <= :limit"
    " ON CONFLICT (namespace_id, key) DO UPDATE SET value = excluded.value,"
    " version = CASE WHEN items.expires_at <= :at THEN 1 ELSE items.version + 1 END,"
    " created_at = CASE WHEN items.expires_at <= :at"
    " THEN excluded.created_at ELSE items.created_at END,"
    " etag = excluded.etag, size = excluded.size, updated_at = excluded.updated_at,"
    " expires_at = excluded.expires_at, metadata = excluded.metadata"
)
_PUT_WITHIN_QUOTA = f"{_UPSERT} RETURNING version, created_at"
_GET = f"SELECT {rows.ITEM_COLUMNS} FROM items WHERE namespace_id = :ns AND key = :key"
_GET_LIVE = f"{_GET} AND {_LIVE}"
_DELETE = (
    f"DELETE FROM items WHERE namespace_id = :ns AND key = :key AND {_LIVE}"
    f" RETURNING {rows.ITEM_COLUMNS}"
)
# Parameters per statement of a bulk operation, well under SQLite's limit.
CHUNK = 500


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


def current_second() -> int:
    return int(time.time())


def chunks(keys: Sequence[str]) -> Iterator[Sequence[str]]:
    for start in range(0, len(keys), CHUNK):
        yield keys[start : start + CHUNK]


def marks(count: int) -> str:
    return ", ".join("?" * count)


def put_params(
    user_id: str,
    namespace_id: str,
    now: str,
    at: int,
    limit: int | None,
    key: str,
    value: Any,
    size: int,
    etag: str,
    expires_at: int | None,
    metadata: dict[str, Any] | None,
) -> dict[str, Any]:
    return {
        "user": user_id,
        "ns": namespace_id,
        "key": key,
        "value": encode_value(value),
        "etag": etag,
        "size": size,
        "now": now,
        "at": at,
        "limit": limit,
        "expires_at": expires_at,
        "metadata": None if metadata is None else encode_value(metadata),
    }


@contextmanager
def expiring(db: sqlite3.Connection, at: int) -> Iterator[None]:
    """Within a write transaction: the items deleted meanwhile that expired by ``at``
    are logged as ``expire`` in the change feed (the delete trigger reads
    ``expiring.at``; schema.py)."""
    db.execute("UPDATE expiring SET at = ?", (at,))
    yield
    db.execute("UPDATE expiring SET at = NULL")


@contextmanager
def namespace_checked() -> Iterator[None]:
    """A write into a namespace deleted meanwhile (the insert trigger's refusal)."""
    try:
        yield
    except sqlite3.IntegrityError as error:
        if "namespace_gone" in str(error):
            raise refusals.namespace_gone() from None
        raise


class Items(Database):
    """Its request counts are exact (usage.py), so a write never carries a
    :class:`~kv_core.store.RequestBatch` here: one given is left to the meter."""

    def get_item(self, namespace_id: str, key: str, *, at: int | None = None) -> Item | None:
        where = {"ns": namespace_id, "key": key, "at": current_second() if at is None else at}
        row = self._read_one(_GET_LIVE, where)
        return rows.item(row) if row else None

    def get_items(self, namespace_id: str, keys: list[str], *, at: int) -> dict[str, Item]:
        db = self._connection()
        found: dict[str, Item] = {}
        for part in chunks(keys):
            for row in db.execute(
                f"SELECT {rows.ITEM_COLUMNS} FROM items WHERE namespace_id = ?"
                f" AND key IN ({marks(len(part))})"
                " AND (expires_at IS NULL OR expires_at > ?)",
                (namespace_id, *part, at),
            ):
                found[row["key"]] = rows.item(row)
        return found

    def put_item(self, put: PutItem) -> Written:
        params = put_params(
            put.user_id,
            put.namespace_id,
            put.now,
            put.at,
            put.storage_limit,
            put.key,
            put.value,
            put.size,
            put.etag,
            put.expires_at,
            put.metadata,
        )
        with namespace_checked():
            if put.conditional:
                version, created_at = self._put_on_condition(params, put)
            else:
                version, created_at = self._put_unconditionally(params)
        item = Item(
            put.namespace_id,
            put.key,
            put.value,
            version,
            put.etag,
            put.size,
            created_at,
            put.now,
            put.expires_at,
            put.metadata,
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
                f"SELECT etag FROM items WHERE namespace_id = :ns AND key = :key AND {_LIVE}",
                params,
            ).fetchone()
            refusals.check_preconditions(
                current[0] if current else None, if_match=put.if_match, if_absent=put.if_absent
            )
            found = db.execute(_PUT_WITHIN_QUOTA, params).fetchone()
            if found is None:
                raise refusals.storage_exceeded()
            return int(found[0]), str(found[1])

    def increment_item(self, increment: IncrementItem) -> Written:
        at = increment.at
        with namespace_checked(), self._write() as db:
            row = db.execute(
                _GET_LIVE, {"ns": increment.namespace_id, "key": increment.key, "at": at}
            ).fetchone()
            if row is None:
                stored: int | float = 0
                metadata = None
                expires_at = increment.expires_at
            else:
                current = rows.item(row)
                if not numbers.is_number(current.value):
                    raise refusals.not_a_number(increment.key)
                stored, metadata = current.value, current.metadata
                expires_at = current.expires_at
                if increment.expires_at is not None:
                    expires_at = increment.expires_at
            value = numbers.add(stored, increment.by)
            size = stored_size(increment.key, value_size(value), metadata_size(metadata))
            params = put_params(
                increment.user_id,
                increment.namespace_id,
                increment.now,
                at,
                increment.storage_limit,
                increment.key,
                value,
                size,
                increment.etag,
                expires_at,
                metadata,
            )
            found = db.execute(_PUT_WITHIN_QUOTA, params).fetchone()
            if found is None:
                raise refusals.storage_exceeded()
        version, created_at = int(found[0]), str(found[1])
        item = Item(
            increment.namespace_id,
            increment.key,
            value,
            version,
            increment.etag,
            size,
            created_at,
            increment.now,
            expires_at,
            metadata,
        )
        return Written(item, created=version == 1)

    def put_items(self, put: PutItems) -> BulkWritten:
        """One write transaction: the batch's growth is checked against the quota
        first, then every item is written (the triggers count each)."""
        keys = [entry.key for entry in put.entries]
        with namespace_checked(), self._write() as db:
            old: dict[str, int] = {}
            for part in chunks(keys):
                old.update(
                    db.execute(
                        f"SELECT key, size FROM items WHERE namespace_id = ?"
                        f" AND key IN ({marks(len(part))})",
                        (put.namespace_id, *part),
                    ).fetchall()
                )
            growth = sum(entry.size - old.get(entry.key, 0) for entry in put.entries)
            if put.storage_limit is not None and growth > 0:
                used = db.execute(
                    "SELECT storage_bytes FROM users WHERE id = ?", (put.user_id,)
                ).fetchone()
                if (used[0] if used else 0) + growth > put.storage_limit:
                    raise refusals.storage_exceeded()
            db.executemany(
                _UPSERT,
                [
                    put_params(
                        put.user_id,
                        put.namespace_id,
                        put.now,
                        put.at,
                        None,
                        entry.key,
                        entry.value,
                        entry.size,
                        entry.etag,
                        entry.expires_at,
                        entry.metadata,
                    )
                    for entry in put.entries
                ],
            )
        return BulkWritten(len(put.entries))

    def delete_item(self, delete: DeleteItem) -> Written:
        where = {
            "ns": delete.namespace_id,
            "key": delete.key,
            "at": current_second() if delete.at is None else delete.at,
        }
        row: sqlite3.Row | None
        if delete.if_match is None:
            deleted = self._write_together(_DELETE, where)
            row = deleted[0] if deleted else None
        else:
            with self._write() as db:
                row = db.execute(_GET_LIVE, where).fetchone()
                if row is not None:
                    refusals.check_preconditions(
                        row["etag"], if_match=delete.if_match, if_absent=False
                    )
                    db.execute("DELETE FROM items WHERE namespace_id = :ns AND key = :key", where)
        if row is None:
            raise refusals.item_not_found(delete.key)
        return Written(rows.item(row))

    def delete_items(self, delete: DeleteItems) -> BulkWritten:
        """One write transaction; only live items are deleted and counted (expired
        ones are the sweep's)."""
        count = 0
        with self._write() as db:
            for part in chunks(delete.keys):
                count += len(
                    db.execute(
                        f"DELETE FROM items WHERE namespace_id = ? AND key IN ({marks(len(part))})"
                        " AND (expires_at IS NULL OR expires_at > ?) RETURNING 1",
                        (delete.namespace_id, *part, delete.at),
                    ).fetchall()
                )
        return BulkWritten(count)

    def list_keys(self, listing: ListKeys) -> KeyListing:
        # One lower and one upper bound only, the tightest of each, so that SQLite
        # seeks to the start: with two lower bounds it may pick the prefix and scan
        # every key up to the cursor.
        lower, upper = key_range(listing)
        clauses, params = ["namespace_id = ?"], [listing.namespace_id]
        if lower is not None:
            clauses.append("key > ?" if lower[1] else "key >= ?")
            params.append(lower[0])
        if upper is not None:
            clauses.append("key < ?")
            params.append(upper)
        clauses.append("(expires_at IS NULL OR expires_at > ?)")
        columns = "key, version, updated_at, expires_at, metadata" if listing.details else "key"
        order = "DESC" if listing.reverse else "ASC"
        found = (
            self._connection()
            .execute(
                f"SELECT {columns} FROM items WHERE {' AND '.join(clauses)}"
                f" ORDER BY key {order} LIMIT ?",
                (*params, listing.at, listing.limit + 1),
            )
            .fetchall()
        )
        page = found[: listing.limit]
        details = None
        if listing.details:
            details = [
                KeyInfo(
                    key=row["key"],
                    version=row["version"],
                    updated_at=row["updated_at"],
                    expires_at=row["expires_at"],
                    metadata=None if row["metadata"] is None else json.loads(row["metadata"]),
                )
                for row in page
            ]
        return KeyListing([row[0] for row in page], len(found) > listing.limit, details)

    def sweep_expired(self, at: int, *, limit: int = 1000) -> int:
        """One write transaction of at most ``limit`` expired rows, found by the
        partial index; the delete trigger moves the counters and logs each as an
        ``expire``, and a row that another sweep removed first is simply not there to
        count again."""
        with self._write() as db, expiring(db, at):
            removed = db.execute(
                "DELETE FROM items WHERE (namespace_id, key) IN (SELECT namespace_id, key"
                " FROM items WHERE expires_at <= ? ORDER BY expires_at LIMIT ?) RETURNING 1",
                (at, limit),
            ).fetchall()
        return len(removed)


Bound = tuple[str, bool]  # a key, and whether it is excluded


def key_range(listing: ListKeys) -> tuple[Bound | None, str | None]:
    """The tightest lower bound (inclusive unless marked) and exclusive upper bound of
    a listing's keys: the prefix, ``start``/``end``, and the cursor's ``after`` (a
    lower bound walking forward, an upper one walking in reverse)."""
    lowers: list[Bound] = []
    uppers: list[str] = []
    if listing.prefix:
        lowers.append((listing.prefix, False))
        upper = prefix_upper_bound(listing.prefix)
        if upper is not None:
            uppers.append(upper)
    if listing.start is not None:
        lowers.append((listing.start, False))
    if listing.end is not None:
        uppers.append(listing.end)
    if listing.after is not None:
        if listing.reverse:
            uppers.append(listing.after)
        else:
            lowers.append((listing.after, True))
    lower = max(lowers, default=None)  # at a tie, the exclusive bound (True > False)
    return lower, min(uppers, default=None)
