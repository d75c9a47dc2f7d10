"""``kv export`` and ``kv import``: a namespace as JSON lines, ``{"key", "value"}`` a line.

Import is idempotent: every line is a plain PUT, so running it again, whole or in
part, converges on the same contents and never duplicates an item (a key is unique).
It is resumable: with a checkpoint file, the count of lines already stored is saved
after each one, and a re-run with the same input skips them; the checkpoint names
the input by a digest, so it is never applied to another file, and it is removed
once the import completes.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

from tqdm import tqdm

from kv_sdk.cli.mistakes import UsageError
from kv_sdk.client import MAX_PAGE_SIZE, KVClient
from kv_sdk.errors import KVError


@dataclass(frozen=True, slots=True)
class ImportItem:
    """One line of an import: where it came from, and what to store."""

    line: int
    key: str
    value: Any


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
        for item in kv.iter_items(namespace, prefix, page_size=MAX_PAGE_SIZE):
            out.write(json.dumps({"key": item.key, "value": item.value}, ensure_ascii=False))
            out.write("\n")
            count += 1
            bar.update()
    out.flush()
    return count


def read_import(lines: Iterable[str], origin: str) -> list[ImportItem]:
    """Parse every line before anything is stored, so bad input stores nothing."""
    items = []
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
        items.append(ImportItem(number, key, record["value"]))
    return items


def digest(items: Iterable[ImportItem]) -> str:
    """A fingerprint of an import's contents, to tie a checkpoint to its input."""
    hashing = hashlib.sha256()
    for item in items:
        hashing.update(json.dumps([item.key, item.value], sort_keys=True).encode())
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
    """Store ``items`` in order, resuming after what ``checkpoint`` records.

    On a failure the checkpoint keeps the progress and the error is raised again with
    what was done and how to resume.
    """
    state = Checkpoint(checkpoint, digest(items))
    done = skipped = min(state.load(), len(items))
    with progress_bar(progress, len(items), done, f"import {namespace}") as bar:
        for item in items[done:]:
            try:
                kv.put(namespace, item.key, item.value)
            except (KVError, KeyboardInterrupt) as error:
                state.save(done)
                resume = (
                    "run the same command again to resume"
                    if checkpoint
                    else "running it again is safe (add --checkpoint PATH to resume instead)"
                )
                message = (
                    f"line {item.line} (key {item.key!r}): {error}. "
                    f"{done} of {len(items)} items are stored; {resume}."
                )
                if isinstance(error, KeyboardInterrupt):
                    raise KeyboardInterrupt(message) from error
                error.message = message
                error.args = (message,)
                raise
            done += 1
            state.save(done)
            bar.update()
    state.finish()
    return ImportReport(written=len(items) - skipped, skipped=skipped)
