"""The change feed of a namespace: what was put, deleted and expired after a cursor.

A read answers at once with what is there; with ``wait`` it is held until a change
comes or the wait is over, waking on the store's signal (no polling per reader). Each
answer counts one request. A prefix-scoped API key follows only its prefix. Streams
(the API's Server-Sent Events) open a :class:`FeedPosition` and read from it
repeatedly, counting their own requests.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

from kv_core.errors import Forbidden, Gone, InvalidInput
from kv_core.limits import LIMITS
from kv_core.services.change_cursors import FeedCursor, decode_feed_cursor, encode_feed_cursor
from kv_core.services.item_access import ItemAccess, Principal
from kv_core.store import Change, ReadChanges, unix_second

SINCE_NOW = "now"
CHANGES_LIMIT_DEFAULT = 100


@dataclass(slots=True)
class FeedPosition:
    """Where a reader of one namespace's feed is: after ``after``, under ``prefix``."""

    namespace_id: str
    prefix: str
    after: int


@dataclass(frozen=True, slots=True)
class ChangesPage:
    """Changes in the order they happened, and the cursor to read on from: after the
    last of them, or past everything read when there are none."""

    changes: list[Change]
    cursor: str
    more: bool = False  # a full page: more may follow at once

    def cursors(self, secret: bytes, namespace_id: str) -> list[str]:
        """Each change's own cursor, resuming right after it (a stream's event ids);
        the last is the page's."""
        return [
            *(
                encode_feed_cursor(secret, FeedCursor(namespace_id, change.seq, at_second(change)))
                for change in self.changes[:-1]
            ),
            *([self.cursor] if self.changes else []),
        ]


def at_second(change: Change) -> int:
    return unix_second(change.at)


def check_wait(wait: int | None) -> int:
    if wait is None:
        return 0
    if not 1 <= wait <= LIMITS.changes_wait_max_seconds:
        raise InvalidInput(
            f"wait is 1 to {LIMITS.changes_wait_max_seconds} seconds.", code="invalid_wait"
        )
    return wait


def check_changes_limit(limit: int | None) -> int:
    if limit is None:
        return CHANGES_LIMIT_DEFAULT
    if not 1 <= limit <= LIMITS.changes_page_max:
        raise InvalidInput(
            f"limit is 1 to {LIMITS.changes_page_max} for changes.", code="invalid_limit"
        )
    return limit


class ChangeFeed(ItemAccess):
    def follow(
        self,
        principal: Principal,
        *,
        since: str | None = None,
        prefix: str = "",
        wait: int | None = None,
        limit: int | None = None,
    ) -> ChangesPage:
        """One answer of the feed (see the module): changes after ``since`` (a cursor;
        ``"now"``: the present; none: the oldest change kept), held up to ``wait``
        seconds (1 to 25) when there are none yet."""
        seconds = check_wait(wait)
        size = check_changes_limit(limit)
        position = self.open_feed(principal, since=since, prefix=prefix)
        self.admit(principal)
        return self.read_feed(position, wait=seconds, limit=size)

    def open_feed(
        self, principal: Principal, *, since: str | None = None, prefix: str = ""
    ) -> FeedPosition:
        """Where a reader starts (the checks of :meth:`follow`; admits nothing)."""
        prefix = prefix or principal.key.key_prefix
        if not principal.key.covers(prefix):
            raise Forbidden(
                f"This API key may only follow keys that start with '{principal.key.key_prefix}'.",
                code="outside_key_prefix",
            )
        if len(prefix.encode("utf-8", "surrogatepass")) > LIMITS.key_max_bytes:
            raise InvalidInput(
                f"A prefix is at most {LIMITS.key_max_bytes} bytes.", code="invalid_prefix"
            )
        namespace_id = principal.key.namespace_id
        if since is None:
            after = 0
        elif since == SINCE_NOW:
            after = self.store.last_change(namespace_id)
        else:
            cursor = decode_feed_cursor(self.config.secret, since, namespace_id)
            if cursor.since < self.moment().at - self.config.changes_retention_seconds:
                raise Gone(
                    "This cursor is older than the change feed keeps changes"
                    f" ({self.config.changes_retention_seconds:,} seconds): start again"
                    " from now and read the items you need.",
                    code="cursor_expired",
                )
            after = cursor.seq
        return FeedPosition(namespace_id, prefix, after)

    def read_feed(
        self, position: FeedPosition, *, wait: float = 0, limit: int = CHANGES_LIMIT_DEFAULT
    ) -> ChangesPage:
        """The changes after ``position`` (moving it past them), waiting up to ``wait``
        seconds for one when there are none."""
        deadline = time.monotonic() + wait
        while True:
            page = self.store.read_changes(
                ReadChanges(position.namespace_id, position.after, limit, position.prefix)
            )
            position.after = page.last
            remaining = deadline - time.monotonic()
            if page.changes or remaining <= 0:
                break
            self.store.wait_for_change(position.namespace_id, page.last, remaining)
        more = len(page.changes) == limit
        # A full page's cursor is as old as its last change (what follows was logged
        # after it); one that read to the end, as old as this read.
        since = at_second(page.changes[-1]) if more else self.moment().at
        cursor = encode_feed_cursor(
            self.config.secret, FeedCursor(position.namespace_id, page.last, since)
        )
        return ChangesPage(page.changes, cursor, more)

    def feed_cursor(self, position: FeedPosition) -> str:
        """A cursor of where ``position`` is now (a stream's heartbeat)."""
        return encode_feed_cursor(
            self.config.secret,
            FeedCursor(position.namespace_id, position.after, self.moment().at),
        )
