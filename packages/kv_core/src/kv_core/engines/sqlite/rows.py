"""Rows to records, by column name.

Each table's columns are named as the fields of the record it holds, so a record is
read by name (``sqlite3.Row``), and a field added to a record is a column added to its
table, never a silent shift of positions.
"""

from __future__ import annotations

import dataclasses
import json
import sqlite3
from typing import Any, TypeVar

from kv_core.model import ApiKey, Item, Namespace, Session, User

Record = TypeVar("Record", User, Namespace, ApiKey, Session)


def fields(record: type[Any]) -> tuple[str, ...]:
    return tuple(f.name for f in dataclasses.fields(record))


def columns(record: type[Any], table: str | None = None, prefix: str = "") -> str:
    """The record's columns for a ``SELECT``, qualified by ``table`` and aliased with
    ``prefix`` when given (for joins)."""
    names = fields(record)
    if table is None:
        return ", ".join(names)
    return ", ".join(f"{table}.{name} AS {prefix}{name}" for name in names)


def placeholders(record: type[Any]) -> str:
    """``:id, :email, ...``: named parameters for an ``INSERT`` of the record."""
    return ", ".join(f":{name}" for name in fields(record))


def record(kind: type[Record], row: sqlite3.Row, prefix: str = "") -> Record:
    return kind(**{name: row[prefix + name] for name in fields(kind)})


def values(record: Any) -> dict[str, Any]:
    """A record's fields as named parameters."""
    return {name: getattr(record, name) for name in fields(type(record))}


ITEM_COLUMNS = columns(Item)


def item(row: sqlite3.Row) -> Item:
    """An item, its value decoded from the JSON text the table keeps."""
    return Item(
        namespace_id=row["namespace_id"],
        key=row["key"],
        value=json.loads(row["value"]),
        version=row["version"],
        etag=row["etag"],
        size=row["size"],
        created_at=row["created_at"],
        updated_at=row["updated_at"],
        expires_at=row["expires_at"],
        metadata=None if row["metadata"] is None else json.loads(row["metadata"]),
    )
