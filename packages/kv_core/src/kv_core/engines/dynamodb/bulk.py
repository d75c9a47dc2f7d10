"""Bulk reads and writes on DynamoDB.

A bulk get is ``BatchGetItem`` (100 keys a call, consistent reads), asking again for
the keys DynamoDB leaves unprocessed, after a backoff.

A bulk put or delete keeps the counters exact, which ``BatchWriteItem`` cannot: it
neither conditions an item nor answers what it replaced, so two writers of one key
would both count it. Instead a batch first reads what it replaces (``BatchGetItem``,
only the attributes that size an item), then writes in parts of at most
:data:`PART_ITEMS` items, and under :data:`PART_BYTES`, each part one
``TransactWriteItems``: every item conditioned on the etag read (or on being absent),
and the profile's counters moved by the part's exact growth in the same transaction.
A part whose items changed since the read is read again and retried. 1000 items are
10 reads and 11 transactions.

The storage quota applies to the whole batch: its growth (the read gives the old
sizes) is checked against the profile before anything is written, and a batch that
does not fit writes nothing. Parts are written in the order of their items' growth,
shrinking first, so that without other writers no part passes the limit when the
whole fits; each part's counters update is still conditioned on the limit, so a
concurrent writer that uses the quota between two parts gets the later parts
refused (``QuotaExceeded``) with the earlier ones written and counted, never an item
written without its bytes.

The carried request counts (:class:`~kv_core.store.RequestBatch`) are not counted
here: a transaction does not answer the month's total, so the meter writes them.
"""

from __future__ import annotations

import random
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from pynamodb.exceptions import TransactWriteError

from kv_core.engines.dynamodb import keys, records
from kv_core.engines.dynamodb.items import Items
from kv_core.engines.dynamodb.table import Entry, number_text
from kv_core.errors import StoreUnavailable
from kv_core.model import Item
from kv_core.sizing import encode_value, value_size
from kv_core.store import BulkWritten, DeleteItems, PutEntry, PutItems, refusals

GET_KEYS = 100  # BatchGetItem's limit
PART_ITEMS = 99  # TransactWriteItems' 100 actions, one of them the counters
PART_BYTES = 3_500_000  # under the transaction's 4 MB, with room for attribute names
ITEM_OVERHEAD = 300  # bytes of attribute names and bookkeeping an item adds, at most
ATTEMPTS = 5  # of a part whose items keep changing, or whose transaction conflicts
GET_ATTEMPTS = 8  # calls for one BatchGetItem's keys while DynamoDB leaves some
# What a bulk write reads of the items it replaces.
SIZING_ATTRIBUTES = [
    "PK",
    "SK",
    "etag",
    "version",
    "createdAt",
    "exp",
    "size",
    "fixedSize",
    "num",
    "numKind",
]
CHECK_FAILED = "ConditionalCheckFailed"
CONFLICT = "TransactionConflict"  # another transaction held one of the items


@dataclass(frozen=True, slots=True)
class Planned:
    """One item of a bulk put: the entry to write, what it replaces and the growth."""

    entry: Entry
    old: Entry | None
    growth: int
    fresh: bool  # no item counted there before (the count grows by one)


def backoff(attempt: int) -> None:
    jitter = 0.5 + random.random() / 2  # noqa: S311 (spreads retries, guards nothing)
    time.sleep(min(0.05 * 2**attempt, 1.0) * jitter)


def reason_codes(error: TransactWriteError) -> list[str | None]:
    return [None if r is None else r.code for r in (error.cancellation_reasons or [])]


