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
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Callable
from typing import TypeVar

from pynamodb.exceptions import DeleteError, PutError, UpdateError
from pynamodb.expressions.condition import Condition

from kv_core.engines.dynamodb import faults, keys, records
from kv_core.engines.dynamodb.counters import ProfileCounters
from kv_core.engines.dynamodb.table import Entry, failed_condition
from kv_core.errors import NotFound
from kv_core.model import Item
from kv_core.sizing import encode_value
from kv_core.store import ANY_ETAG, DeleteItem, PutItem, Written, refusals

T = TypeVar("T")


class Items(ProfileCounters):
    def get_item(self, namespace_id: str, key: str) -> Item | None:
        entry = self._get(keys.namespace_pk(namespace_id), keys.item_sk(key))
        return records.item(entry, namespace_id, key) if entry else None

    def put_item(self, put: PutItem) -> Written:
        entry_class = self.Entry
        condition: Condition | None = None
        if put.if_absent:
            condition = entry_class.pk.does_not_exist()
        if put.if_match == ANY_ETAG:
            condition = entry_class.pk.exists()
        elif put.if_match is not None:
            condition = entry_class.etag == put.if_match
        pk, sk = keys.namespace_pk(put.namespace_id), keys.item_sk(put.key)
        try:
            written = self._raw().update_item(
                pk,
                sk,
                actions=[
                    entry_class.value.set(encode_value(put.value)),
                    entry_class.etag.set(put.etag),
                    entry_class.size.set(put.size),
                    entry_class.updated_at.set(put.now),
                    entry_class.created_at.set(entry_class.created_at | put.now),
                    entry_class.version.add(1),
                ],
                condition=condition,
                return_values="ALL_OLD",
            )
        except UpdateError as error:
            if failed_condition(error):
                raise refusals.precondition_failed(
                    if_absent=put.if_absent, missing=put.if_match == ANY_ETAG
                ) from None
            raise
        old = (
            entry_class.from_raw_data(written["Attributes"]) if written.get("Attributes") else None
        )
        growth = put.size - (int(old.size or 0) if old else 0)
        created = old is None
        version = int(old.version or 0) + 1 if old else 1
        created_at = (old.created_at if old else None) or put.now
        item = Item(
            put.namespace_id, put.key, put.value, version, put.etag, put.size, created_at, put.now
        )
        if not created and not growth:
            # Nothing to count and no quota to pass: one write. A namespace deletion
            # under way removes this item after us (or the delete that finishes it
            # does), or removed it before, and then there was no old item and the
            # counters refuse the write below.
            return Written(item, created=False)
        items = 1 if created else 0
        try:
            total = self._move_counters(
                put.user_id,
                put.namespace_id,
                items=items,
                size=growth,
                storage_limit=put.storage_limit,
                requests=put.requests,
            )
        except Exception:
            if self._repair(lambda: self._undo_put(pk, sk, put.etag, old)):
                raise
            # Another write replaced ours before we could undo it: ours happened, and
            # the next one's counters assumed so.
            self._repair(
                lambda: self._move_counters(
                    put.user_id, put.namespace_id, items=items, size=growth, storage_limit=None
                )
            )
            total = None
        return Written(item, created=created, requests_total=total)

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
            if failed_condition(error):
                return False
            raise
        return True

    def _undo_delete(self, deleted: Entry) -> bool:
        """Put back what a delete removed, unless something was written there since."""
        try:
            deleted.save(condition=self.Entry.pk.does_not_exist())
        except PutError as error:
            if failed_condition(error):
                return False
            raise
        return True

    def delete_item(self, delete: DeleteItem) -> Written:
        entry_class = self.Entry
        condition = entry_class.pk.exists()
        if delete.if_match not in (None, ANY_ETAG):
            condition = condition & (entry_class.etag == delete.if_match)
        try:
            deleted = self._raw().delete_item(
                keys.namespace_pk(delete.namespace_id),
                keys.item_sk(delete.key),
                condition=condition,
                return_values="ALL_OLD",
            )
        except DeleteError as error:
            if not failed_condition(error):
                raise
            if delete.if_match not in (None, ANY_ETAG) and self.get_item(
                delete.namespace_id, delete.key
            ):
                raise refusals.precondition_failed(if_absent=False) from None
            raise refusals.item_not_found(delete.key) from None
        removed = entry_class.from_raw_data(deleted["Attributes"])
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

    def list_keys(
        self, namespace_id: str, *, prefix: str = "", after: str | None = None, limit: int
    ) -> tuple[list[str], bool]:
        pk = keys.namespace_pk(namespace_id)
        start = None
        if after is not None and after >= prefix:
            start = {"PK": {"S": pk}, "SK": {"S": keys.item_sk(after)}}
        found = self.Entry.query(
            pk,
            self.Entry.sk.startswith(keys.item_sk(prefix)),
            consistent_read=True,
            limit=limit + 1,
            page_size=limit + 1,
            last_evaluated_key=start,
            attributes_to_get=["SK"],
        )
        names = [keys.parse_item_sk(entry.sk) for entry in found]
        return names[:limit], len(names) > limit
