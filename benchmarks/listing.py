"""Listing cost depends on the page, not the namespace: one page of 100 keys in a
namespace of 100k keys against one in a namespace of 1k, through the services on the
embedded engine (and, on DynamoDB, one Query per page whatever the size)."""

from __future__ import annotations

import statistics
import tempfile
import time
from pathlib import Path

from benchmarks.report import Figure
from kv_core.engines.sqlite import SqliteStore
from kv_core.services import CoreConfig, Services

PAGES = 300


def _fill(store: SqliteStore, namespace_id: str, count: int) -> None:
    """Bulk-load ``count`` items (directly, to keep set-up quick)."""
    db = store._connection()
    db.execute("BEGIN")
    db.executemany(
        "INSERT INTO items VALUES (?, ?, ?, 1, 'e', 10, 'now', 'now')",
        ((namespace_id, f"user/{i:07d}", '"v"') for i in range(count)),
    )
    db.execute("COMMIT")


def _page_cost(services: Services, raw_key: str, namespace: str) -> float:
    principal = services.items.authorize(raw_key, namespace, write=False)
    samples = []
    for round_ in range(5):
        start = time.perf_counter()
        cursor = None
        for _ in range(PAGES // 5):
            page = services.items.list(principal, prefix="user/", limit=100, cursor=cursor)
            cursor = page.cursor
        samples.append((time.perf_counter() - start) / (PAGES // 5))
        del round_
    return statistics.median(samples)


def measure() -> list[Figure]:
    with tempfile.TemporaryDirectory() as tmp:
        store = SqliteStore(Path(tmp) / "kv.sqlite3")
        services = Services(store, CoreConfig(secret=b"x" * 32))
        user = services.accounts.signup("list@example.com", "bench-pass")
        services.accounts.change_plan(user.id, "business")
        keys = {}
        for name, count in (("small", 1_000), ("large", 100_000)):
            namespace = services.namespaces.create(user.id, name)
            _fill(store, namespace.id, count)
            keys[name] = services.api_keys.create(user.id, name).raw
        costs = {}
        for _ in range(7):  # alternate, so drift hits both; the median drops a noisy round
            for name in ("small", "large"):
                costs.setdefault(name, []).append(_page_cost(services, keys[name], name))
        store.close()
    small, large = (statistics.median(costs[n]) for n in ("small", "large"))
    return [
        Figure(
            "list page at 100k keys / list page at 1k keys",
            large / small,
            1.5,
            detail=f"page of 100: {large * 1e6:,.0f} us at 100k keys, {small * 1e6:,.0f} at 1k",
        )
    ]
