"""The builder of an atomic operation: checks and writes on several keys, sent as one
request by ``commit()`` and applied all at once or not at all.

    result = (
        kv.atomic("bank")
        .check("alice", 3)          # alice must be at version 3
        .check("log/7", None)       # log/7 must not exist
        .increment("alice", -10)
        .increment("bob", 10)
        .put("log/7", {"from": "alice", "to": "bob", "amount": 10}, ttl=86400)
        .commit()
    )

A check that does not hold raises `CheckFailed` (its ``failed`` names the keys) and
nothing is written. ``commit()`` is sent once: like an increment, it is not retried
after the request may have reached the server.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from typing import Any, Generic, TypeVar

from kv_sdk import calls
from kv_sdk.models import AtomicResult

R = TypeVar("R")
Self = TypeVar("Self", bound="AtomicBuilder[Any]")


class AtomicBuilder(Generic[R]):
    """Checks and ops gathered in order; each method returns the builder."""

    def __init__(self, namespace: str, send: Callable[[calls.Request[AtomicResult]], R]) -> None:
        self.namespace = namespace
        self.checks: list[dict[str, Any]] = []
        self.ops: list[dict[str, Any]] = []
        self._send = send

    def check(self: Self, key: str, version: int | None) -> Self:
        """Apply only if ``key`` is at ``version`` (`Item.version`), or has no item
        when ``version`` is ``None``."""
        self.checks.append({"key": key, "version": version})
        return self

    def put(
        self: Self,
        key: str,
        value: Any,
        *,
        ttl: int | None = None,
        expires_at: int | None = None,
        metadata: Mapping[str, Any] | None = None,
    ) -> Self:
        """Create or replace ``key`` as `KVClient.put` does."""
        op: dict[str, Any] = {"op": "put", "key": key, "value": value}
        op.update(_expiry(ttl, expires_at))
        if metadata is not None:
            op["metadata"] = dict(metadata)
        self.ops.append(op)
        return self

    def delete(self: Self, key: str) -> Self:
        """Delete ``key`` (no failure if it has no item: check it to demand one)."""
        self.ops.append({"op": "delete", "key": key})
        return self

    def increment(
        self: Self,
        key: str,
        by: int | float = 1,
        *,
        ttl: int | None = None,
        expires_at: int | None = None,
    ) -> Self:
        """Add ``by`` to the number at ``key`` (a missing item starts at 0)."""
        if isinstance(by, bool) or not isinstance(by, int | float):
            raise TypeError(f"by must be a number, not {by!r}.")
        self.ops.append({"op": "increment", "key": key, "by": by, **_expiry(ttl, expires_at)})
        return self

    def commit(self) -> R:
        """Send the operation: an `AtomicResult` (awaitable from the async client)."""
        return self._send(calls.atomic(self.namespace, self.checks, self.ops))


class Atomic(AtomicBuilder[AtomicResult]):
    """An atomic operation of `KVClient`; ``commit()`` returns its `AtomicResult`."""


class AsyncAtomic(AtomicBuilder[Awaitable[AtomicResult]]):
    """An atomic operation of `AsyncKVClient`; ``await commit()``."""


def _expiry(ttl: int | None, expires_at: int | None) -> dict[str, int]:
    if ttl is not None and expires_at is not None:
        raise ValueError("Pass ttl or expires_at, not both.")
    if ttl is not None:
        return {"ttl": calls.whole(ttl, "ttl")}
    if expires_at is not None:
        return {"expiresAt": calls.whole(expires_at, "expires_at")}
    return {}
