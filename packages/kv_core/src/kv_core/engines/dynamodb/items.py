"""Items on DynamoDB: two calls per write.

A put is the item's ``UpdateItem``, which returns the item it replaced
(``ReturnValues=ALL_OLD``) and so gives the size difference without a read, then the
counters' ``UpdateItem`` (counters.py). If the counters call fails for any reason (quota
reached, namespace deleted meanwhile, throttling or an outage past the retries) the
item write is undone, conditioned on its own etag, and a delete is undone by putting
the item back where nothing was written since; an undo keeps trying through an outage
for a few seconds. What remains uncounted (a process that dies between the two calls,
an undo that fails for longer, an answer lost after DynamoDB applied a call) the
reconciliation corrects (recount.py); DynamoDB's transactions would close that window
at twice the write cost and a read before every put.

Expiry is judged in the condition of each write (an item whose ``exp`` is at or before
the write's second counts as absent), and a refused condition answers the item as it
is (``ReturnValuesOnConditionCheckFailure``), so telling "expired" from "changed"
costs no read. A write over an expired item starts it anew (version 1, a new
``createdAt``): that takes a second item call, conditioned on the expired item's etag,
in that rare case only. The expired item's bytes still count until then, so the
counters move by the size difference and the item count stays.

An increment is one ``UpdateItem`` that ``ADD``\\ s to the number attribute ``num``
(table.py), conditioned on the item being absent or a live number, then the counters
call. The item it returns as it was tells the old value, from which the new one is
computed exactly as DynamoDB did (decimals, 38 digits), and with it the growth.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from decimal import Context, Decimal, Inexact, Rounded
from typing import Any, TypeVar

from botocore.exceptions import ClientError
from pynamodb.exceptions import DeleteError, PutError
from pynamodb.expressions.condition import Condition
from pynamodb.expressions.update import Action

from kv_core import numbers
from kv_core.engines.dynamodb import faults, keys, records
from kv_core.engines.dynamodb.counters import ProfileCounters
from kv_core.engines.dynamodb.table import CONDITION_FAILED, Entry, number_text
from kv_core.errors import Conflict, NotFound, StoreUnavailable
from kv_core.model import Item, KeyInfo
from kv_core.sizing import encode_value, value_size
from kv_core.store import (
    ANY_ETAG,
    DeleteItem,
    IncrementItem,
    KeyListing,
    ListKeys,
    PutItem,
    Written,
    refusals,
)

T = TypeVar("T")
ATTEMPTS = 5  # of a write that races writes over an expired item
_EXACT = Context(prec=numbers.SIGNIFICANT_DIGITS, traps=[Inexact, Rounded])
# The attributes a list reads: the key and its expiry, and for details the rest but
# the value.
LIST_ATTRIBUTES = ["SK", "exp"]
DETAIL_ATTRIBUTES = ["SK", "exp", "version", "updatedAt", "meta"]


class Refused(Exception):
    """A write's condition did not hold; ``current`` is the item as it was then."""

    def __init__(self, current: Entry | None) -> None:
        super().__init__("condition failed")
        self.current = current


@dataclass(frozen=True, slots=True)
class Content:
    """What a write stores of an item, as update actions, and the value and size as
    they will read back."""

    actions: list[Action]
    value: Any
    size: int


def current_second() -> int:
    return int(time.time())


def increment_sum(old: Entry | None, by: int | float) -> int | float:
    """The value an ``ADD`` of ``by`` leaves in ``num`` after ``old``: exactly the
    decimal DynamoDB computes, read back as :func:`records.number_value` reads it;
    ``Conflict`` (``number_out_of_range``) past 38 digits or DynamoDB's range."""
    start = Decimal(old.num) if old is not None and old.num is not None else Decimal(0)
    floating = isinstance(by, float) or (old is not None and old.num_kind == records.FLOAT)
    try:
        total = _EXACT.add(start, numbers.as_decimal(by))
    except (Inexact, Rounded):
        raise numbers.out_of_range() from None
    value: int | float = float(total) if floating else int(total)
    numbers.add(value, 0)  # its range
    return value


