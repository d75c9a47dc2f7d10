"""Counting and deleting the items under a key prefix on DynamoDB.

A count is a ``Query`` of the prefix's sort keys (``begins_with``) that answers only
how many live items it found (``Select=COUNT``, expired ones filtered out), paged by
DynamoDB's 1 MB per call.

A deletion queries one page of the prefix's items (what sizes and conditions them,
one more than the limit to tell whether more remain), then deletes them as a bulk
delete does (bulk.py): transactions of up to 99 items, each conditioned on the etag
read, with the profile's counters moved by exactly their sizes. An item another
deleter removed first fails its condition and is read again, so its bytes are
released once. Expired items on the page go too (their bytes still count until
then), removed as the sweep removes them (expiry.py: one transaction each,
conditioned on their still being expired), and only live ones count as deleted.
"""

from __future__ import annotations

from pynamodb.expressions.condition import Condition

from kv_core.engines.dynamodb import keys, records
from kv_core.engines.dynamodb.bulk import PART_ITEMS, SIZING_ATTRIBUTES
from kv_core.engines.dynamodb.expiry import Sweeps
from kv_core.engines.dynamodb.table import Entry
from kv_core.store import DeleteItems, DeletePrefix, PrefixDeleted


class Prefixes(Sweeps):
    def _under(self, namespace_id: str, prefix: str) -> tuple[str, Condition]:
        under: Condition = self.Entry.sk.startswith(keys.item_sk(prefix))
        return keys.namespace_pk(namespace_id), under

    def count_keys(self, namespace_id: str, *, prefix: str, at: int) -> int:
        pk, under = self._under(namespace_id, prefix)
        live = self.Entry.exp.does_not_exist() | (self.Entry.exp > at)
        return int(self.Entry.count(pk, under, filter_condition=live, consistent_read=True))

    def _page(self, namespace_id: str, prefix: str, limit: int) -> list[Entry]:
        pk, under = self._under(namespace_id, prefix)
        found = self.Entry.query(
            pk,
            under,
            consistent_read=True,
            limit=limit,
            page_size=limit,
            attributes_to_get=[*SIZING_ATTRIBUTES, "GSI2SK"],
        )
        return list(found)

    def delete_prefix(self, delete: DeletePrefix) -> PrefixDeleted:
        found = self._page(delete.namespace_id, delete.prefix, delete.limit + 1)
        page = found[: delete.limit]
        live = [entry for entry in page if records.live(entry, delete.at)]
        expired = [entry for entry in page if not records.live(entry, delete.at)]
        request = DeleteItems(delete.user_id, delete.namespace_id, (), delete.now)
        count = sum(self._delete_part(request, part) for part in parts(live))
        # An expired item goes as the sweep removes it, only if it is still expired.
        removed = count + sum(self._remove_expired(entry, delete.at) for entry in expired)
        more = len(found) > delete.limit
        if not more and removed < len(page):
            # Some items changed while they were deleted: some may still be there.
            more = bool(self._page(delete.namespace_id, delete.prefix, 1))
        return PrefixDeleted(count, more)


def parts(entries: list[Entry]) -> list[list[Entry]]:
    return [entries[start : start + PART_ITEMS] for start in range(0, len(entries), PART_ITEMS)]
