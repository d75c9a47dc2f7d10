"""Each namespace's change feed on DynamoDB, as the stream processor logged it
(stream.py): read, waited for and pruned.

A namespace's changes are ``FEED#<id>``/``<seq, zero-padded>``, so a read after a seq
is one consistent ``Query`` from the next sort key; its counter ``FEEDSEQ#<id>`` is the
seq of the latest change. The log moves only through the stream, so a reader waiting
for a change cannot be woken by a write of this process: it reads the counter (one
``GetItem``) once a second of waiting, and never more often, however many wait.

A deleted namespace's feed is closed (:func:`close_feed`): its counter is marked, so
that the stream processor logs nothing more for it (its items' removals included),
and what it had logged is removed with the namespace.

Every change and every record marker is also in the sparse GSI2 under
``LOGGED#<shard>`` by when it was logged (never under the sweep's ``EXP#``), so that
pruning reads only what is old enough to go.
"""

from __future__ import annotations

import json
import math
import time
from collections.abc import Callable
from typing import cast

from kv_core.engines.dynamodb import keys
from kv_core.engines.dynamodb.table import Entry, Table
from kv_core.model import isoformat, utcnow
from kv_core.store.requests import Change, ChangeOp, ChangePage, ReadChanges

WAIT_READ_SECONDS = 1.0  # between two reads of a waited-for counter
PREFIX_SCAN_PAGES = 10  # how many pages' worth a read under a prefix looks at, at most


class Changes(Table):
    # How a wait tells time and sleeps (tests give it a clock of their own).
    _monotonic: Callable[[], float] = staticmethod(time.monotonic)
    _sleep: Callable[[float], None] = staticmethod(time.sleep)

    def read_changes(self, read: ReadChanges) -> ChangePage:
        """One consistent ``Query`` for a page without a prefix; with one, the query
        reads on until ``limit`` changes match or it has looked at
        ``PREFIX_SCAN_PAGES`` pages' worth, so that a sparse prefix still fills a page
        (``last`` tells the reader how far the log was looked at)."""
        found = self.Entry.query(
            keys.feed_pk(read.namespace_id),
            self.Entry.sk > keys.feed_sk(read.after),
            consistent_read=True,
            page_size=read.limit,
        )
        changes: list[Change] = []
        last = read.after
        for looked, entry in enumerate(found, start=1):
            change = _change(entry)
            last = max(last, change.seq)
            if change.key.startswith(read.prefix):
                changes.append(change)
            if len(changes) == read.limit or looked >= read.limit * PREFIX_SCAN_PAGES:
                break
        return ChangePage(changes, last)

    def last_change(self, namespace_id: str) -> int:
        counter = self._get(keys.feed_counter_pk(namespace_id), keys.METADATA)
        if counter is None or counter.seq is None or counter.closed_at is not None:
            return 0
        return int(counter.seq)

    def wait_for_change(self, namespace_id: str, after: int, timeout: float) -> bool:
        """Read the counter a second into the wait and every second after, the last
        read at ``timeout``: at most ``ceil(timeout)`` reads (a change logged within
        the first second is seen at its end; the caller read the log just before)."""
        deadline = self._monotonic() + max(timeout, 0.0)
        while True:
            left = deadline - self._monotonic()
            self._sleep(min(WAIT_READ_SECONDS, max(left, 0.0)))
            if self.last_change(namespace_id) > after:
                return True
            if self._monotonic() >= deadline:
                return False

    def prune_changes(self, before: str, *, limit: int = 1000) -> int:
        removed = 0
        for shard in range(keys.EXPIRY_SHARDS):
            if removed >= limit:
                break
            old = self.Entry.gsi2.query(
                keys.logged_pk(shard),
                self.Entry.gsi2sk < before,
                page_size=min(limit, 100),
            )
            with self.Entry.batch_write() as batch:
                for entry in old:
                    batch.delete(self.Entry(entry.pk, entry.sk))
                    if entry.pk.startswith(keys.feed_pk("")):
                        removed += 1
                        if removed >= limit:
                            break
        return removed


def close_feed(table: Table, namespace_id: str) -> None:
    """End the feed of a namespace being deleted, before its items go: mark its counter
    closed, so that the stream processor logs nothing more for it (a transaction under
    way either committed before, and its changes are removed here, or is refused),
    then remove what it had logged."""
    entry_class = table.Entry
    table._raw().update_item(
        keys.feed_counter_pk(namespace_id),
        keys.METADATA,
        actions=[entry_class.closed_at.set(isoformat(utcnow()))],
    )
    table._delete_partition(keys.feed_pk(namespace_id))


def max_wait_reads(timeout: float) -> int:
    """The most counter reads that :meth:`Changes.wait_for_change` makes in a wait of
    ``timeout`` seconds: one a second."""
    return max(1, math.ceil(timeout / WAIT_READ_SECONDS))


def _change(entry: Entry) -> Change:
    carried = entry.value is not None
    return Change(
        seq=keys.parse_feed_sk(entry.sk),
        key=entry.item_key or "",
        op=cast(ChangeOp, entry.op),
        version=int(entry.version or 0),
        updated_at=entry.updated_at or "",
        at=entry.at or "",
        expires_at=None if entry.exp is None else int(entry.exp),
        value=json.loads(entry.value) if carried and entry.value is not None else None,
        has_value=carried,
    )
