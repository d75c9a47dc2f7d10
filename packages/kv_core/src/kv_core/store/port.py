"""The Store port: every storage operation the services need, with its atomicity.

Two engines implement it: :class:`kv_core.engines.sqlite.SqliteStore` (embedded, the
default) and :class:`kv_core.engines.dynamodb.DynamoStore` (production). One contract test
suite runs unchanged against both.

Counters are kept by the engines, atomically with the writes that change them: a
user's stored bytes, each namespace's item count and bytes, and each month's request
count. Timestamps are ISO-8601 strings, as in :mod:`kv_core.model`.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any, Protocol

from kv_core.errors import NotFound, PreconditionFailed, QuotaExceeded
from kv_core.model import ApiKey, Item, Namespace, Usage, User


@dataclass(slots=True)
class RequestBatch:
    """Requests admitted but not yet written, which a write may carry to the store.

    An engine that counts requests in batches (see :mod:`kv_core.services.metering`)
    hands its pending count to the next put or delete; an engine whose write updates
    the user's counters anyway adds it in that same call and sets ``total`` to the
    month's total it reports back. An engine that writes nothing extra leaves ``total``
    as ``None`` and the meter writes the batch itself.
    """

    month: str
    count: int
    total: int | None = None


class Store(Protocol):
    """Storage for users, namespaces, API keys, items and usage."""

    # If True, API keys may be served from a short-lived cache and usage counted in
    # batches: the engine pays per call (DynamoDB). If False (SQLite), every request
    # sees revocations at once and counts are exact.
    remote: bool

    # --- users -------------------------------------------------------------------
    def create_user(self, user: User) -> None:
        """Insert a user; raise :class:`~kv_core.errors.Conflict` if the email is taken."""
        ...

    def get_user(self, user_id: str) -> User | None: ...

    def get_user_by_email(self, email: str) -> User | None: ...

    def set_plan(self, user_id: str, plan: str, now: str) -> None:
        """Change a user's plan; raise :class:`~kv_core.errors.NotFound` if no such user."""
        ...

    def iter_users(self) -> Iterator[User]:
        """Every user, in no particular order (for scheduled jobs)."""
        ...

    # --- namespaces ----------------------------------------------------------------
    def create_namespace(self, namespace: Namespace) -> None:
        """Insert a namespace; raise ``Conflict`` if the user has one of that name."""
        ...

    def get_namespace(self, user_id: str, name: str) -> Namespace | None: ...

    def list_namespaces(self, user_id: str) -> list[Namespace]:
        """The user's namespaces by name, with live item counts and bytes."""
        ...

    def delete_namespace(self, user_id: str, name: str) -> Namespace | None:
        """Delete a namespace with all its items and API keys, releasing its bytes from
        the user's storage. Returns what was deleted, or ``None`` if nothing was."""
        ...

    # --- API keys ------------------------------------------------------------------
    def create_api_key(self, key: ApiKey) -> None: ...

    def resolve_api_key(self, key_hash: str) -> tuple[ApiKey, User] | None:
        """The key with this SHA-256 digest and its owner, or ``None``."""
        ...

    def list_api_keys(self, user_id: str) -> list[ApiKey]:
        """The user's keys, oldest first."""
        ...

    def delete_api_key(self, user_id: str, key_id: str) -> ApiKey | None:
        """Revoke one of the user's keys; ``None`` if the user has no such key."""
        ...

    def touch_api_key(self, user_id: str, key_id: str, when: str) -> None:
        """Record when a key was last used (best effort; a revoked key stays revoked)."""
        ...

    # --- items ---------------------------------------------------------------------
    def get_item(self, namespace_id: str, key: str) -> Item | None: ...

    def put_item(
        self,
        *,
        user_id: str,
        namespace_id: str,
        key: str,
        value: Any,
        size: int,
        etag: str,
        now: str,
        if_match: str | None = None,
        if_absent: bool = False,
        storage_limit: int | None = None,
        requests: RequestBatch | None = None,
    ) -> tuple[Item, bool]:
        """Create or replace an item; returns it and whether it was created.

        Atomically with the write: ``if_match`` must equal the current etag (``*``:
        there must be a current item) and
        ``if_absent`` requires no current item (else ``PreconditionFailed``); the
        user's stored bytes plus the growth must stay within ``storage_limit`` (else
        ``QuotaExceeded`` with code ``storage_quota_exceeded``); the version grows by
        one; the user's and the namespace's counters move by the size difference. A
        namespace deleted meanwhile gives ``NotFound`` (``namespace_not_found``).
        ``requests`` may be counted along (see :class:`RequestBatch`).
        """
        ...

    def delete_item(
        self,
        *,
        user_id: str,
        namespace_id: str,
        key: str,
        if_match: str | None = None,
        requests: RequestBatch | None = None,
    ) -> Item:
        """Delete an item and release its bytes; ``NotFound`` if absent,
        ``PreconditionFailed`` if ``if_match`` is not its etag (``*`` matches any).
        ``requests`` may be counted along (see :class:`RequestBatch`)."""
        ...

    def list_keys(
        self, namespace_id: str, *, prefix: str = "", after: str | None = None, limit: int
    ) -> tuple[list[str], bool]:
        """Up to ``limit`` keys starting with ``prefix`` and greater than ``after``, in
        key (UTF-8 byte) order, and whether more follow."""
        ...

    # --- usage ---------------------------------------------------------------------
    def admit_requests(self, user_id: str, month: str, count: int, limit: int) -> int | None:
        """Atomically add ``count`` requests to the month if the total stays within
        ``limit``; return the new total, or ``None`` (nothing added) if it would not."""
        ...

    def add_requests(self, user_id: str, month: str, count: int) -> int:
        """Add ``count`` requests unconditionally (a flushed batch); return the total."""
        ...

    def get_usage(self, user_id: str, month: str) -> Usage: ...

    def request_history(self, user_id: str, months: list[str]) -> dict[str, int]:
        """Request counts for the given months (0 where none were made)."""
        ...

    # --- once-only markers and throttling --------------------------------------------
    def mark_once(self, scope: str, marker: str, now: str) -> bool:
        """Record ``marker`` in ``scope``; True the first time, False ever after.

        Webhook event ids and sent alerts use this to happen exactly once."""
        ...

    def add_login_failure(self, email: str, now: str, window_seconds: int) -> int:
        """Count one failed login in the current window (which starts at the first
        failure and lasts ``window_seconds``); return the failures in it."""
        ...

    def clear_login_failures(self, email: str) -> None: ...

    def login_failures(self, email: str, now: str, window_seconds: int) -> int:
        """Failed logins for ``email`` in the window that is open at ``now``."""
        ...

    def close(self) -> None: ...


# --- the refusals both engines raise, worded once ----------------------------------------


ANY_ETAG = "*"  # ``if_match`` that any current item satisfies


def precondition_failed(*, if_absent: bool, missing: bool = False) -> PreconditionFailed:
    if if_absent:
        return PreconditionFailed("The item exists already.", code="precondition_failed")
    if missing:
        return PreconditionFailed("There is no such item to replace.", code="precondition_failed")
    return PreconditionFailed(
        "The item has changed since you read it (its ETag differs).", code="precondition_failed"
    )


def storage_exceeded() -> QuotaExceeded:
    return QuotaExceeded(
        "This write would take your storage past your plan's limit. Delete items or upgrade.",
        code="storage_quota_exceeded",
    )


def namespace_gone() -> NotFound:
    """A write that raced the deletion of its namespace."""
    return NotFound("This namespace was deleted.", code="namespace_not_found")