class Bulk(Items):
    # --- reads ---------------------------------------------------------------------

    def _batch_get(
        self, pairs: Sequence[tuple[str, str]], attributes: list[str] | None = None
    ) -> list[Entry]:
        """The entries among ``pairs`` (distinct keys), consistently read, 100 a call;
        the keys DynamoDB leaves unprocessed are asked for again after a backoff."""
        table = self._raw()
        client = table.connection.client
        request: dict[str, Any] = {"ConsistentRead": True}
        if attributes is not None:
            names = {f"#a{i}": name for i, name in enumerate(attributes)}
            request["ProjectionExpression"] = ", ".join(names)
            request["ExpressionAttributeNames"] = names
        found: list[Entry] = []
        for start in range(0, len(pairs), GET_KEYS):
            wanted = [
                {"PK": {"S": pk}, "SK": {"S": sk}} for pk, sk in pairs[start : start + GET_KEYS]
            ]
            pending: dict[str, Any] = {table.table_name: {**request, "Keys": wanted}}
            for attempt in range(GET_ATTEMPTS):
                answer = client.batch_get_item(RequestItems=pending)
                found += [
                    self.Entry.from_raw_data(raw)
                    for raw in answer.get("Responses", {}).get(table.table_name, [])
                ]
                pending = answer.get("UnprocessedKeys") or {}
                if not pending:
                    break
                backoff(attempt)
            else:
                raise StoreUnavailable()
        return found

    def get_items(self, namespace_id: str, keys_: list[str], *, at: int) -> dict[str, Item]:
        pk = keys.namespace_pk(namespace_id)
        found = self._batch_get([(pk, keys.item_sk(key)) for key in keys_])
        items = {}
        for entry in found:
            if records.live(entry, at):
                key = keys.parse_item_sk(entry.sk)
                items[key] = records.item(entry, namespace_id, key)
        return items

    def _olds(self, namespace_id: str, names: Iterable[str]) -> dict[str, Entry]:
        """What a bulk write replaces, by key: only what sizes and conditions it."""
        pk = keys.namespace_pk(namespace_id)
        found = self._batch_get([(pk, keys.item_sk(n)) for n in names], SIZING_ATTRIBUTES)
        return {keys.parse_item_sk(entry.sk): entry for entry in found}

    # --- puts ----------------------------------------------------------------------

    def _new_entry(self, put: PutItems, item: PutEntry, old: Entry | None) -> Planned:
        """The entry a bulk put writes for one item over ``old`` (an expired one is
        replaced as new, and its bytes still counted: the count stays)."""
        anew = old is None or not records.live(old, put.at)
        entry = self.Entry(
            keys.namespace_pk(put.namespace_id),
            keys.item_sk(item.key),
            etag=item.etag,
            version=1 if anew or old is None else int(old.version or 0) + 1,
            created_at=put.now if anew or old is None else (old.created_at or put.now),
            updated_at=put.now,
        )
        size = item.size
        if records.storable_number(item.value):
            number = records.stored_number(item.value)
            entry.fixed_size = size - value_size(item.value)
            entry.num = number_text(number)
            if isinstance(number, float):
                entry.num_kind = records.FLOAT
            size = int(entry.fixed_size) + value_size(number)
        else:
            entry.value = encode_value(item.value)
            entry.size = size
        if item.metadata is not None:
            entry.meta = encode_value(item.metadata)
        if item.expires_at is not None:
            entry.exp = item.expires_at
            entry.gsi2pk = keys.expiry_pk(keys.expiry_shard(put.namespace_id, item.key))
            entry.gsi2sk = keys.expiry_sk(item.expires_at, put.user_id)
        growth = size - (records.size_of(old) if old is not None else 0)
        return Planned(entry, old, growth, old is None)

    def _plan(self, put: PutItems, items: Sequence[PutEntry]) -> list[Planned]:
        olds = self._olds(put.namespace_id, [item.key for item in items])
        return [self._new_entry(put, item, olds.get(item.key)) for item in items]

    def put_items(self, put: PutItems) -> BulkWritten:
        if not put.entries:
            return BulkWritten(0)
        planned = self._plan(put, put.entries)
        growth = sum(p.growth for p in planned)
        used = 0
        if put.storage_limit is not None and growth > 0:
            profile = self._get(*self._profile_key(put.user_id))
            if profile is None or profile.ns_items is None:
                raise refusals.namespace_gone()
            if put.namespace_id not in profile.ns_items.as_dict():
                raise refusals.namespace_gone()
            used = int(profile.storage_bytes or 0)
            if used + growth > put.storage_limit:
                raise refusals.storage_exceeded()
        planned.sort(key=lambda p: p.growth)
        written = 0
        expected = used  # the stored bytes after each part, were nobody else writing
        for part in parts(planned):
            expected += sum(p.growth for p in part)
            written += self._put_part(put, part, room_for=expected)
        return BulkWritten(written)

    def _put_part(self, put: PutItems, part: list[Planned], *, room_for: int) -> int:
        """Write one part in one transaction with its counters; read again and retry
        when its items changed since they were read."""
        entry_class = self.Entry
        for attempt in range(ATTEMPTS):
            actions, condition = self._counter_update(
                put.namespace_id,
                items=sum(1 for p in part if p.fresh),
                size=sum(p.growth for p in part),
                storage_limit=put.storage_limit,
                room_for=room_for,
            )
            try:
                with self._transaction(idempotent=True) as transaction:
                    for p in part:
                        transaction.save(
                            p.entry,
                            condition=entry_class.pk.does_not_exist()
                            if p.old is None
                            else entry_class.etag == (p.old.etag or ""),
                        )
                    transaction.update(
                        self.Entry(*self._profile_key(put.user_id)),
                        actions=actions,
                        condition=condition,
                    )
            except TransactWriteError as error:
                codes = reason_codes(error)
                if not codes:
                    raise
                if CONFLICT in codes:
                    backoff(attempt)
                    continue
                items_changed = CHECK_FAILED in codes[:-1]
                if codes[-1] == CHECK_FAILED:
                    if not self._namespace_counted(put.user_id, put.namespace_id):
                        raise refusals.namespace_gone() from None
                    if not items_changed:
                        raise refusals.storage_exceeded() from None
                if not items_changed:
                    raise
                wanted = {p.entry.sk: p for p in part}
                items = [e for e in put.entries if keys.item_sk(e.key) in wanted]
                part = self._plan(put, items)
                continue
            return len(part)
        raise StoreUnavailable("The items kept changing while they were written. Try again.")

    # --- deletes -------------------------------------------------------------------

    def delete_items(self, delete: DeleteItems) -> BulkWritten:
        if not delete.keys:
            return BulkWritten(0)
        olds = self._olds(delete.namespace_id, delete.keys)
        live = [
            olds[key] for key in delete.keys if key in olds and records.live(olds[key], delete.at)
        ]
        deleted = 0
        for start in range(0, len(live), PART_ITEMS):
            deleted += self._delete_part(delete, live[start : start + PART_ITEMS])
        return BulkWritten(deleted)

    def _delete_part(self, delete: DeleteItems, part: list[Entry]) -> int:
        entry_class = self.Entry
        for attempt in range(ATTEMPTS):
            if not part:
                return 0
            actions, condition = self._counter_update(
                delete.namespace_id,
                items=-len(part),
                size=-sum(records.size_of(e) for e in part),
                storage_limit=None,
            )
            try:
                with self._transaction(idempotent=True) as transaction:
                    for old in part:
                        transaction.delete(
                            self.Entry(old.pk, old.sk),
                            condition=entry_class.etag == (old.etag or ""),
                        )
                    transaction.update(
                        self.Entry(*self._profile_key(delete.user_id)),
                        actions=actions,
                        condition=condition,
                    )
            except TransactWriteError as error:
                codes = reason_codes(error)
                if not codes:
                    raise
                if CONFLICT in codes:
                    backoff(attempt)
                    continue
                if CHECK_FAILED in codes[:-1]:
                    names = [keys.parse_item_sk(old.sk) for old in part]
                    olds = self._olds(delete.namespace_id, names)
                    part = [
                        olds[n] for n in names if n in olds and records.live(olds[n], delete.at)
                    ]
                    continue
                if codes[-1] == CHECK_FAILED:
                    raise refusals.namespace_gone() from None
                raise
            return len(part)
        raise StoreUnavailable("The items kept changing while they were deleted. Try again.")


def parts(planned: list[Planned]) -> Iterable[list[Planned]]:
    """The batch in transactions' parts: at most :data:`PART_ITEMS` items and
    :data:`PART_BYTES` bytes each, in order."""
    part: list[Planned] = []
    size = 0
    for p in planned:
        weight = records.size_of(p.entry) + ITEM_OVERHEAD
        if part and (len(part) == PART_ITEMS or size + weight > PART_BYTES):
            yield part
            part, size = [], 0
        part.append(p)
        size += weight
    if part:
        yield part
