"""The Store port: every storage operation the services need, with its atomicity.

It is written as one protocol per concern, the same concerns that each engine has a
module for (:mod:`kv_core.engines.sqlite`, :mod:`kv_core.engines.dynamodb`), and
:class:`Store` is all of them. One contract suite runs unchanged against both engines.

Counters are kept by the engines, atomically with the writes that change them: a
user's stored bytes, each namespace's item count and bytes, and each month's request
count (and, inside it, each API key's). Timestamps are ISO-8601 strings, as in :mod:`kv_core.model`.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Protocol

from kv_core.model import ApiKey, Item, Namespace, ResetToken, Session, Usage, User
from kv_core.store.requests import (
    AtomicWrite,
    AtomicWritten,
    BulkWritten,
    ChangePage,
    DeleteItem,
    DeleteItems,
    DeletePrefix,
    IncrementItem,
    KeyCounts,
    KeyListing,
    ListKeys,
    PlanEvent,
    PlanOutcome,
    PrefixDeleted,
    PutItem,
    PutItems,
    ReadChanges,
    Recount,
    Written,
)


class UserStore(Protocol):
    def create_user(self, user: User) -> None:
        """Insert a user; ``Conflict`` (``email_taken``) if the email is taken."""
        ...

    def get_user(self, user_id: str) -> User | None: ...

    def get_user_by_email(self, email: str) -> User | None: ...

    def set_plan(
        self,
        user_id: str,
        plan: str,
        now: str,
        *,
        requests_limit: int | None = None,
        storage_limit: int | None = None,
    ) -> None:
        """Change a user's plan and, with it, the account's own limits (``None``: the
        plan's); ``NotFound`` (``user_not_found``) if no such user."""
        ...

    def set_disabled(self, user_id: str, disabled_at: str | None, now: str) -> None:
        """Disable an account (``disabled_at``: when) or enable it again (``None``);
        ``NotFound`` (``user_not_found``) if no such user."""
        ...

    def iter_users(self) -> Iterator[User]:
        """Every user, in no particular order (for scheduled jobs)."""
        ...

    def set_password(self, user_id: str, password_hash: str, now: str) -> None:
        """Replace a user's password hash; ``NotFound`` (``user_not_found``) if no such
        user."""
        ...

    def delete_user(self, user_id: str) -> User | None:
        """Delete a user and everything that is theirs: namespaces with their items and
        keys, usage, sessions, reset links, the email's claim. Returns who was deleted,
        or ``None`` if there was no such user."""
        ...

    def create_reset_token(self, token: ResetToken) -> None: ...

    def consume_reset_token(self, token_hash: str, now: str) -> str | None:
        """Use a reset token: the user id it was made for, if it exists and has not
        expired at ``now``. Either way it is gone after, so a token works once."""
        ...


class SessionStore(Protocol):
    """The dashboard's signed-in browsers."""

    def create_session(self, session: Session) -> None: ...

    def get_session(self, user_id: str, token_hash: str) -> Session | None:
        """The session, or ``None`` once it was ended (expired ones are the caller's to
        refuse)."""
        ...

    def delete_session(self, user_id: str, token_hash: str) -> None: ...

    def delete_sessions(self, user_id: str, *, keep: str | None = None) -> int:
        """End every session of the user but the one whose hash is ``keep``; how many
        ended."""
        ...


class NamespaceStore(Protocol):
    def create_namespace(self, namespace: Namespace) -> None:
        """Insert a namespace; ``Conflict`` if the user has one of that name."""
        ...

    def get_namespace(self, user_id: str, name: str) -> Namespace | None: ...

    def list_namespaces(self, user_id: str) -> list[Namespace]:
        """The user's namespaces by name, with live item counts and bytes."""
        ...

    def delete_namespace(self, user_id: str, name: str) -> Namespace | None:
        """Delete a namespace with all its items and API keys, releasing its bytes from
        the user's storage. Returns what was deleted, or ``None`` if nothing was."""
        ...

    def recount_namespace(
        self, user_id: str, namespace_id: str, *, settle_seconds: float = 0.0
    ) -> Recount | None:
        """Count the namespace's items and bytes and, if its counters differ, set them
        (and move the user's stored bytes by the difference) without racing live
        writes: a write under way is never mistaken for a drift. An engine that cannot
        see a drift and a write under way apart at one moment waits
        ``settle_seconds`` (longer than any live write takes between its calls) to
        tell them apart. ``None`` if the user has no such namespace."""
        ...


class ApiKeyStore(Protocol):
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


class ItemStore(Protocol):
    """Items, their expiry and the counters they move.

    An item whose ``expires_at`` is at or before the unix second ``at`` is gone for
    every read and condition made in that second: reads leave it out, ``if_match``
    fails on it and ``if_absent`` holds, a put over it creates (version 1). Until the
    sweep removes it, it still counts toward its namespace's and owner's storage.
    """

    def get_item(self, namespace_id: str, key: str, *, at: int | None = None) -> Item | None:
        """The live item, judged at unix second ``at`` (``None``: the current second)."""
        ...

    def get_items(self, namespace_id: str, keys: list[str], *, at: int) -> dict[str, Item]:
        """The live items among ``keys`` (at most 100, distinct), by key."""
        ...

    def put_item(self, put: PutItem) -> Written:
        """Create or replace an item, with its expiry and metadata.

        Atomically with the write: ``if_match`` and ``if_absent`` hold (else
        ``PreconditionFailed``); the user's stored bytes plus the growth stay within
        ``storage_limit`` (else ``QuotaExceeded``, ``storage_quota_exceeded``); the
        version grows by one; the user's and the namespace's counters move by the size
        difference. A namespace deleted meanwhile gives ``NotFound``
        (``namespace_not_found``). The carried ``requests`` may be counted along.
        """
        ...

    def increment_item(self, increment: IncrementItem) -> Written:
        """Add to a number item in one atomic step (see :class:`IncrementItem`):
        concurrent increments never lose one. Quota and counters as for a put."""
        ...

    def put_items(self, put: PutItems) -> BulkWritten:
        """Write a batch of items (see :class:`PutItems` for its atomicity)."""
        ...

    def delete_item(self, delete: DeleteItem) -> Written:
        """Delete an item and release its bytes; ``NotFound`` if absent or expired,
        ``PreconditionFailed`` if ``if_match`` is not its etag. The carried ``requests``
        may be counted along."""
        ...

    def delete_items(self, delete: DeleteItems) -> BulkWritten:
        """Delete a batch of items, releasing their bytes exactly; the count is of the
        live items deleted."""
        ...

    def list_keys(self, listing: ListKeys) -> KeyListing:
        """One page of live keys (see :class:`ListKeys`)."""
        ...

    def apply_atomic(self, write: AtomicWrite) -> AtomicWritten:
        """Apply checks and operations on several keys all at once or not at all (see
        :class:`AtomicWrite`). Of two operations that check the same version of a key
        and both write it, exactly one applies; the other gets ``CheckFailed``."""
        ...

    def count_keys(self, namespace_id: str, *, prefix: str, at: int) -> int:
        """How many live items (judged at unix second ``at``) have keys starting with
        ``prefix`` (not empty: the namespace's own counters answer for all of it)."""
        ...

    def delete_prefix(self, delete: DeletePrefix) -> PrefixDeleted:
        """Delete one page of the items under a prefix (see :class:`DeletePrefix`)."""
        ...

    def sweep_expired(self, at: int, *, limit: int = 1000) -> int:
        """Remove up to ``limit`` items that expired at or before ``at``, in every
        namespace, releasing their bytes exactly once however many sweeps run at
        once; how many were removed (fewer than ``limit``: none are left). It reads
        only expired items."""
        ...


class ChangeStore(Protocol):
    """Each namespace's change feed: every acknowledged put, delete and expiry, once,
    in commit order (see :class:`~kv_core.store.Change`).

    The SQLite engine logs a change in the transaction of its write; the DynamoDB
    engine from the table's stream, so a change appears shortly after its write.
    Increments and patches log as ``put``; an item that expired is logged as
    ``expire`` when it is swept or written over, whichever comes first.
    """

    def read_changes(self, read: ReadChanges) -> ChangePage:
        """One page of the log after a seq (see :class:`ReadChanges`)."""
        ...

    def last_change(self, namespace_id: str) -> int:
        """The seq of the namespace's latest change (0 if none), where ``since=now``
        starts."""
        ...

    def wait_for_change(self, namespace_id: str, after: int, timeout: float) -> bool:
        """Block until a change after ``after`` may have been logged, or ``timeout``
        seconds pass; whether one may have (a True may be spurious, a False is not).

        It costs the store little however many wait: SQLite wakes at once on this
        process's commits and notices other processes' within a fraction of a
        second; DynamoDB makes at most one read per second of waiting."""
        ...

    def prune_changes(self, before: str, *, limit: int = 1000) -> int:
        """Remove up to ``limit`` changes logged before ``before`` (ISO 8601), in every
        namespace; how many were removed (fewer than ``limit``: none are left)."""
        ...


class UsageStore(Protocol):
    """The month's request counts of each user and, inside them, of each API key.

    A key's count moves in the same atomic step as its owner's, so that neither is
    ever counted without the other."""

    def admit_requests(
        self, user_id: str, month: str, count: int, limit: int, *, key_id: str | None = None
    ) -> int | None:
        """Atomically add ``count`` requests to the month if the total stays within
        ``limit``; return the new total, or ``None`` (nothing added) if it would not.
        ``key_id``: the API key that made them, whose count moves with the user's."""
        ...

    def add_requests(self, user_id: str, month: str, count: int, *, by_key: KeyCounts = ()) -> int:
        """Add ``count`` requests unconditionally (a flushed batch); return the total.
        ``by_key``: the part of them each API key made, added in the same step."""
        ...

    def get_usage(self, user_id: str, month: str) -> Usage: ...

    def request_history(self, user_id: str, months: list[str]) -> dict[str, int]:
        """Request counts for the given months (0 where none were made)."""
        ...

    def key_requests(self, user_id: str, month: str) -> dict[str, int]:
        """The month's request counts of the user's API keys, by key id: one read, for
        a key listing. A key that made none may be absent and a revoked key's count
        present, so the caller matches them to the keys it lists."""
        ...


class BillingStore(Protocol):
    def apply_plan_event(self, event: PlanEvent) -> PlanOutcome:
        """Change the account's plan and record the event, both or neither (see
        :class:`~kv_core.store.PlanEvent` for the outcomes)."""
        ...


class ThrottlingStore(Protocol):
    """Once-only markers and login-attempt windows.

    A login attempt is counted before its password is checked, and the count cleared
    when it succeeds, so concurrent attempts can never check more passwords than the
    limit. The subject is whatever the caller throttles by (an email and an address)."""

    def mark_once(self, scope: str, marker: str, now: str) -> bool:
        """Record ``marker`` in ``scope``; True the first time, False ever after.

        Sent alerts use this to happen exactly once."""
        ...

    def has_mark(self, scope: str, marker: str) -> bool:
        """Whether ``marker`` was recorded in ``scope``."""
        ...

    def count_login_attempt(self, subject: str, now: str, window_seconds: int) -> int:
        """Atomically count one attempt in the current window (which starts at the
        first attempt and lasts ``window_seconds``); return the attempts in it."""
        ...

    def clear_login_attempts(self, subject: str) -> None: ...


class Store(
    UserStore,
    SessionStore,
    NamespaceStore,
    ApiKeyStore,
    ItemStore,
    ChangeStore,
    UsageStore,
    BillingStore,
    ThrottlingStore,
    Protocol,
):
    """Storage for users, namespaces, API keys, items and usage."""

    # If True, API keys may be served from a short-lived cache and usage counted in
    # batches: the engine pays per call (DynamoDB). If False (SQLite), every request
    # sees revocations at once and counts are exact.
    remote: bool

    def ping(self) -> None:
        """One cheap read that reaches the data (the deep health check); raises what
        the engine raises when it cannot."""
        ...

    def close(self) -> None: ...
