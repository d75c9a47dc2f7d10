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
    that long in other instances); ``request_batch`` is how many requests an instance
    may count before it writes them, and ``request_flush_seconds`` how long it may hold
    them (see :mod:`kv_core.services.metering` for the bound on quota overshoot).
    ``changes_retention_seconds`` is how long the change feed keeps a change.
    """

    secret: bytes
    login_max_failures: int = 5
    login_window_seconds: int = 15 * 60
    key_cache_seconds: float = 30.0
    touch_interval_seconds: int = 60
    request_batch: int = 20
    request_flush_seconds: float = 5.0
    changes_retention_seconds: int = 86_400
    clock: Callable[[], datetime] = field(default=utcnow)
