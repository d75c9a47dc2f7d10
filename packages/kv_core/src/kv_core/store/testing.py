"""Helpers for tests of any engine (not used by the product itself)."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

from kv_core.store.port import ItemStore
from kv_core.store.requests import ListKeys


def settle_changes(store: object) -> None:
    """Let the change feed catch up with every write made so far, before a test reads
    it: nothing to do where the write logs its change (SQLite); on DynamoDB, process
    what the table's stream holds now (``pump_changes``)."""
    pump = getattr(store, "pump_changes", None)
    if pump is not None:
        pump()


@contextmanager
def following_stream(store: object, interval: float = 0.05) -> Iterator[None]:
    """While inside, keep the change feed caught up from a thread, as ``serve``'s
    stream reader and AWS's stream-processing function do on DynamoDB (``pump_changes``
    every ``interval`` seconds); nothing to do on SQLite. Tests on moto wrap its calls
    in one lock (the ``atomic_moto`` fixture), since moto is not thread-safe."""
    pump = getattr(store, "pump_changes", None)
    if pump is None:
        yield
        return
    stop = threading.Event()

    def follow() -> None:
        while not stop.wait(interval):
            pump()

    thread = threading.Thread(target=follow, name="kv-test-stream", daemon=True)
    thread.start()
    try:
        yield
    finally:
        stop.set()
        thread.join(timeout=30)


def listed(
    store: ItemStore,
    namespace_id: str,
    *,
    limit: int,
    prefix: str = "",
    after: str | None = None,
    at: int | None = None,
) -> tuple[list[str], bool]:
    """One page of live keys and whether more follow, judged at ``at`` (``None``: the
    current second): :meth:`ItemStore.list_keys` as a pair."""
    listing = store.list_keys(
        ListKeys(
            namespace_id=namespace_id,
            limit=limit,
            at=int(time.time()) if at is None else at,
            prefix=prefix,
            after=after,
        )
    )
    return listing.keys, listing.more
