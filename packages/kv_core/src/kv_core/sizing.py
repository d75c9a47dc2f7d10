"""How big a stored item is, for the value limit and for storage accounting."""

from __future__ import annotations

import json
from typing import Any


def encode_value(value: Any) -> str:
    """Compact JSON, keeping non-ASCII characters as they are."""
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False, allow_nan=False)


def value_size(value: Any) -> int:
    """UTF-8 bytes of the compact JSON encoding of ``value``."""
    return len(encode_value(value).encode("utf-8"))


def item_size(key: str, value: Any, metadata: dict[str, Any] | None = None) -> int:
    """Stored size of an item: bytes of the key plus bytes of its compact JSON value
    and metadata."""
    return stored_size(key, value_size(value), metadata_size(metadata))


def stored_size(key: str, value_bytes: int, metadata_bytes: int = 0) -> int:
    """:func:`item_size` from a value's (and its metadata's) size measured already."""
    return len(key.encode("utf-8")) + value_bytes + metadata_bytes


def metadata_size(metadata: dict[str, Any] | None) -> int:
    """UTF-8 bytes of the compact JSON encoding of an item's metadata (0 for none)."""
    return 0 if metadata is None else value_size(metadata)
