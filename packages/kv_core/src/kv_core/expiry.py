"""When an item expires: a ``ttl`` or an ``expiresAt`` turned into a unix second.

The API parses the query's integers; the rules are here, so that every surface (the
API, a bulk put's entries, the dashboard) refuses the same things with the same codes.
"""

from __future__ import annotations

from typing import Any

from kv_core.errors import InvalidInput
from kv_core.limits import LIMITS


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def expiry(ttl: Any = None, expires_at: Any = None, *, now: int) -> int | None:
    """The unix second an item written at unix second ``now`` expires at (``None``:
    it is permanent).

    ``ttl`` is seconds from now (1 to ten years); ``expires_at`` a unix second after
    ``now`` and at most ten years ahead. At most one of them may be given.
    """
    if ttl is not None and expires_at is not None:
        raise InvalidInput("Give ttl or expiresAt, not both.", code="ttl_and_expires_at")
    if ttl is not None:
        if not _is_int(ttl) or not LIMITS.ttl_min_seconds <= ttl <= LIMITS.ttl_max_seconds:
            raise InvalidInput(
                f"ttl is a whole number of seconds, {LIMITS.ttl_min_seconds} to"
                f" {LIMITS.ttl_max_seconds:,} (ten years).",
                code="invalid_ttl",
            )
        return int(now + ttl)
    if expires_at is not None:
        if not _is_int(expires_at) or not now < expires_at <= now + LIMITS.ttl_max_seconds:
            raise InvalidInput(
                "expiresAt is a unix second in the future, at most ten years ahead.",
                code="invalid_expires_at",
            )
        return int(expires_at)
    return None
