"""Namespace-scoped API keys: create (shown once), list, revoke, and resolve."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

from kv_core.errors import InvalidInput, NotFound, Unauthorized
from kv_core.hashing import digest, display_prefix, looks_like_api_key, new_api_key, new_id
from kv_core.model import ACCESS_LEVELS, Access, ApiKey, User, isoformat, parse_iso
from kv_core.names import validate_key
from kv_core.services.config import CoreConfig
from kv_core.store import Store

KEY_NAME_MAX_CHARS = 100
MAX_KEY_LIFETIME_SECONDS = 10 * 365 * 24 * 3600
INVALID_KEY = "The API key is missing, unknown or revoked."
EXPIRED_KEY = "This API key has expired. Make a new one in the dashboard."


@dataclass(frozen=True, slots=True)
class CreatedKey:
    """A new key: ``raw`` is shown to its owner once and never stored."""

    raw: str
    key: ApiKey


class KeyCache:
    """Resolved keys kept in memory for a few seconds, so a remote engine is not asked
    on every request. An instance that revokes a key forgets it at once; others do
    within ``ttl`` seconds."""

    def __init__(self, ttl: float) -> None:
        self.ttl = ttl
        self._entries: dict[str, tuple[float, tuple[ApiKey, User]]] = {}
        self._lock = threading.Lock()

    def get(self, key_hash: str) -> tuple[ApiKey, User] | None:
        entry = self._entries.get(key_hash)
        if entry is None or entry[0] < time.monotonic():
            return None
        return entry[1]

    def put(self, key_hash: str, resolved: tuple[ApiKey, User]) -> None:
        with self._lock:
            if len(self._entries) > 10_000:
                self._entries.clear()
            self._entries[key_hash] = (time.monotonic() + self.ttl, resolved)

    def forget(self, key_hash: str) -> None:
        with self._lock:
            self._entries.pop(key_hash, None)

    def forget_where(self, predicate: Callable[[ApiKey, User], bool]) -> None:
        """Forget every cached key for which ``predicate(key, owner)`` holds."""
        with self._lock:
            for key_hash, (_, resolved) in list(self._entries.items()):
                if predicate(*resolved):
                    del self._entries[key_hash]


class ApiKeys:
    def __init__(self, store: Store, config: CoreConfig) -> None:
        self.store = store
        self.config = config
        self.cache = KeyCache(config.key_cache_seconds) if store.remote else None

    def create(
        self,
        user_id: str,
        namespace_name: str,
        name: str | None = None,
        access: str = "read-write",
        *,
        key_prefix: str = "",
        expires_at: int | None = None,
    ) -> CreatedKey:
        """A new key for one of the user's namespaces, confined to the item keys that
        start with ``key_prefix`` (``""``: all of them) and working until
        ``expires_at`` (unix seconds; ``None``: until revoked)."""
        namespace = self.store.get_namespace(user_id, namespace_name)
        if namespace is None:
            raise NotFound(
                f"You have no namespace called '{namespace_name}'.", code="namespace_not_found"
            )
        if access not in ACCESS_LEVELS:
            raise InvalidInput("access is 'read-write' or 'read-only'.", code="invalid_access")
        name = (name or "").strip() or f"{namespace_name} key"
        if len(name) > KEY_NAME_MAX_CHARS:
            raise InvalidInput(
                f"A key name is at most {KEY_NAME_MAX_CHARS} characters.", code="invalid_name"
            )
        if key_prefix:
            validate_key(key_prefix)  # a prefix is held to the rules of a key
        now = self.config.clock()
        if expires_at is not None and not (
            now.timestamp() < expires_at <= now.timestamp() + MAX_KEY_LIFETIME_SECONDS
        ):
            raise InvalidInput(
                "expiresAt is a unix time in the future, at most ten years ahead.",
                code="invalid_expiry",
            )
        raw = new_api_key()
        level: Access = "read-only" if access == "read-only" else "read-write"
        key = ApiKey(
            id=new_id(),
            user_id=user_id,
            namespace_id=namespace.id,
            namespace=namespace.name,
            name=name,
            access=level,
            key_hash=digest(raw),
            prefix=display_prefix(raw),
            created_at=isoformat(now),
            key_prefix=key_prefix,
            expires_at=expires_at,
        )
        self.store.create_api_key(key)
        return CreatedKey(raw, key)

    def list(self, user_id: str, namespace: str | None = None) -> list[ApiKey]:
        keys = self.store.list_api_keys(user_id)
        return [k for k in keys if namespace is None or k.namespace == namespace]

    def revoke(self, user_id: str, key_id: str) -> ApiKey:
        """Revoke one of the user's keys; it stops working at once in this instance."""
        deleted = self.store.delete_api_key(user_id, key_id)
        if deleted is None:
            raise NotFound("You have no such API key.", code="api_key_not_found")
        if self.cache is not None:
            self.cache.forget(deleted.key_hash)
        return deleted

    def forget_namespace(self, namespace_id: str) -> None:
        """A namespace was deleted with its keys: they stop working here at once."""
        if self.cache is not None:
            self.cache.forget_where(lambda key, _: key.namespace_id == namespace_id)

    def forget_user(self, user_id: str) -> None:
        """The account changed (its plan): its keys are resolved afresh here."""
        if self.cache is not None:
            self.cache.forget_where(lambda key, _: key.user_id == user_id)

    def forget_all(self) -> None:
        """Resolve every key afresh here."""
        if self.cache is not None:
            self.cache.forget_where(lambda key, user: True)

    def resolve(self, raw: str | None) -> tuple[ApiKey, User]:
        """The key and its owner for a raw key, or ``Unauthorized``."""
        if not raw or not looks_like_api_key(raw):
            raise Unauthorized(INVALID_KEY, code="invalid_api_key")
        key_hash = digest(raw)
        resolved = self.cache.get(key_hash) if self.cache is not None else None
        if resolved is None:
            resolved = self.store.resolve_api_key(key_hash)
            if resolved is None:
                raise Unauthorized(INVALID_KEY, code="invalid_api_key")
            self._touch(resolved[0])
            if self.cache is not None:
                self.cache.put(key_hash, resolved)
        if resolved[0].expired(self.config.clock()):
            raise Unauthorized(EXPIRED_KEY, code="api_key_expired")
        return resolved

    def _touch(self, key: ApiKey) -> None:
        """Record use at most once per ``touch_interval_seconds`` per key."""
        now = self.config.clock()
        last = parse_iso(key.last_used_at) if key.last_used_at else None
        if last is None or (now - last).total_seconds() >= self.config.touch_interval_seconds:
            self.store.touch_api_key(key.user_id, key.id, isoformat(now))
