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


def item_size(key: str, value: Any) -> int:
    """Stored size of an item: bytes of the key plus bytes of its compact JSON value."""
    return stored_size(key, value_size(value))


def stored_size(key: str, value_bytes: int) -> int:
    """:func:`item_size` from a value's size measured already."""
    return len(key.encode("utf-8")) + value_bytes
