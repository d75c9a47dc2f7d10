"""``kv export`` and ``kv import``: a namespace as JSON lines, one item a line:
``{"key", "value"}``, with ``"expiresAt"`` (unix seconds) and ``"metadata"`` when the
item has them. The first export format, ``{"key", "value"}`` only, is the same with
neither, so old exports import as they always did.

Export lists a page of 1000 keys at a time and reads it with bulk gets of 100 keys;
import stores the items with bulk puts of up to 1000 items (and 10 MiB) each.

Import is idempotent: every item is a plain put, so running it again, whole or in
part, converges on the same contents and never duplicates an item (a key is unique;
when a file holds a key twice, its last line wins). Items whose ``expiresAt`` has
passed are left out: they are gone. It is resumable: with a checkpoint file, the
count of items already stored is saved after each bulk put, and a re-run with the
same input skips them; the checkpoint names the input by a digest, so it is never
applied to another file, and it is removed once the import completes.
"""

from __future__ import annotations

import hashlib
import json
import os
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

from tqdm import tqdm

from kv_sdk import calls
from kv_sdk.cli.mistakes import UsageError
from kv_sdk.client import MAX_PAGE_SIZE, KVClient
from kv_sdk.errors import KVError
from kv_sdk.models import BulkItem, Item

# Items of one bulk put of an import (fewer when they pass the body's 10 MiB).
BATCH_ITEMS = calls.MAX_BULK_PUT


@dataclass(frozen=True, slots=True)
class ImportItem:
    """One line of an import: where it came from, and what to store."""

    line: int
    key: str
    value: Any
    expires_at: int | None = None
    metadata: dict[str, Any] | None = None

    def bulk_item(self) -> BulkItem:
        """The item as ``put_many`` stores it."""
        return BulkItem(self.key, self.value, expires_at=self.expires_at, metadata=self.metadata)


@dataclass(frozen=True, slots=True)
class ImportReport:
    """How many items this run stored, and how many a checkpoint said were done."""

    written: int
    skipped: int


def progress_bar(stream: IO[str], total: int | None, initial: int, label: str) -> tqdm[Any]:
    """A progress bar on ``stream`` when it is a terminal; silent otherwise."""
    return tqdm(
        total=total,
        initial=initial,
        desc=label,
        unit=" items",
        file=stream,
        disable=not stream.isatty(),
        leave=False,
    )


def export_items(
    kv: KVClient,
    namespace: str,
    out: IO[str],
    *,
    prefix: str | None = None,
    progress: IO[str],
) -> int:
    """Write every item of ``namespace`` to ``out`` in key order; returns the count."""
    count = 0
    with progress_bar(progress, None, 0, f"export {namespace}") as bar:
        for items in exported(kv, namespace, prefix):
            for item in items:
                out.write(json.dumps(export_record(item), ensure_ascii=False))
                out.write("\n")
            count += len(items)
            bar.update(len(items))
    out.flush()
    return count


def exported(kv: KVClient, namespace: str, prefix: str | None) -> Iterator[list[Item]]:
    """The items of ``namespace`` in key order, a page of keys at a time: one list
    request per `MAX_PAGE_SIZE` keys, one bulk get per 100 of them."""
    cursor: str | None = None
    while True:
        page = kv.list(namespace, prefix=prefix, limit=MAX_PAGE_SIZE, cursor=cursor)
        yield kv.get_many(namespace, page.keys).items
        if not page.cursor:
            return
        cursor = page.cursor


def export_record(item: Item) -> dict[str, Any]:
    """One line of an export: ``key`` and ``value``, and ``expiresAt`` and ``metadata``
    when the item has them."""
    record: dict[str, Any] = {"key": item.key, "value": item.value}
    if item.expires_at is not None:
        record["expiresAt"] = item.expires_at
    if item.metadata is not None:
        record["metadata"] = item.metadata
    return record


def read_import(lines: Iterable[str], origin: str) -> list[ImportItem]:
    """Parse every line before anything is stored, so bad input stores nothing."""
    items: list[ImportItem] = []
    for number, text in enumerate(lines, start=1):
        if not text.strip():
            continue
        try:
            record = json.loads(text)
        except ValueError as error:
            raise UsageError(f"{origin}, line {number}: not JSON ({error})") from None
        if not isinstance(record, dict) or "value" not in record:
            raise UsageError(f'{origin}, line {number}: expected {{"key": ..., "value": ...}}')
        key = record.get("key")
        if not isinstance(key, str) or not key:
            raise UsageError(f"{origin}, line {number}: 'key' must be a non-empty string")
        expires_at = record.get("expiresAt")
        if expires_at is not None and (
            isinstance(expires_at, bool) or not isinstance(expires_at, int)
        ):
            raise UsageError(f"{origin}, line {number}: 'expiresAt' must be unix seconds")
        metadata = record.get("metadata")
        if metadata is not None and not isinstance(metadata, dict):
            raise UsageError(f"{origin}, line {number}: 'metadata' must be a JSON object")
        items.append(ImportItem(number, key, record["value"], expires_at, metadata))
    return items


