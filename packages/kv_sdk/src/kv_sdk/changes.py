"""A namespace's change feed (``GET /v1/{namespace}?changes=true``): the `Change`
records, the long-poll request and its reading, and `ChangeFeed`, the iterator that
follows the feed for ``KVClient.changes``.

What follows the feed is kept apart from the I/O (`FeedState`) so that the sync feed
here and the async one (`kv_sdk.aio.changes`) resume and back off by the same rules:
a dropped connection, a 5xx or a 429 rate limit (after the transport's own retries)
is waited out and the same cursor asked again, so that nothing is skipped or repeated;
a 410 raises `CursorExpired`; anything else raises as the other calls do.
"""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Iterator
from dataclasses import dataclass, replace
from typing import Any, Literal, TypeAlias

from kv_sdk import calls, errors
from kv_sdk.transport import BACKOFF_FACTOR, BACKOFF_MAX, MAX_RETRY_AFTER, Transport

ChangeOp: TypeAlias = Literal["put", "delete", "expire"]

# The longest the server holds a long poll (its ``wait`` is 1 to 25 seconds).
MAX_WAIT = 25
# ``since`` for "from the present on".
NOW = "now"


@dataclass(frozen=True, slots=True)
class Change:
    """One write, delete or expiry of an item, as the feed reports it.

    ``version``, ``updated_at`` and ``expires_at`` are the item's as written (for a
    delete or an expiry, as it was). ``value`` is carried for puts of at most 4 KiB of
    JSON: ``has_value`` tells a carried ``None`` (JSON ``null``) from none, and a put
    without it means "fetch the item". ``cursor`` is where to resume to see what
    follows this change (``None``: from the oldest change kept).
    """

    key: str
    op: ChangeOp
    version: int
    updated_at: str
    expires_at: int | None = None
    value: Any = None
    has_value: bool = False
    cursor: str | None = None


@dataclass(frozen=True, slots=True)
class ChangeBatch:
    """One answer of the feed: its changes in order, and the ``cursor`` after them."""

    changes: list[Change]
    cursor: str


def batch_of(data: Any, since: str | None) -> ChangeBatch:
    """The `ChangeBatch` of the feed's JSON answer to a read from ``since``.

    A change's own ``cursor`` is used when the server gives one; otherwise the last
    change gets the answer's cursor and the others the one they were read from, so that
    resuming from any of them repeats at most that answer's changes and loses none.
    """
    cursor = str(data["cursor"])
    entries = list(data["changes"])
    changes = []
    for index, entry in enumerate(entries):
        last = index == len(entries) - 1
        own = entry.get("cursor")
        changes.append(
            Change(
                key=entry["key"],
                op=entry["op"],
                version=entry["version"],
                updated_at=entry["updatedAt"],
                expires_at=entry.get("expiresAt"),
                value=entry.get("value"),
                has_value="value" in entry,
                cursor=str(own) if own else (cursor if last else since),
            )
        )
    return ChangeBatch(changes, cursor)


def read_changes(
    namespace: str, *, since: str | None, prefix: str | None, wait: int
) -> calls.Request[ChangeBatch]:
    """One read of the feed after ``since``, held up to ``wait`` seconds (0: not held)."""
    wait = calls.whole(wait, "wait")
    if not 0 <= wait <= MAX_WAIT:
        raise ValueError(f"wait must be 0 to {MAX_WAIT} seconds, not {wait}.")
    params = {"changes": "true"}
    if since:
        params["since"] = since
    if prefix:
        params["prefix"] = prefix
    if wait:
        params["wait"] = str(wait)
    # The feed is an answer of the list operation (GET /v1/{namespace}), read as a batch.
    listing = calls.LIST_KEYS
    call = calls.Call(
        listing.operation_id,
        listing.plane,
        "changes",
        listing.method,
        listing.path,
        lambda answer: batch_of(answer.json(), since),
        query=listing.query,
    )
    return replace(call.request(params=params, namespace=namespace), held=float(wait))


def pause(failures: int, error: errors.KVError) -> float:
    """How long to wait before asking again after ``failures`` failed reads in a row,
    the last one ``error``: what a 429's ``Retry-After`` asks (capped), else an
    exponential backoff."""
    if isinstance(error, errors.RateLimited) and error.retry_after:
        return float(min(error.retry_after, MAX_RETRY_AFTER))
    return float(min(BACKOFF_MAX, BACKOFF_FACTOR * 2**failures))


def transient(error: errors.KVError) -> bool:
    """Whether a failed read is worth asking again: no answer, a 5xx, or a rate limit
    (not a monthly quota, whose wait is days)."""
    if isinstance(error, errors.QuotaExceeded):
        return False
    return isinstance(error, errors.TransportError | errors.ServerError | errors.RateLimited)


class FeedState:
    """Where a reader of the feed is: its cursor, the changes read but not yet handed
    out, and the failures in a row. Both feeds drive it; it does no I/O."""

    def __init__(self, namespace: str, *, prefix: str | None, since: str | None, wait: int):
        self.namespace = namespace
        self.prefix = prefix
        self.wait = wait
        self.cursor = since
        self.failures = 0
        self.pending: deque[Change] = deque()
        read_changes(namespace, since=since, prefix=prefix, wait=wait)  # checks the arguments

    def request(self) -> calls.Request[ChangeBatch]:
        """The next read from the cursor. While the cursor is still ``now``, the read is
        not held: its answer turns ``now`` into a real cursor at once, so that the cursor
        a caller keeps never means "whenever it is asked"."""
        wait = 0 if self.cursor == NOW else self.wait
        return read_changes(self.namespace, since=self.cursor, prefix=self.prefix, wait=wait)

    def took(self, batch: ChangeBatch) -> None:
        """Keep what a read answered."""
        self.failures = 0
        self.pending.extend(batch.changes)
        if not batch.changes:
            self.cursor = batch.cursor

    def failed(self, error: errors.KVError) -> float:
        """The seconds to wait after a failed read; re-raises what is not transient."""
        if not transient(error):
            raise error
        self.failures += 1
        return pause(self.failures, error)

    def hand_out(self) -> Change | None:
        """The next change read, moving the cursor past it; ``None`` when none is left."""
        if not self.pending:
            return None
        change = self.pending.popleft()
        self.cursor = change.cursor
        return change


class ChangeFeed(Iterator[Change]):
    """The changes of a namespace, as they come, forever: an iterator that long-polls.

    ``cursor`` is where it stands: after the last change it handed out (or the last
    empty answer); keep it, and pass it as ``since`` to pick up from there later. A
    connection that drops, a 5xx or a 429 is waited out (exponential backoff, or what
    ``Retry-After`` asks) and the read asked again from the same cursor; ``failures``
    counts those in a row. `CursorExpired` is raised when the cursor is older than the
    changes the server keeps.
    """

    def __init__(
        self,
        transport: Transport,
        namespace: str,
        *,
        prefix: str | None = None,
        since: str | None = None,
        wait: int = MAX_WAIT,
    ) -> None:
        self._transport = transport
        self._state = FeedState(namespace, prefix=prefix, since=since, wait=wait)

    @property
    def cursor(self) -> str | None:
        """The cursor to resume from (``None``: from the oldest change kept)."""
        return self._state.cursor

    @property
    def failures(self) -> int:
        """Failed reads in a row, waited out and retried."""
        return self._state.failures

    def __iter__(self) -> Iterator[Change]:
        return self

    def __next__(self) -> Change:
        state = self._state
        while (change := state.hand_out()) is None:
            try:
                state.took(self._transport.send(state.request()))
            except errors.KVError as error:
                time.sleep(state.failed(error))
        return change
