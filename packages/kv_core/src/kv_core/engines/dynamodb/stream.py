"""The stream processor: the table's stream records become each namespace's change
feed, every change exactly once and in one order per namespace.

A record of an item (``NAMESPACE#<id>``/``KEY#<key>``; every other record, of counters,
users, the feed itself..., is skipped) gives its changes: ``INSERT`` and ``MODIFY`` a
``put``, first preceded by an ``expire`` of the old image if it had expired by the
record's time (a write over an expired item that no sweep had removed yet); ``REMOVE``
an ``expire`` if the old image had expired by the record's time (the sweep) or else a
``delete``. Deletes and expiries carry the old image's version, update time and expiry
(table.py: the stream has both images for this).

Each record's changes are logged by ONE ``TransactWriteItems`` after a consistent read
of the namespace's feed counter ``n``: the changes as ``FEED#<id>``/``n+1``... (each on
condition that it does not exist), the counter set to the last of them (on condition
that it is still ``n``) and a marker ``STREAMREC#<eventID>`` of the record (on
condition that it does not exist). So a change is logged once however often its
record is processed (a batch run again after a crash, two readers of one shard), a
counter race is retried with the counter read again, and since the counter moves
only with a committed change, a reader that saw seq ``n`` never later finds a change
below it. Records of one item come in commit order within their shard, and the
reader takes a shard's records in order (shards.py), so each key's changes are
logged in commit order.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from pynamodb.exceptions import TransactWriteError

from kv_core.engines.dynamodb import keys, records
from kv_core.engines.dynamodb.bulk import CHECK_FAILED, CONFLICT, backoff, reason_codes
from kv_core.engines.dynamodb.table import Entry, Table
from kv_core.errors import StoreUnavailable
from kv_core.limits import LIMITS
from kv_core.model import isoformat, utcnow
from kv_core.sizing import encode_value
from kv_core.store.requests import ChangeOp

COUNTER_ATTEMPTS = 20  # of one record's transaction while other processors log beside it


@dataclass(frozen=True, slots=True)
class Pending:
    """A change of one stream record, still to be given its seq."""

    key: str
    op: ChangeOp
    version: int
    updated_at: str
    expires_at: int | None
    value: str | None = None  # compact JSON, when carried


@dataclass(frozen=True, slots=True)
class RecordChanges:
    """What one record of an item changed: the namespace, and its changes in order."""

    event_id: str
    namespace_id: str
    changes: list[Pending]


def record_time(record: Mapping[str, Any]) -> int:
    """The record's time in unix seconds (``ApproximateCreationDateTime``: a number in a
    Lambda event, a datetime from the streams API), or now if it has none."""
    when = record.get("dynamodb", {}).get("ApproximateCreationDateTime")
    if isinstance(when, datetime):
        return int(when.timestamp())
    if isinstance(when, int | float | str):
        return int(float(when))
    return int(utcnow().timestamp())


def _image(entry_class: type[Entry], record: Mapping[str, Any], name: str) -> Entry | None:
    """The record's image of an item, or ``None``; an image without a version is no
    written item's (a local stand-in of DynamoDB records an update that creates an
    item as a bare key first)."""
    image = record.get("dynamodb", {}).get(name)
    return entry_class.from_raw_data(image) if image and "version" in image else None


def _change(entry: Entry, key: str, op: ChangeOp, *, carry: bool = False) -> Pending:
    value = None
    if carry:
        text = encode_value(records.value_of(entry))
        if len(text.encode("utf-8")) <= LIMITS.change_value_max_bytes:
            value = text
    return Pending(
        key=key,
        op=op,
        version=int(entry.version or 0),
        updated_at=entry.updated_at or "",
        expires_at=records.expiry_of(entry),
        value=value,
    )


def record_changes(entry_class: type[Entry], record: Mapping[str, Any]) -> RecordChanges | None:
    """The changes of one stream record, or ``None`` if it is not of an item."""
    stream_keys = record.get("dynamodb", {}).get("Keys", {})
    pk = stream_keys.get("PK", {}).get("S", "")
    sk = stream_keys.get("SK", {}).get("S", "")
    try:
        namespace_id = keys.parse_namespace_pk(pk)
        key = keys.parse_item_sk(sk)
    except ValueError:
        return None
    at = record_time(record)
    old = _image(entry_class, record, "OldImage")
    new = _image(entry_class, record, "NewImage")
    changes: list[Pending] = []
    old_expired = old is not None and not records.live(old, at)
    if old is not None and old_expired:
        changes.append(_change(old, key, "expire"))
    if record.get("eventName") in ("INSERT", "MODIFY") and new is not None:
        changes.append(_change(new, key, "put", carry=True))
    elif record.get("eventName") == "REMOVE" and old is not None and not old_expired:
        changes.append(_change(old, key, "delete"))
    if not changes:
        return None
    return RecordChanges(str(record["eventID"]), namespace_id, changes)


class StreamProcessor(Table):
    def process_stream_records(self, batch: Iterable[Mapping[str, Any]]) -> int:
        """Log the changes of each record of ``batch``, in order; how many were logged
        now (those of records processed before are not logged again)."""
        return sum(self.process_stream_record(record) for record in batch)

    def process_stream_record(self, record: Mapping[str, Any]) -> int:
        """Log one record's changes, once; how many were logged now."""
        found = record_changes(self.Entry, record)
        if found is None:
            return 0
        for attempt in range(COUNTER_ATTEMPTS):
            counter = self._get(keys.feed_counter_pk(found.namespace_id), keys.METADATA)
            if counter is not None and counter.closed_at is not None:
                return 0  # the namespace was deleted: its feed is closed
            last = int(counter.seq) if counter is not None and counter.seq is not None else 0
            try:
                self._log_changes(found, last)
            except TransactWriteError as error:
                codes = reason_codes(error)
                if codes and codes[0] == CHECK_FAILED:
                    return 0  # the record's marker: logged before
                if CHECK_FAILED in codes or CONFLICT in codes:
                    backoff(attempt)
                    continue  # the counter moved: read it again
                raise
            return len(found.changes)
        raise StoreUnavailable("The change feed's counter stayed contended.")

    def _log_changes(self, found: RecordChanges, last: int) -> None:
        entry_class = self.Entry
        at = isoformat(utcnow())
        indexed = keys.logged_pk(keys.logged_shard(found.namespace_id))
        absent = entry_class.pk.does_not_exist()
        with self._transaction(idempotent=True) as transaction:
            # The marker first: the transaction sends puts before updates, in the
            # order saved, so a refusal's first reason is the marker's.
            transaction.save(
                entry_class(
                    keys.stream_record_pk(found.event_id),
                    keys.METADATA,
                    namespace_id=found.namespace_id,
                    at=at,
                    gsi2pk=indexed,
                    gsi2sk=at,
                ),
                condition=absent,
            )
            for offset, change in enumerate(found.changes, start=1):
                transaction.save(
                    entry_class(
                        keys.feed_pk(found.namespace_id),
                        keys.feed_sk(last + offset),
                        item_key=change.key,
                        op=change.op,
                        version=change.version,
                        updated_at=change.updated_at,
                        exp=change.expires_at,
                        value=change.value,
                        at=at,
                        gsi2pk=indexed,
                        gsi2sk=at,
                    ),
                    condition=absent,
                )
            seq = entry_class.seq
            transaction.update(
                entry_class(keys.feed_counter_pk(found.namespace_id), keys.METADATA),
                actions=[seq.set(last + len(found.changes))],
                condition=entry_class.closed_at.does_not_exist()
                & ((seq == last) if last else seq.does_not_exist()),
            )
