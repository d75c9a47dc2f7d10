"""Records from the table's entries."""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import timedelta
from decimal import Decimal
from typing import Any

from pynamodb.attributes import MapAttribute

from kv_core import numbers
from kv_core.engines.dynamodb.table import Entry, number_text
from kv_core.errors import Conflict
from kv_core.model import (
    ACCESS_LEVELS,
    ApiKey,
    Item,
    KeyInfo,
    Namespace,
    User,
    isoformat,
    parse_iso,
)
from kv_core.sizing import value_size

FLOAT = "float"  # numKind of a number that is not an integer


def iso_minus(now: str, seconds: int) -> str:
    return isoformat(parse_iso(now) - timedelta(seconds=seconds))


def counter(counters: MapAttribute[str, Any] | None, name: str) -> int:
    values: Mapping[str, Any] = counters.as_dict() if counters is not None else {}
    return int(values.get(name, 0))


def user(entry: Entry) -> User:
    return User(
        entry.id or "",
        entry.email or "",
        entry.password_hash or "",
        entry.plan or "",
        entry.created_at or "",
        entry.updated_at or "",
        requests_limit=None if entry.requests_limit is None else int(entry.requests_limit),
        storage_limit=None if entry.storage_limit is None else int(entry.storage_limit),
        disabled_at=entry.disabled_at,
    )


def namespace(entry: Entry, profile: Entry | None) -> Namespace:
    ns_id = entry.id or ""
    return Namespace(
        ns_id,
        entry.user_id or "",
        entry.name or "",
        entry.created_at or "",
        counter(profile.ns_items if profile else None, ns_id),
        counter(profile.ns_bytes if profile else None, ns_id),
    )


def api_key(entry: Entry) -> ApiKey:
    if entry.access not in ACCESS_LEVELS:
        raise ValueError(f"unknown access {entry.access!r}")
    return ApiKey(
        id=entry.id or "",
        user_id=entry.user_id or "",
        namespace_id=entry.namespace_id or "",
        namespace=entry.namespace or "",
        name=entry.name or "",
        access=entry.access,
        key_hash=entry.key_hash or "",
        prefix=entry.prefix or "",
        created_at=entry.created_at or "",
        last_used_at=entry.last_used_at,
        key_prefix=entry.key_prefix or "",
        expires_at=int(entry.key_expires_at) if entry.key_expires_at is not None else None,
    )


def storable_number(value: Any) -> bool:
    """Whether a JSON value is a number that DynamoDB holds exactly (38 significant
    digits, its range): such values are kept in ``num``, other values as JSON text."""
    if not numbers.is_number(value):
        return False
    try:
        numbers.add(value, 0)
    except Conflict:
        return False
    return True


def number_value(text: str, kind: str | None) -> int | float:
    """The JSON number a ``num`` attribute holds."""
    exact = Decimal(text)
    return float(exact) if kind == FLOAT else int(exact)


def stored_number(value: int | float) -> int | float:
    """The number as it reads back once stored (``-0.0`` reads as ``0.0``)."""
    return number_value(number_text(value), FLOAT if isinstance(value, float) else None)


def value_of(entry: Entry) -> Any:
    if entry.num is not None:
        return number_value(entry.num, entry.num_kind)
    return json.loads(entry.value or "null")


def size_of(entry: Entry) -> int:
    """An item's stored size: kept in ``size``, or for a number derived from its digits
    (an increment changes them without knowing how many there will be)."""
    if entry.num is not None:
        return int(entry.fixed_size or 0) + value_size(value_of(entry))
    return int(entry.size or 0)


def expiry_of(entry: Entry) -> int | None:
    return None if entry.exp is None else int(entry.exp)


def metadata_of(entry: Entry) -> dict[str, Any] | None:
    return json.loads(entry.meta) if entry.meta else None


def live(entry: Entry, at: int) -> bool:
    """Whether an item's entry is still there at unix second ``at``."""
    expiry = expiry_of(entry)
    return expiry is None or expiry > at


def item(entry: Entry, namespace_id: str, key: str) -> Item:
    return Item(
        namespace_id,
        key,
        value_of(entry),
        int(entry.version or 0),
        entry.etag or "",
        size_of(entry),
        entry.created_at or "",
        entry.updated_at or "",
        expires_at=expiry_of(entry),
        metadata=metadata_of(entry),
    )


def key_info(entry: Entry, key: str) -> KeyInfo:
    return KeyInfo(
        key,
        int(entry.version or 0),
        entry.updated_at or "",
        expires_at=expiry_of(entry),
        metadata=metadata_of(entry),
    )
