"""Recounting a namespace on DynamoDB, for the writes whose two calls did not both
land (items.py): a process that died between them, an undo that failed, an answer
lost after DynamoDB applied the call. Expired items not yet swept still count, as
they do in the counters, until the sweep removes them (expiry.py).

The counters and the items cannot be read at one moment, and a write under way (its
item written, its counters not yet) looks just like a drift. So a recount reads the
counters, counts the items with consistent reads and, when they differ, waits
``settle_seconds`` (longer than a live write can take between its calls: the Lambda
timeout, or the calls' worst case on a server) and looks again. Only if neither the
counters nor the count moved meanwhile is the difference a drift; it is applied on
the condition that the counters are still what was read, so a write that lands in
between makes the recount look again rather than be overwritten; a write that lands
after adds its own difference to corrected counters.
"""

from __future__ import annotations

import time

from pynamodb.exceptions import UpdateError

from kv_core.engines.dynamodb import keys, records
from kv_core.engines.dynamodb.counters import ProfileCounters
from kv_core.engines.dynamodb.records import counter
from kv_core.engines.dynamodb.table import failed_condition
from kv_core.store import Recount

ATTEMPTS = 3


class Recounts(ProfileCounters):
    def recount_namespace(
        self, user_id: str, namespace_id: str, *, settle_seconds: float = 0.0
    ) -> Recount | None:
        seen: Recount | None = None
        for _ in range(ATTEMPTS):
            before = self._counters_of(user_id, namespace_id)
            if before is None:
                return None
            seen = self._compare(namespace_id, before)
            if not seen.drifted:
                return seen
            time.sleep(settle_seconds)
            if self._counters_of(user_id, namespace_id) != before:
                continue
            if self._compare(namespace_id, before) != seen:
                continue
            if self._correct(user_id, namespace_id, before, seen):
                return Recount(
                    namespace_id,
                    seen.items,
                    seen.bytes,
                    seen.items_drift,
                    seen.bytes_drift,
                    corrected=True,
                )
        assert seen is not None
        return Recount(
            namespace_id, seen.items, seen.bytes, seen.items_drift, seen.bytes_drift, settled=False
        )

    def _counters_of(self, user_id: str, namespace_id: str) -> tuple[int, int] | None:
        """The namespace's item count and bytes on the profile, ``None`` if it has none."""
        profile = self._get(*self._profile_key(user_id))
        if profile is None or profile.ns_items is None:
            return None
        if namespace_id not in profile.ns_items.as_dict():
            return None
        return counter(profile.ns_items, namespace_id), counter(profile.ns_bytes, namespace_id)

    def _compare(self, namespace_id: str, counters: tuple[int, int]) -> Recount:
        items = size = 0
        for entry in self.Entry.query(
            keys.namespace_pk(namespace_id),
            self.Entry.sk.startswith(keys.item_sk("")),
            consistent_read=True,
            attributes_to_get=["PK", "SK", "size", "fixedSize", "num", "numKind"],
        ):
            items += 1
            size += records.size_of(entry)  # as the writes count it (metadata included)
        return Recount(namespace_id, items, size, counters[0] - items, counters[1] - size)

    def _correct(
        self, user_id: str, namespace_id: str, before: tuple[int, int], seen: Recount
    ) -> bool:
        """Set the counters to the count if they are still ``before``."""
        entry_class = self.Entry
        ns_items = entry_class.ns_items[namespace_id]
        ns_bytes = entry_class.ns_bytes[namespace_id]
        try:
            self._update_profile(
                user_id,
                [
                    ns_items.set(seen.items),
                    ns_bytes.set(seen.bytes),
                    entry_class.storage_bytes.add(-seen.bytes_drift),
                ],
                (ns_items == before[0]) & (ns_bytes == before[1]),
            )
        except UpdateError as error:
            if failed_condition(error):
                return False
            raise
        return True
