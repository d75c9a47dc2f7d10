"""An item's metadata: a JSON object of at most ``LIMITS.metadata_max_bytes`` bytes as
compact JSON, nested no deeper than any body may be."""

from __future__ import annotations

from typing import Any

from kv_core.errors import InvalidInput
from kv_core.limits import LIMITS
from kv_core.sizing import metadata_size


def nesting(value: Any) -> int:
    """How many levels of arrays and objects ``value`` nests (0 for a scalar); a loop,
    not a recursion, so that any depth can be measured."""
    deepest = 0
    pending: list[tuple[Any, int]] = [(value, 0)]
    while pending:
        item, depth = pending.pop()
        if isinstance(item, dict):
            children: Any = item.values()
        elif isinstance(item, list):
            children = item
        else:
            continue
        deepest = max(deepest, depth + 1)
        pending.extend((child, depth + 1) for child in children)
    return deepest


def too_deep() -> InvalidInput:
    return InvalidInput(
        f"The JSON is nested more than {LIMITS.json_max_depth} levels deep.", code="too_deep"
    )


def validate_metadata(metadata: Any) -> dict[str, Any] | None:
    """The metadata to keep (``None``: none), or ``InvalidInput``: ``invalid_metadata``
    when it is not a JSON object, ``metadata_too_large`` past the limit, ``too_deep``."""
    if metadata is None:
        return None
    if not isinstance(metadata, dict) or not all(isinstance(name, str) for name in metadata):
        raise InvalidInput("Metadata is a JSON object.", code="invalid_metadata")
    if nesting(metadata) > LIMITS.json_max_depth:
        raise too_deep()
    try:
        size = metadata_size(metadata)
    except (TypeError, ValueError):
        raise InvalidInput(
            "Metadata is a JSON object (NaN and Infinity are not allowed).",
            code="invalid_metadata",
        ) from None
    if size > LIMITS.metadata_max_bytes:
        raise InvalidInput(
            f"The metadata is {size:,} bytes; metadata is at most"
            f" {LIMITS.metadata_max_bytes:,} bytes as compact JSON.",
            code="metadata_too_large",
        )
    return metadata
