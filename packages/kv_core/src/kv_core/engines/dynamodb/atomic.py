"""Atomic operations on DynamoDB: one read, then one transaction.

The read is one ``BatchGetItem`` of every key the operation names (consistent; whole
items when it increments, for the value and metadata it adds to, else only what sizes
and conditions them). The checks are judged
on it, increments computed from it exactly (numbers.py), and then one
``TransactWriteItems`` writes it all: each written key's put or delete, and each key
only checked (or deleted while absent) a ``ConditionCheck``, all conditioned on the
item being as read (its etag, version and update time, or its absence), with the
profile's counters moved by the operation's exact growth and conditioned on the
storage limit in the same transaction (counters.py). So the operation applies whole
or not at all, and no undo is ever needed: two calls without contention.

When the transaction is cancelled, its reasons say which items changed since the
read: a checked one no longer holds its check (``CheckFailed``, naming those keys);
if only keys the operation did not check changed (a blind put, an increment), it is
read and tried again. A refusal of the counters' update is the quota, or the
namespace deleted meanwhile (one read tells which).
"""

from __future__ import annotations

from dataclasses import dataclass

from pynamodb.exceptions import TransactWriteError
from pynamodb.expressions.condition import Condition

from kv_core import numbers
from kv_core.engines.dynamodb import keys, records
from kv_core.engines.dynamodb.bulk import (
    CHECK_FAILED,
    CONFLICT,
    SIZING_ATTRIBUTES,
    Bulk,
    backoff,
    reason_codes,
)
from kv_core.engines.dynamodb.table import Entry
from kv_core.errors import StoreUnavailable
from kv_core.sizing import metadata_size, stored_size, value_size
from kv_core.store import (
    AtomicDelete,
    AtomicIncrement,
    AtomicOp,
    AtomicPut,
    AtomicWrite,
    AtomicWritten,
    PutEntry,
    PutItems,
    refusals,
)

ATTEMPTS = 5  # of an operation whose unchecked items keep changing, or that conflicts


@dataclass(frozen=True, slots=True)
class Step:
    """What the transaction does for one key: ``entry`` to save, or ``delete`` the item
    as read, or (neither) only check that it is still as read (``old``)."""

    key: str
    old: Entry | None
    entry: Entry | None = None
    delete: bool = False
    growth: int = 0
    items: int = 0


