"""What the services hand the store for a write, and what a write hands back.

A write is one frozen request object, so that the engines, the services and the tests
name its fields once, and its answer is a value: nothing the caller passed in is
changed by the store.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

from kv_core.model import Item, KeyInfo, parse_iso

ANY_ETAG = "*"  # an ``if_match`` that any current item satisfies

KeyCounts = tuple[tuple[str, int], ...]
"""Requests per API key: (key id, count) pairs, each key once."""


@dataclass(frozen=True, slots=True)
class RequestBatch:
    """Requests admitted but not yet written, which a write may carry to the store.

    A meter that counts in batches (:mod:`kv_core.services.metering`) hands its pending
    count to the next put or delete; an engine whose write updates the user's counters
    anyway adds it in that same call and answers the month's total
    (:attr:`Written.requests_total`). An engine that writes nothing extra answers
    ``None``, and the meter writes the batch itself.

    ``by_key`` is the part of ``count`` that each API key made, as (key id, count)
    pairs: the engine adds them to the keys' monthly counts in the same call.
    """

    month: str
    count: int
    by_key: KeyCounts = ()


@dataclass(frozen=True, slots=True)
class PutItem:
    """Create or replace one item.

    ``size`` is the item's stored size (:func:`kv_core.sizing.stored_size`).
    ``if_match`` is the etag the current item must have (:data:`ANY_ETAG`: any current
    item); ``if_absent`` requires that there is none. ``storage_limit`` caps the user's
    stored bytes after the write (``None``: no cap).
    """

    user_id: str
    namespace_id: str
    key: str
    value: Any
    size: int
    etag: str
    now: str
    if_match: str | None = None
    if_absent: bool = False
    storage_limit: int | None = None
    requests: RequestBatch | None = None
    expires_at: int | None = None
    metadata: dict[str, Any] | None = None

    @property
    def conditional(self) -> bool:
        return self.if_match is not None or self.if_absent

    @property
    def at(self) -> int:
        """The unix second the write happens in, by which an item there is judged
        expired (then it counts as absent: ``if_absent`` holds, the put creates)."""
        return unix_second(self.now)


def unix_second(now: str) -> int:
    """The whole unix second of an ISO-8601 timestamp (:func:`kv_core.model.isoformat`)."""
    return int(parse_iso(now).timestamp())


@dataclass(frozen=True, slots=True)
class IncrementItem:
    """Add ``by`` to a number item, atomically: a missing (or expired) item starts at
    0; a stored value that is not a number is ``Conflict`` (``not_a_number``).

    Numbers add as decimals (``0.1 + 0.2`` is ``0.3``), exactly on both engines: the
    sum is an ``int`` when both are, else a ``float``. The engine sizes the new value
    itself (:func:`kv_core.sizing.stored_size`, metadata kept) and the storage quota
    applies as for a put. ``expires_at`` sets the expiry; ``None`` keeps the item's.
    """

    user_id: str
    namespace_id: str
    key: str
    by: int | float
    etag: str
    now: str
    storage_limit: int | None = None
    requests: RequestBatch | None = None
    expires_at: int | None = None

    @property
    def at(self) -> int:
        return unix_second(self.now)


@dataclass(frozen=True, slots=True)
class PutEntry:
    """One item of a bulk put, checked and sized by the service as a single put."""

    key: str
    value: Any
    size: int
    etag: str
    expires_at: int | None = None
    metadata: dict[str, Any] | None = None


@dataclass(frozen=True, slots=True)
class PutItems:
    """Create or replace many items of one namespace (keys distinct; the service keeps
    the last of repeated keys).

    The storage quota applies to the whole batch: if the user's stored bytes plus the
    batch's growth would pass ``storage_limit``, ``QuotaExceeded`` and nothing is
    written. Otherwise every item is written and counted exactly; an engine that must
    split the batch (DynamoDB's transaction limits) writes each part all or nothing,
    so a failure part-way (an outage, a concurrent writer refilling the quota) leaves
    whole parts written and counted, never an item written without its bytes.
    """

    user_id: str
    namespace_id: str
    entries: tuple[PutEntry, ...]
    now: str
    storage_limit: int | None = None
    requests: RequestBatch | None = None

    @property
    def at(self) -> int:
        return unix_second(self.now)


@dataclass(frozen=True, slots=True)
class DeleteItems:
    """Delete many items of one namespace (keys distinct); absent or expired ones are
    not counted as deleted."""

    user_id: str
    namespace_id: str
    keys: tuple[str, ...]
    now: str
    requests: RequestBatch | None = None

    @property
    def at(self) -> int:
        return unix_second(self.now)


@dataclass(frozen=True, slots=True)
class BulkWritten:
    """A bulk write's outcome: how many items it wrote (or deleted), and the month's
    request total as for :class:`Written`."""

    count: int
    requests_total: int | None = None


@dataclass(frozen=True, slots=True)
class ListKeys:
    """One page of a namespace's live keys in key (UTF-8 byte) order.

    Keys start with ``prefix`` and are greater than ``after`` (the last key of the
    previous page). ``start`` (inclusive) and ``end`` (exclusive) bound the range, and
    ``reverse`` walks it from the end (then ``after`` is the smallest key seen so far
    and the page holds keys below it): both are the third round's, and engines honour
    them from the start so that the port does not change again. ``at`` is the unix
    second by which expired items are left out. ``details``: the page's entries carry
    :class:`~kv_core.model.KeyInfo` rather than bare keys.
    """

    namespace_id: str
    limit: int
    at: int
    prefix: str = ""
    after: str | None = None
    start: str | None = None
    end: str | None = None
    reverse: bool = False
    details: bool = False


@dataclass(frozen=True, slots=True)
class KeyListing:
    """A page of keys (always) and, when details were asked for, their
    :class:`~kv_core.model.KeyInfo` in the same order; ``more``: keys follow."""

    keys: list[str]
    more: bool
    details: list[KeyInfo] | None = None


@dataclass(frozen=True, slots=True)
class DeleteItem:
    """Delete one item; ``if_match`` as for :class:`PutItem`. ``at`` is the unix second
    by which an item there is judged expired (then it counts as absent: ``NotFound``);
    ``None``: the current second."""

    user_id: str
    namespace_id: str
    key: str
    if_match: str | None = None
    requests: RequestBatch | None = None
    at: int | None = None


@dataclass(frozen=True, slots=True)
class Written:
    """A write's outcome: the item as written (for a delete, as it was), whether the
    write created it, and the month's request total when the write carried a
    :class:`RequestBatch` that the store counted (else ``None``)."""

    item: Item
    created: bool = False
    requests_total: int | None = None


@dataclass(frozen=True, slots=True)
class AtomicCheck:
    """The item ``key`` must be at ``version`` (``None``: must not exist, expired
    counting as absent) when an atomic operation applies."""

    key: str
    version: int | None


@dataclass(frozen=True, slots=True)
class AtomicPut:
    """Create or replace ``key``, checked and sized by the service as a single put."""

    key: str
    value: Any
    size: int
    etag: str
    expires_at: int | None = None
    metadata: dict[str, Any] | None = None


@dataclass(frozen=True, slots=True)
class AtomicDelete:
    """Delete ``key``; an absent (or expired) item is no failure: checks are how an
    operation demands that an item exists."""

    key: str


@dataclass(frozen=True, slots=True)
class AtomicIncrement:
    """Add ``by`` to ``key`` as :class:`IncrementItem` does; ``etag`` is the new one."""

    key: str
    by: int | float
    etag: str
    expires_at: int | None = None


AtomicOp = AtomicPut | AtomicDelete | AtomicIncrement


@dataclass(frozen=True, slots=True)
class AtomicWrite:
    """Checks and operations on distinct keys of one namespace (at most
    :attr:`~kv_core.limits.Limits.atomic_max_keys` keys in all; a key may be both
    checked and written), applied all at once or not at all.

    Every check holds and every op applies, or nothing is written:
    ``CheckFailed`` names every check that did not hold (and a concurrent writer that
    changes a key between the engine's read and its write is one); ``Conflict``
    (``not_a_number``) for an increment of a value that is not a number;
    ``QuotaExceeded`` if the user's stored bytes plus the operation's growth would
    pass ``storage_limit``. Counters move exactly, as for single writes.
    """

    user_id: str
    namespace_id: str
    checks: tuple[AtomicCheck, ...]
    ops: tuple[AtomicOp, ...]
    now: str
    storage_limit: int | None = None
    requests: RequestBatch | None = None

    @property
    def at(self) -> int:
        return unix_second(self.now)


@dataclass(frozen=True, slots=True)
class AtomicWritten:
    """An applied atomic operation: each op's key and the version it left (``None``
    for a delete), in the order of the ops, and the month's request total as for
    :class:`Written`."""

    items: list[tuple[str, int | None]]
    requests_total: int | None = None


@dataclass(frozen=True, slots=True)
class DeletePrefix:
    """Delete up to ``limit`` items whose keys start with ``prefix`` (not empty).

    Expired items under the prefix are removed as well, but only live ones count as
    deleted. Bytes are released exactly, however many deletions of the same prefix run
    at once."""

    user_id: str
    namespace_id: str
    prefix: str
    limit: int
    now: str
    requests: RequestBatch | None = None

    @property
    def at(self) -> int:
        return unix_second(self.now)


@dataclass(frozen=True, slots=True)
class PrefixDeleted:
    """How many live items a :class:`DeletePrefix` removed, whether items remain under
    the prefix, and the month's request total as for :class:`Written`."""

    count: int
    more: bool
    requests_total: int | None = None


ChangeOp = Literal["put", "delete", "expire"]


@dataclass(frozen=True, slots=True)
class Change:
    """One entry of a namespace's change feed.

    ``seq`` orders the namespace's changes: it only grows, in commit order, and a
    reader that has seen ``seq`` never later finds a change below it (gaps are allowed).
    ``version``, ``updated_at`` and ``expires_at`` are the item's as written (for a
    delete or an expiry, as it was). ``value`` is carried for puts whose compact JSON
    is at most :attr:`~kv_core.limits.Limits.change_value_max_bytes` (``has_value``
    tells a carried ``null`` from none). ``at`` is when the change was logged (ISO
    8601), by which the log is pruned.
    """

    seq: int
    key: str
    op: ChangeOp
    version: int
    updated_at: str
    at: str
    expires_at: int | None = None
    value: Any = None
    has_value: bool = False


@dataclass(frozen=True, slots=True)
class ReadChanges:
    """Up to ``limit`` changes of a namespace after ``after`` (a :attr:`Change.seq`;
    0: from the start of the log) whose keys start with ``prefix``."""

    namespace_id: str
    after: int
    limit: int
    prefix: str = ""


@dataclass(frozen=True, slots=True)
class ChangePage:
    """Changes in ``seq`` order, and ``last``: the highest seq the read got to, at
    least ``after``, so that a reader filtering by prefix moves past what it skipped."""

    changes: list[Change]
    last: int


PlanOutcome = Literal["applied", "duplicate", "stale", "foreign", "ignored"]


@dataclass(frozen=True, slots=True)
class PlanEvent:
    """A plan change from the payment provider, for the account that its subscription
    belongs to.

    The store applies it atomically with recording ``event_id``, so an event is applied
    once or not at all: ``duplicate`` when it was recorded before; ``foreign`` when the
    subscription belongs to another account than ``user_id``; ``stale`` when an event of
    the subscription that occurred later was applied already; ``ignored`` when no account
    is known (no ``user_id``, and a subscription not seen before). ``occurred_at`` is
    UTC, ISO-8601 to the microsecond, so that its text orders as its time.
    """

    event_id: str
    subscription_id: str
    user_id: str | None
    occurred_at: str
    plan: str
    now: str


@dataclass(frozen=True, slots=True)
class Recount:
    """What recounting one namespace found: its items and bytes as counted, how far
    its counters were off (counters minus count), and whether they were corrected.

    ``settled`` is False when live writes kept moving the counters or the items while
    the recount looked, so that it could not tell a drift from a write under way and
    corrected nothing; the next recount tries again.
    """

    namespace_id: str
    items: int
    bytes: int
    items_drift: int = 0
    bytes_drift: int = 0
    corrected: bool = False
    settled: bool = True

    @property
    def drifted(self) -> bool:
        return bool(self.items_drift or self.bytes_drift)