def number_overflow(error: ClientError) -> bool:
    """DynamoDB's refusal of an ``ADD`` whose sum it cannot hold."""
    answer = error.response.get("Error", {})
    return answer.get("Code") == "ValidationException" and "umber" in answer.get("Message", "")


class Items(ProfileCounters):
    # --- low-level calls -----------------------------------------------------------

    def _call(
        self,
        operation: str,
        pk: str,
        sk: str,
        *,
        actions: list[Action] | None = None,
        condition: Condition | None = None,
    ) -> Entry | None:
        """One ``UpdateItem`` or ``DeleteItem`` of an entry that answers the entry as it
        was before (``ALL_OLD``; ``None``: there was none), and raises
        :class:`Refused` with the entry as it is when ``condition`` fails."""
        table = self._raw()
        kwargs = table.connection.get_operation_kwargs(
            table.table_name,
            pk,
            sk,
            actions=actions,
            condition=condition,
            return_values="ALL_OLD",
            return_values_on_condition_failure="ALL_OLD",
        )
        client = table.connection.client
        call = client.update_item if operation == "UpdateItem" else client.delete_item
        try:
            answer = call(**kwargs)
        except ClientError as error:
            if error.response.get("Error", {}).get("Code") == CONDITION_FAILED:
                raw = error.response.get("Item")
                raise Refused(self.Entry.from_raw_data(raw) if raw else None) from None
            raise
        raw = answer.get("Attributes")
        return self.Entry.from_raw_data(raw) if raw else None

    def _live(self, at: int) -> Condition:
        """The entry there, if any, has not expired at ``at``."""
        live: Condition = self.Entry.exp.does_not_exist() | (self.Entry.exp > at)
        return live

    def _content(
        self,
        namespace_id: str,
        user_id: str,
        key: str,
        value: Any,
        size: int,
        *,
        metadata: dict[str, Any] | None,
        expires_at: int | None,
    ) -> Content:
        """The actions that store an item's value, metadata and expiry, replacing what
        was there. A number DynamoDB holds exactly goes to ``num``, its size derived
        (``fixedSize`` is the key's and metadata's bytes)."""
        entry_class = self.Entry
        actions: list[Action]
        if records.storable_number(value):
            fixed = size - value_size(value)
            value = records.stored_number(value)
            size = fixed + value_size(value)
            actions = [
                entry_class.num.set(number_text(value)),
                entry_class.fixed_size.set(fixed),
                entry_class.value.remove(),
                entry_class.size.remove(),
                entry_class.num_kind.set(records.FLOAT)
                if isinstance(value, float)
                else entry_class.num_kind.remove(),
            ]
        else:
            actions = [
                entry_class.value.set(encode_value(value)),
                entry_class.size.set(size),
                entry_class.num.remove(),
                entry_class.num_kind.remove(),
                entry_class.fixed_size.remove(),
            ]
        if metadata is None:
            actions.append(entry_class.meta.remove())
        else:
            actions.append(entry_class.meta.set(encode_value(metadata)))
        actions += self._expiry_actions(namespace_id, user_id, key, expires_at)
        return Content(actions, value, size)

    def _expiry_actions(
        self, namespace_id: str, user_id: str, key: str, expires_at: int | None
    ) -> list[Action]:
        """Set an item's expiry and its GSI2 entry, or remove both."""
        entry_class = self.Entry
        if expires_at is None:
            return [
                entry_class.exp.remove(),
                entry_class.gsi2pk.remove(),
                entry_class.gsi2sk.remove(),
            ]
        return [
            entry_class.exp.set(expires_at),
            entry_class.gsi2pk.set(keys.expiry_pk(keys.expiry_shard(namespace_id, key))),
            entry_class.gsi2sk.set(keys.expiry_sk(expires_at, user_id)),
        ]

    def _write_anew(
        self, pk: str, sk: str, content: Content, etag: str, now: str, expired: Entry
    ) -> Entry | None:
        """Write an item in place of an expired one, as new (version 1, created now),
        if it is still the one seen (else :class:`Refused`)."""
        entry_class = self.Entry
        return self._call(
            "UpdateItem",
            pk,
            sk,
            actions=[
                *content.actions,
                entry_class.etag.set(etag),
                entry_class.updated_at.set(now),
                entry_class.created_at.set(now),
                entry_class.version.set(1),
            ],
            condition=entry_class.etag == (expired.etag or ""),
        )

    # --- reads ---------------------------------------------------------------------

    def get_item(self, namespace_id: str, key: str, *, at: int | None = None) -> Item | None:
        entry = self._get(keys.namespace_pk(namespace_id), keys.item_sk(key))
        if entry is None or not records.live(entry, current_second() if at is None else at):
            return None
        return records.item(entry, namespace_id, key)

    # --- puts ----------------------------------------------------------------------

    def put_item(self, put: PutItem) -> Written:
        entry_class = self.Entry
        at = put.at
        live = self._live(at)
        if put.if_absent:
            condition = entry_class.pk.does_not_exist()
        elif put.if_match == ANY_ETAG:
            condition = entry_class.pk.exists() & live
        elif put.if_match is not None:
            condition = (entry_class.etag == put.if_match) & live
        else:
            condition = entry_class.pk.does_not_exist() | live
        pk, sk = keys.namespace_pk(put.namespace_id), keys.item_sk(put.key)
        content = self._content(
            put.namespace_id,
            put.user_id,
            put.key,
            put.value,
            put.size,
            metadata=put.metadata,
            expires_at=put.expires_at,
        )
        for _ in range(ATTEMPTS):
            try:
                old = self._call(
                    "UpdateItem",
                    pk,
                    sk,
                    actions=[
                        *content.actions,
                        entry_class.etag.set(put.etag),
                        entry_class.updated_at.set(put.now),
                        entry_class.created_at.set(entry_class.created_at | put.now),
                        entry_class.version.add(1),
                    ],
                    condition=condition,
                )
            except Refused as refused:
                current = refused.current
                if current is None or records.live(current, at) or put.if_match is not None:
                    raise refusals.precondition_failed(
                        if_absent=put.if_absent,
                        missing=put.if_match == ANY_ETAG or current is None,
                    ) from None
                try:  # expired: the put creates it anew
                    replaced = self._write_anew(pk, sk, content, put.etag, put.now, current)
                except Refused:
                    continue  # written meanwhile: judge it again
                return self._count_put(put, content, replaced, anew=True)
            return self._count_put(put, content, old, anew=False)
        raise StoreUnavailable("The item kept changing while it was written. Try again.")

    def _count_put(
        self, put: PutItem, content: Content, old: Entry | None, *, anew: bool
    ) -> Written:
        """Move the counters for a written item (``old``: what it replaced), undoing
        the write if they refuse or fail."""
        created = old is None or anew
        version = 1 if created or old is None else int(old.version or 0) + 1
        created_at = put.now if created or old is None else (old.created_at or put.now)
        item = Item(
            put.namespace_id,
            put.key,
            content.value,
            version,
            put.etag,
            content.size,
            created_at,
            put.now,
            expires_at=put.expires_at,
            metadata=put.metadata,
        )
        growth = content.size - (records.size_of(old) if old else 0)
        items = 1 if old is None else 0
        total = self._count_write(
            put.user_id,
            put.namespace_id,
            keys.namespace_pk(put.namespace_id),
            keys.item_sk(put.key),
            put.etag,
            old,
            items=items,
            growth=growth,
            storage_limit=put.storage_limit,
            requests=put.requests,
        )
        return Written(item, created=created, requests_total=total)

    def _count_write(
        self,
        user_id: str,
        namespace_id: str,
        pk: str,
        sk: str,
        etag: str,
        old: Entry | None,
        *,
        items: int,
        growth: int,
        storage_limit: int | None,
        requests: Any,
    ) -> int | None:
        """The counters call of a write whose item call landed (``etag``: what it wrote,
        ``old``: what it replaced); if it fails, the write is undone and the failure
        raised."""
        if not items and not growth:
            # Nothing to count and no quota to pass: one write. A namespace deletion
            # under way removes this item after us (or the delete that finishes it
            # does), or removed it before, and then there was no old item and the
            # counters refuse the write below.
            return None
        try:
            return self._move_counters(
                user_id,
                namespace_id,
                items=items,
                size=growth,
                storage_limit=storage_limit,
                requests=requests,
            )
        except Exception:
            if self._repair(lambda: self._undo_put(pk, sk, etag, old)):
                raise
            # Another write replaced ours before we could undo it: ours happened, and
            # the next one's counters assumed so.
            self._repair(
                lambda: self._move_counters(
                    user_id, namespace_id, items=items, size=growth, storage_limit=None
                )
            )
            return None

    def _repair(self, action: Callable[[], T]) -> T:
        """Run the undo (or the count) of a write that failed half-way, trying again
        while DynamoDB fails, for up to ``calls.undo_seconds``: a repair that does not
        land leaves the write in place uncounted until the reconciliation."""
        deadline = time.monotonic() + self.calls.undo_seconds
        wait = 0.05
        while True:
            try:
                return action()
            except Exception as error:
                if faults.translate(error) is None or time.monotonic() + wait > deadline:
                    raise
            time.sleep(wait)
            wait = min(2 * wait, 1.0)

    def _undo_put(self, pk: str, sk: str, etag: str, old: Entry | None) -> bool:
        """Put back what a refused write replaced, unless something replaced it since."""
        try:
            if old is None:
                self.Entry(pk, sk).delete(condition=self.Entry.etag == etag)
            else:
                old.save(condition=self.Entry.etag == etag)
        except (DeleteError, PutError) as error:
            if error.cause_response_code == CONDITION_FAILED:
                return False
            raise
        return True

    def _undo_delete(self, deleted: Entry) -> bool:
        """Put back what a delete removed, unless something was written there since."""
        try:
            deleted.save(condition=self.Entry.pk.does_not_exist())
        except PutError as error:
            if error.cause_response_code == CONDITION_FAILED:
                return False
            raise
        return True

    # --- increments ----------------------------------------------------------------

    def increment_item(self, increment: IncrementItem) -> Written:
        entry_class = self.Entry
        at = increment.at
        pk, sk = keys.namespace_pk(increment.namespace_id), keys.item_sk(increment.key)
        key_bytes = len(increment.key.encode("utf-8"))
        actions: list[Action] = [
            entry_class.num.add(increment.by),
            entry_class.version.add(1),
            entry_class.etag.set(increment.etag),
            entry_class.updated_at.set(increment.now),
            entry_class.created_at.set(entry_class.created_at | increment.now),
            entry_class.fixed_size.set(entry_class.fixed_size | key_bytes),
        ]
        if isinstance(increment.by, float):
            actions.append(entry_class.num_kind.set(records.FLOAT))
        if increment.expires_at is not None:
            actions += self._expiry_actions(
                increment.namespace_id, increment.user_id, increment.key, increment.expires_at
            )
        condition = entry_class.pk.does_not_exist() | (entry_class.num.exists() & self._live(at))
        for _ in range(ATTEMPTS):
            try:
                old = self._call("UpdateItem", pk, sk, actions=actions, condition=condition)
            except Refused as refused:
                current = refused.current
                if current is None:
                    continue
                if not records.live(current, at):
                    written = self._increment_anew(increment, current)
                    if written is not None:
                        return written
                    continue
                value = records.value_of(current)
                if current.num is None and records.storable_number(value):
                    self._number_to_num(pk, sk, current)
                    continue
                raise refusals.not_a_number(increment.key) from None
            except ClientError as error:
                if number_overflow(error):
                    raise numbers.out_of_range() from None
                raise
            return self._count_increment(increment, old)
        raise StoreUnavailable("The item kept changing while it was incremented. Try again.")

    def _count_increment(self, increment: IncrementItem, old: Entry | None) -> Written:
        pk, sk = keys.namespace_pk(increment.namespace_id), keys.item_sk(increment.key)
        try:
            value = increment_sum(old, increment.by)
        except Conflict:
            # DynamoDB holds more than the product allows (only a fake of it does):
            # put the item back.
            self._repair(lambda: self._undo_put(pk, sk, increment.etag, old))
            raise
        fixed = (
            int(old.fixed_size or 0)
            if old is not None and old.fixed_size is not None
            else len(increment.key.encode("utf-8"))
        )
        size = fixed + value_size(value)
        created = old is None
        item = Item(
            increment.namespace_id,
            increment.key,
            value,
            1 if old is None else int(old.version or 0) + 1,
            increment.etag,
            size,
            increment.now if old is None else (old.created_at or increment.now),
            increment.now,
            expires_at=increment.expires_at
            if increment.expires_at is not None or old is None
            else records.expiry_of(old),
            metadata=None if old is None else records.metadata_of(old),
        )
        total = self._count_write(
            increment.user_id,
            increment.namespace_id,
            pk,
            sk,
            increment.etag,
            old,
            items=1 if created else 0,
            growth=size - (records.size_of(old) if old else 0),
            storage_limit=increment.storage_limit,
            requests=increment.requests,
        )
        return Written(item, created=created, requests_total=total)

    def _increment_anew(self, increment: IncrementItem, expired: Entry) -> Written | None:
        """An increment of an expired item: it starts again from ``by``, a new item
        without metadata. ``None`` if the item changed meanwhile."""
        by = increment.by
        size = len(increment.key.encode("utf-8")) + value_size(by)
        put = PutItem(
            increment.user_id,
            increment.namespace_id,
            increment.key,
            by,
            size,
            increment.etag,
            increment.now,
            storage_limit=increment.storage_limit,
            requests=increment.requests,
            expires_at=increment.expires_at,
        )
        content = self._content(
            put.namespace_id,
            put.user_id,
            put.key,
            by,
            size,
            metadata=None,
            expires_at=put.expires_at,
        )
        pk, sk = keys.namespace_pk(put.namespace_id), keys.item_sk(put.key)
        try:
            replaced = self._write_anew(pk, sk, content, put.etag, put.now, expired)
        except Refused:
            return None
        return self._count_put(put, content, replaced, anew=True)

    def _number_to_num(self, pk: str, sk: str, current: Entry) -> None:
        """Move a number that an earlier version kept as JSON text into ``num``, the
        item otherwise unchanged (its version, etag and size stay), so that it can be
        incremented."""
        entry_class = self.Entry
        value = records.value_of(current)
        size = records.size_of(current)
        stored = records.stored_number(value)
        with contextlib.suppress(Refused):
            self._call(
                "UpdateItem",
                pk,
                sk,
                actions=[
                    entry_class.num.set(number_text(stored)),
                    entry_class.fixed_size.set(size - value_size(value)),
                    entry_class.num_kind.set(records.FLOAT)
                    if isinstance(stored, float)
                    else entry_class.num_kind.remove(),
                    entry_class.value.remove(),
                    entry_class.size.remove(),
                ],
                condition=(entry_class.etag == (current.etag or "")) & entry_class.value.exists(),
            )

    # --- deletes -------------------------------------------------------------------

    def delete_item(self, delete: DeleteItem) -> Written:
        entry_class = self.Entry
        at = current_second() if delete.at is None else delete.at
        condition = entry_class.pk.exists() & self._live(at)
        if delete.if_match not in (None, ANY_ETAG):
            condition = condition & (entry_class.etag == delete.if_match)
        try:
            removed = self._call(
                "DeleteItem",
                keys.namespace_pk(delete.namespace_id),
                keys.item_sk(delete.key),
                condition=condition,
            )
        except Refused as refused:
            current = refused.current
            if current is not None and records.live(current, at):
                raise refusals.precondition_failed(if_absent=False) from None
            raise refusals.item_not_found(delete.key) from None
        assert removed is not None  # the condition says it existed
        item = records.item(removed, delete.namespace_id, delete.key)
        total = None
        try:
            total = self._move_counters(
                delete.user_id,
                delete.namespace_id,
                items=-1,
                size=-item.size,
                storage_limit=None,
                requests=delete.requests,
            )
        except NotFound:
            pass  # the namespace was deleted meanwhile: its bytes are released already
        except Exception:
            if self._repair(lambda: self._undo_delete(removed)):
                raise
            # A write put a new item there before we could undo: ours happened, and
            # that write counted its item as new.
            with contextlib.suppress(NotFound):
                self._repair(
                    lambda: self._move_counters(
                        delete.user_id,
                        delete.namespace_id,
                        items=-1,
                        size=-item.size,
                        storage_limit=None,
                    )
                )
        return Written(item, requests_total=total)

    # --- lists ---------------------------------------------------------------------

    def list_keys(self, listing: ListKeys) -> KeyListing:
        """A Query over the page's key range, forward or backward, reading only keys
        and expiries (and, for details, all but the value), and going on while expired
        keys leave the page short."""
        found = self._live_keys(listing)
        page = []
        for entry in found:
            page.append(entry)
            if len(page) > listing.limit:
                break
        more = len(page) > listing.limit
        page = page[: listing.limit]
        names = [keys.parse_item_sk(entry.sk) for entry in page]
        details: list[KeyInfo] | None = None
        if listing.details:
            details = [records.key_info(e, k) for e, k in zip(page, names, strict=True)]
        return KeyListing(names, more, details)

    def _live_keys(self, listing: ListKeys) -> Iterator[Entry]:
        bounds = key_range(listing)
        if bounds is None:
            return
        low, high = bounds
        entry_class = self.Entry
        low_sk = keys.item_sk(low)
        condition = (
            entry_class.sk >= low_sk
            if high is None
            else entry_class.sk.between(low_sk, keys.item_sk(high))
        )
        skip = {keys.item_sk(high)} if high is not None else set()
        if listing.after is not None:
            skip.add(keys.item_sk(listing.after))
        found = entry_class.query(
            keys.namespace_pk(listing.namespace_id),
            condition,
            consistent_read=True,
            scan_index_forward=not listing.reverse,
            page_size=listing.limit + 1,
            attributes_to_get=DETAIL_ATTRIBUTES if listing.details else LIST_ATTRIBUTES,
        )
        for entry in found:
            if entry.sk in skip or not records.live(entry, listing.at):
                continue
            key = keys.parse_item_sk(entry.sk)
            if key.startswith(listing.prefix):
                yield entry


def key_range(listing: ListKeys) -> tuple[str, str | None] | None:
    """The keys a listing may hold, as ``[low, high)`` (``high`` ``None``: no end; the
    engine drops ``high`` itself and ``after`` from what it reads), or ``None`` when
    none can."""
    lows = [listing.prefix]
    highs: list[str] = []
    if listing.start is not None:
        lows.append(listing.start)
    if listing.end is not None:
        highs.append(listing.end)
    beyond = prefix_end(listing.prefix) if listing.prefix else None
    if beyond is not None:
        highs.append(beyond)
    if listing.after is not None:
        (highs if listing.reverse else lows).append(listing.after)
    low = max(lows, key=str.encode)
    high = min(highs, key=str.encode) if highs else None
    if high is not None and high.encode() <= low.encode():
        return None
    return low, high


def prefix_end(prefix: str) -> str | None:
    """The least key above every key that starts with ``prefix`` (UTF-8 order is code
    point order), or ``None`` when there is none."""
    chars = list(prefix)
    while chars:
        point = ord(chars.pop()) + 1
        if 0xD800 <= point <= 0xDFFF:
            point = 0xE000
        if point <= 0x10FFFF:
            return "".join(chars) + chr(point)
    return None
