"""The domain model: plain, immutable records shared by the services and the engines."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Literal

Access = Literal["read-write", "read-only"]
ACCESS_LEVELS: tuple[Access, ...] = ("read-write", "read-only")


def utcnow() -> datetime:
    """The current time, timezone-aware in UTC."""
    return datetime.now(UTC)


def isoformat(moment: datetime) -> str:
    """ISO-8601 in UTC with a ``Z``, to the millisecond: ``2026-11-25T10:00:00.000Z``."""
    return moment.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def parse_iso(text: str) -> datetime:
    """Read back what :func:`isoformat` wrote."""
    return datetime.fromisoformat(text.replace("Z", "+00:00")).astimezone(UTC)


@dataclass(frozen=True, slots=True)
class User:
    """An account holder.

    ``requests_limit`` and ``storage_limit`` are the account's own limits, agreed for
    it (the business plan's custom limits), in place of its plan's when set;
    :func:`kv_core.plans.account_plan` is where they take effect. ``disabled_at`` is
    when an operator disabled the account (``None``: it is enabled).
    """

    id: str
    email: str
    password_hash: str
    plan: str
    created_at: str
    updated_at: str
    requests_limit: int | None = None
    storage_limit: int | None = None
    disabled_at: str | None = None

    @property
    def disabled(self) -> bool:
        return self.disabled_at is not None


@dataclass(frozen=True, slots=True)
class Namespace:
    """A user's named bucket of items, with its live item count and stored bytes."""

    id: str
    user_id: str
    name: str
    created_at: str
    item_count: int = 0
    size_bytes: int = 0


@dataclass(frozen=True, slots=True)
class ApiKey:
    """A namespace-scoped API key. Only the SHA-256 of the raw key is ever stored.

    ``prefix`` is the start of the raw key, safe to show again; ``key_prefix`` confines
    the key to the item keys that start with it (``""``: every key of the namespace);
    ``expires_at`` (unix seconds) is when it stops working, if ever.
    """

    id: str
    user_id: str
    namespace_id: str
    namespace: str
    name: str
    access: Access
    key_hash: str
    prefix: str
    created_at: str
    last_used_at: str | None = None
    key_prefix: str = ""
    expires_at: int | None = None

    @property
    def can_write(self) -> bool:
        return self.access == "read-write"

    def covers(self, item_key: str) -> bool:
        """Whether this key may touch the item ``item_key``."""
        return item_key.startswith(self.key_prefix)

    def expired(self, now: datetime) -> bool:
        return self.expires_at is not None and self.expires_at <= now.timestamp()


@dataclass(frozen=True, slots=True)
class Item:
    """A stored JSON value. ``version`` counts writes; ``etag`` changes on every write.

    ``expires_at`` is the unix second from which the item is gone for every reader
    (``None``: permanent); ``metadata`` is the JSON object kept beside the value. The
    stored ``size`` counts the key, the value and the metadata (:mod:`kv_core.sizing`).
    """

    namespace_id: str
    key: str
    value: Any
    version: int
    etag: str
    size: int
    created_at: str
    updated_at: str
    expires_at: int | None = None
    metadata: dict[str, Any] | None = None

    def live(self, at: int) -> bool:
        """Whether the item is still there at unix second ``at``."""
        return self.expires_at is None or self.expires_at > at


@dataclass(frozen=True, slots=True)
class KeyInfo:
    """What a detailed list says of each key: everything but the value."""

    key: str
    version: int
    updated_at: str
    expires_at: int | None = None
    metadata: dict[str, Any] | None = None


@dataclass(frozen=True, slots=True)
class Session:
    """A signed-in browser, kept on the server so that logging out ends it. Only the
    SHA-256 of its secret is stored, as for API keys."""

    user_id: str
    token_hash: str
    created_at: str
    expires_at: str


@dataclass(frozen=True, slots=True)
class ResetToken:
    """A password reset link's token: single use, until ``expires_at``; only its
    SHA-256 is stored."""

    user_id: str
    token_hash: str
    expires_at: str


@dataclass(frozen=True, slots=True)
class Usage:
    """A user's request count in one month and their stored bytes now."""

    user_id: str
    month: str
    requests: int
    storage_bytes: int
