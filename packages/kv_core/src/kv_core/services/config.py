"""What the services are configured with, passed in by whoever builds them."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

from kv_core.model import utcnow


@dataclass(frozen=True)
class CoreConfig:
    """Settings of the use cases.

    ``secret`` signs list cursors. ``key_cache_seconds`` is how long a resolved API
    key may be served from memory on a remote engine (a revoked key keeps working
    that long in other instances). On a remote engine an instance counts requests in
    memory and writes them once it holds its allowance of them, ``min(request_batch_max,
    max(request_batch, headroom // request_batch_share))``, where ``headroom`` is what it
    last learned is left of the account's monthly quota (less what is in flight): at
    least ``request_batch`` (near the quota), at most ``request_batch_max`` (far from
    it), so the overshoot of a quota stays bounded; ``request_flush_seconds`` is how long
    it may hold them (see :mod:`kv_core.services.metering` for the bound).
    ``changes_retention_seconds`` is how long the change feed keeps a change.
    """

    secret: bytes
    login_max_failures: int = 5
    login_window_seconds: int = 15 * 60
    key_cache_seconds: float = 30.0
    touch_interval_seconds: int = 60
    request_batch: int = 20
    request_batch_share: int = 64
    request_batch_max: int = 1000
    request_flush_seconds: float = 5.0
    changes_retention_seconds: int = 86_400
    clock: Callable[[], datetime] = field(default=utcnow)
