"""The limit: SQLite itself, on a connection the engine opened (so with its PRAGMAs)
and synced after each commit as the engine syncs it, in one process with no HTTP,
reading and upserting the same values over the same keys as the servers' load
(``python -m benchmarks.sqlite_limit``, run on a server core; prints JSON)."""

from __future__ import annotations

import json
import random
import sys
import tempfile
import time
from pathlib import Path

from benchmarks.wrk import KEYS, VALUE
from kv_core.engines.sqlite import SqliteStore

SECONDS = 1.5
BATCH = 64


def _rate(step: object, per_call: int = 1) -> float:
    calls, started = 0, time.perf_counter()
    while (elapsed := time.perf_counter() - started) < SECONDS:
        for _ in range(100):
            step()  # type: ignore[operator]
        calls += 100
    return calls * per_call / elapsed


def measure() -> dict[str, float]:
    with tempfile.TemporaryDirectory() as folder:
        store = SqliteStore(Path(folder) / "limit.sqlite3")
        db = store._connection()
        db.execute("CREATE TABLE kv (key TEXT PRIMARY KEY, value TEXT NOT NULL) WITHOUT ROWID")
        names = [f"k{index:05d}" for index in range(KEYS)]
        db.execute("BEGIN")
        db.executemany("INSERT INTO kv VALUES (?, ?)", ((name, VALUE) for name in names))
        db.execute("COMMIT")
        pick = random.Random(1).choice  # noqa: S311 - which key, not a secret
        upsert = (
            "INSERT INTO kv VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value"
        )

        def read() -> None:
            db.execute("SELECT value FROM kv WHERE key = ?", (pick(names),)).fetchone()

        def write() -> None:
            db.execute(upsert, (pick(names), VALUE))
            store._sync()  # as serve syncs each commit before it answers

        def write_batch() -> None:
            db.execute("BEGIN IMMEDIATE")
            db.executemany(upsert, ((pick(names), VALUE) for _ in range(BATCH)))
            db.execute("COMMIT")
            store._sync()

        figures = {
            "reads": _rate(read),
            "upserts": _rate(write),
            "batched_upserts": _rate(write_batch, BATCH),
        }
        store.close()
    return figures


if __name__ == "__main__":
    json.dump(measure(), sys.stdout)