class Atomic(Bulk):
    def apply_atomic(self, write: AtomicWrite) -> AtomicWritten:
        checked = {check.key for check in write.checks}
        for attempt in range(ATTEMPTS):
            steps = in_transaction_order(self._steps(write))
            try:
                self._commit(write, steps)
            except TransactWriteError as error:
                codes = reason_codes(error)
                if not codes:
                    raise
                changed = [
                    s.key for s, code in zip(steps, codes, strict=False) if code == CHECK_FAILED
                ]
                if changed:
                    failed = [key for key in changed if key in checked]
                    if failed:
                        raise refusals.check_failed(failed) from None
                    continue  # only unchecked items changed: read them again
                if CONFLICT in codes:
                    backoff(attempt)
                    continue
                if len(codes) > len(steps) and codes[len(steps)] == CHECK_FAILED:
                    if not self._namespace_counted(write.user_id, write.namespace_id):
                        raise refusals.namespace_gone() from None
                    raise refusals.storage_exceeded() from None
                raise
            return AtomicWritten([(op.key, written_version(steps, op)) for op in write.ops])
        raise StoreUnavailable("The items kept changing while they were written. Try again.")

    def _steps(self, write: AtomicWrite) -> list[Step]:
        """Read every key named, judge the checks, and plan each key's part of the
        transaction (checks first refused, then increments of what is not a number)."""
        names = list(dict.fromkeys([c.key for c in write.checks] + [op.key for op in write.ops]))
        pk = keys.namespace_pk(write.namespace_id)
        # Whole items only for increments (their value and metadata); else what sizes
        # and conditions them.
        increments = any(isinstance(op, AtomicIncrement) for op in write.ops)
        attributes = None if increments else [*SIZING_ATTRIBUTES, "updatedAt"]
        olds = {
            keys.parse_item_sk(entry.sk): entry
            for entry in self._batch_get([(pk, keys.item_sk(name)) for name in names], attributes)
        }
        at = write.at
        live = {key: old for key, old in olds.items() if records.live(old, at)}
        failed = [
            check.key
            for check in write.checks
            if (int(live[check.key].version or 0) if check.key in live else None) != check.version
        ]
        if failed:
            raise refusals.check_failed(failed)
        ops = {op.key: op for op in write.ops}
        return [
            self._step(write, name, ops.get(name), olds.get(name), live.get(name)) for name in names
        ]

    def _step(
        self,
        write: AtomicWrite,
        key: str,
        op: AtomicOp | None,
        old: Entry | None,
        current: Entry | None,
    ) -> Step:
        if op is None:
            return Step(key, old)
        if isinstance(op, AtomicDelete):
            if current is None:  # absent or expired: nothing to delete (the sweep's)
                return Step(key, old)
            return Step(key, old, delete=True, growth=-records.size_of(current), items=-1)
        if isinstance(op, AtomicPut):
            entry = PutEntry(op.key, op.value, op.size, op.etag, op.expires_at, op.metadata)
        else:
            value = records.value_of(current) if current is not None else 0
            if not numbers.is_number(value):
                raise refusals.not_a_number(key)
            metadata = None if current is None else records.metadata_of(current)
            expires_at = op.expires_at
            if expires_at is None and current is not None:
                expires_at = records.expiry_of(current)
            total = numbers.add(value, op.by)
            size = stored_size(key, value_size(total), metadata_size(metadata))
            entry = PutEntry(key, total, size, op.etag, expires_at, metadata)
        planned = self._new_entry(
            PutItems(write.user_id, write.namespace_id, (), write.now), entry, old
        )
        return Step(key, old, planned.entry, growth=planned.growth, items=int(planned.fresh))

    def _as_read(self, old: Entry | None) -> Condition:
        """The item is still as the operation read it (or still absent)."""
        entry_class = self.Entry
        if old is None:
            absent: Condition = entry_class.pk.does_not_exist()
            return absent
        unchanged: Condition = (
            (entry_class.etag == (old.etag or ""))
            & (entry_class.version == int(old.version or 0))
            & (entry_class.updated_at == (old.updated_at or ""))
        )
        return unchanged

    def _commit(self, write: AtomicWrite, steps: list[Step]) -> None:
        """The one transaction: the steps (in :func:`in_transaction_order`), then the
        counters (if anything is written)."""
        entry_class = self.Entry
        pk = keys.namespace_pk(write.namespace_id)
        if not steps:
            return
        writes = any(s.entry is not None or s.delete for s in steps)
        with self._transaction(idempotent=True) as transaction:
            for step in steps:
                condition = self._as_read(step.old)
                if step.entry is not None:
                    transaction.save(step.entry, condition=condition)
                elif step.delete:
                    transaction.delete(entry_class(pk, keys.item_sk(step.key)), condition=condition)
                else:
                    transaction.condition_check(
                        entry_class, pk, keys.item_sk(step.key), condition=condition
                    )
            if writes:
                actions, counted = self._counter_update(
                    write.namespace_id,
                    items=sum(s.items for s in steps),
                    size=sum(s.growth for s in steps),
                    storage_limit=write.storage_limit,
                )
                transaction.update(
                    entry_class(*self._profile_key(write.user_id)),
                    actions=actions,
                    condition=counted,
                )


def written_version(steps: list[Step], op: AtomicOp) -> int | None:
    """The version an op left: its saved entry's (``None`` for a delete)."""
    for step in steps:
        if step.key == op.key:
            return None if step.entry is None else int(step.entry.version or 0)
    return None


def in_transaction_order(steps: list[Step]) -> list[Step]:
    """The steps as pynamodb sends them, and DynamoDB answers their cancellation
    reasons: condition checks, then deletes, then puts (the counters' update last)."""
    return sorted(steps, key=lambda s: 2 if s.entry is not None else 1 if s.delete else 0)