def to_store(items: list[ImportItem], now: float) -> list[ImportItem]:
    """What an import stores: the last line of each key, in the order of those lines,
    leaving out items expired at unix time ``now``."""
    last = {item.key: item for item in items}
    return [
        item
        for item in items
        if last[item.key] is item and (item.expires_at is None or item.expires_at > now)
    ]


def digest(items: Iterable[ImportItem]) -> str:
    """A fingerprint of an import's contents, to tie a checkpoint to its input."""
    hashing = hashlib.sha256()
    for item in items:
        fields: list[Any] = [item.key, item.value]
        if item.expires_at is not None or item.metadata is not None:
            fields += [item.expires_at, item.metadata]
        hashing.update(json.dumps(fields, sort_keys=True).encode())
        hashing.update(b"\n")
    return hashing.hexdigest()


class Checkpoint:
    """The number of items of one input already stored, kept in a small JSON file."""

    def __init__(self, path: str | None, fingerprint: str) -> None:
        self.path = Path(path) if path else None
        self.fingerprint = fingerprint

    def load(self) -> int:
        """Items done by an earlier run of this input; 0 when there is none."""
        if self.path is None or not self.path.exists():
            return 0
        try:
            saved = json.loads(self.path.read_text())
            done, fingerprint = int(saved["done"]), saved["input"]
        except (OSError, ValueError, KeyError, TypeError):
            raise UsageError(f"{self.path} is not a checkpoint of kv import.") from None
        if fingerprint != self.fingerprint:
            raise UsageError(
                f"{self.path} is the checkpoint of another input; remove it to start over."
            )
        return done

    def save(self, done: int) -> None:
        """Record progress atomically: a crash leaves the old or the new count."""
        if self.path is None:
            return
        partial = self.path.with_name(self.path.name + ".tmp")
        partial.write_text(json.dumps({"input": self.fingerprint, "done": done}))
        os.replace(partial, self.path)

    def finish(self) -> None:
        """The import completed: nothing is left to resume."""
        if self.path is not None:
            self.path.unlink(missing_ok=True)


def import_items(
    kv: KVClient,
    namespace: str,
    items: list[ImportItem],
    *,
    checkpoint: str | None,
    progress: IO[str],
) -> ImportReport:
    """Store ``items`` in order with bulk puts, resuming after what ``checkpoint``
    records.

    On a failure the checkpoint keeps the progress and the error is raised again with
    what was done and how to resume.
    """
    state = Checkpoint(checkpoint, digest(items))
    done = skipped = min(state.load(), len(items))
    pending = to_store(items[done:], time.time())
    with progress_bar(progress, len(items), done, f"import {namespace}") as bar:
        start = 0
        bulk = [item.bulk_item() for item in pending]
        counts = [count for count, _ in calls.put_batches(bulk, max_items=BATCH_ITEMS)]
        try:
            for count in counts:
                kv.put_many(namespace, bulk[start : start + count])
                start += count
                # Saved as a position in the input, so lines left out count as done.
                done = position(items, pending, start)
                state.save(done)
                bar.update(count)
        except (KVError, KeyboardInterrupt) as error:
            state.save(done)
            raise explained(error, pending, start, done, len(items), checkpoint) from error
    state.finish()
    return ImportReport(written=len(pending), skipped=skipped)


def position(items: list[ImportItem], pending: list[ImportItem], stored: int) -> int:
    """How many lines of ``items`` are done once the first ``stored`` of ``pending``
    (the items left to store, in order) are."""
    if stored >= len(pending):
        return len(items)
    return items.index(pending[stored])


def explained(
    error: KVError | KeyboardInterrupt,
    pending: list[ImportItem],
    start: int,
    done: int,
    total: int,
    checkpoint: str | None,
) -> KVError | KeyboardInterrupt:
    """``error`` with the line it is about (when the server named an entry), what was
    done and how to resume."""
    resume = (
        "run the same command again to resume"
        if checkpoint
        else "running it again is safe (add --checkpoint PATH to resume instead)"
    )
    where = ""
    index = getattr(error, "index", None)
    if isinstance(index, int) and 0 <= start + index < len(pending):
        item = pending[start + index]
        where = f"line {item.line} (key {item.key!r}): "
    message = f"{where}{error}. {done} of {total} items are stored; {resume}."
    if isinstance(error, KeyboardInterrupt):
        return KeyboardInterrupt(message)
    error.message = message
    error.args = (message,)
    return error
