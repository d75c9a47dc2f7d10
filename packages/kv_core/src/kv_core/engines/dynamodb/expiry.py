"""The expiry sweep on DynamoDB: expired items leave the table and their bytes the
counters, exactly once however many sweeps run at once.

An item with an expiry is also in the sparse GSI2, under ``EXP#<shard>`` (a few
partitions, chosen by a hash of the item, so that expiring writes spread) and sorted
by ``<expiry>#<user id>``. A sweep at second ``at`` queries each shard for the sort
keys below ``at + 1``: it reads only expired items, whatever else the table holds, and
no marker of where the last sweep stopped is needed (a removed item leaves the index,
so the next query starts at what is left). The index projects what a removal needs:
the etag, the expiry and what sizes the item.

Each expired item is removed by one ``TransactWriteItems``: its ``Delete``, conditioned
on the etag and expiry read (so a write since, or another sweep, makes it a no-op),
and the profile's counters moved by its size. Only one of racing sweeps' transactions
can succeed, so the bytes are released once, and no undo is needed.

The table's own TTL is left off for items (their expiry is ``exp``, not the TTL's
``expiresAt``): it deletes within days, without moving the counters, so whatever it
removed first would stay counted as drift until a recount.
"""

from __future__ import annotations

from pynamodb.exceptions import DeleteError, TransactWriteError
from pynamodb.expressions.condition import Condition

from kv_core.engines.dynamodb import keys, records
from kv_core.engines.dynamodb.bulk import (
    ATTEMPTS,
    CHECK_FAILED,
    CONFLICT,
    Bulk,
    backoff,
    reason_codes,
)
from kv_core.engines.dynamodb.table import Entry, failed_condition


class Sweeps(Bulk):
    def sweep_expired(self, at: int, *, limit: int = 1000) -> int:
        removed = 0
        for shard in range(keys.EXPIRY_SHARDS):
            if removed >= limit:
                break
            expired = self.Entry.gsi2.query(
                keys.expiry_pk(shard),
                self.Entry.gsi2sk < keys.expired_by(at),
                page_size=limit,
            )
            for entry in expired:
                removed += self._remove_expired(entry, at)
                if removed >= limit:
                    break
        return removed

    def _remove_expired(self, seen: Entry, at: int) -> int:
        """Remove one expired item as the index showed it, and release its bytes; 1 if
        this sweep removed it, 0 if it was written or removed since."""
        expiry = records.expiry_of(seen)
        if expiry is None or expiry > at or seen.gsi2sk is None:
            return 0
        _, user_id = keys.parse_expiry_sk(seen.gsi2sk)
        namespace_id = keys.parse_namespace_pk(seen.pk)
        size = records.size_of(seen)
        entry_class = self.Entry
        unchanged = (entry_class.etag == (seen.etag or "")) & (entry_class.exp <= at)
        for attempt in range(ATTEMPTS):
            actions, condition = self._counter_update(
                namespace_id, items=-1, size=-size, storage_limit=None
            )
            try:
                with self._transaction(idempotent=True) as transaction:
                    transaction.delete(entry_class(seen.pk, seen.sk), condition=unchanged)
                    transaction.update(
                        entry_class(*self._profile_key(user_id)),
                        actions=actions,
                        condition=condition,
                    )
            except TransactWriteError as error:
                codes = reason_codes(error)
                if codes and codes[0] == CHECK_FAILED:
                    return 0  # written again, or swept by another sweep
                if CONFLICT in codes:
                    backoff(attempt)
                    continue
                if codes and codes[-1] == CHECK_FAILED:
                    return self._remove_uncounted(seen, unchanged)
                raise
            return 1
        return 0  # contended: the next sweep takes it

    def _remove_uncounted(self, seen: Entry, unchanged: Condition) -> int:
        """An expired item of a namespace whose counters are gone (a namespace being
        deleted, whose bytes were released with it): removed without counting."""
        try:
            self.Entry(seen.pk, seen.sk).delete(condition=unchanged)
        except DeleteError as error:
            if failed_condition(error):
                return 0
            raise
        return 1
