"""Records from the table's entries."""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import timedelta
from typing import Any

from pynamodb.attributes import MapAttribute

from kv_core.engines.dynamodb.table import Entry
from kv_core.model import ACCESS_LEVELS, ApiKey, Item, Namespace, User, isoformat, parse_iso


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


def item(entry: Entry, namespace_id: str, key: str) -> Item:
    return Item(
        namespace_id,
        key,
        json.loads(entry.value or "null"),
        int(entry.version or 0),
        entry.etag or "",
        int(entry.size or 0),
        entry.created_at or "",
        entry.updated_at or "",
    )
