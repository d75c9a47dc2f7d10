"""Scheduled jobs, run by a Lambda schedule in AWS or ``kv-storage send-alerts``."""

from __future__ import annotations

from typing import TYPE_CHECKING

from kv_core.model import utcnow
from kv_core.plans import month_of
from kv_core.services import Alert, UsageAlerts
from kv_core.services.sweep import SWEEP_CHUNK
from kv_core.settings import Settings, open_store

if TYPE_CHECKING:
    from kv_core.engines.dynamodb import DynamoStore


def send_usage_alerts(settings: Settings | None = None) -> list[Alert]:
    """Email every account holder who crossed a usage threshold this month, once."""
    settings = settings or Settings.from_env()
    store = open_store(settings)
    try:
        return UsageAlerts(store, settings.core_config(), settings.notifier()).run()
    finally:
        store.close()


def sweep_expired(settings: Settings | None = None, *, deadline: float | None = None) -> int:
    """Remove every item expired by now, releasing its bytes, chunk by chunk until
    none are left or ``deadline`` (``time.monotonic()``) passes; how many were removed."""
    import time

    from kv_core.services import Sweeper

    settings = settings or Settings.from_env()
    store = open_store(settings)
    try:
        sweeper = Sweeper(store, settings.core_config())
        removed = 0
        while True:
            swept = sweeper.sweep(max_chunks=1)
            removed += swept
            if swept < SWEEP_CHUNK or (deadline is not None and time.monotonic() > deadline):
                return removed
    finally:
        store.close()


_stream_stores: dict[str, DynamoStore] = {}


def stream_store(settings: Settings | None = None) -> DynamoStore:
    """The DynamoDB store whose table's stream feeds the change feed, opened once per
    process (a warm Lambda keeps it)."""
    from kv_core.engines.dynamodb import DynamoStore

    settings = settings or Settings.from_env(secret_required=False)
    if settings.table not in _stream_stores:
        store = open_store(settings)
        assert isinstance(store, DynamoStore), "the stream is DynamoDB's"
        _stream_stores[settings.table] = store
    return _stream_stores[settings.table]


def migrate_store(settings: Settings | None = None) -> str:
    """Bring the configured store up to this version; says what it did."""
    settings = settings or Settings.from_env()
    store = open_store(settings)
    try:
        if settings.store == "dynamodb":
            from kv_core.engines.dynamodb import DynamoStore

            assert isinstance(store, DynamoStore)
            done = store.backfill(month_of(utcnow()))
            streamed = store.enable_stream()
            indexed = store.add_expiry_index()
            return (
                f"table {settings.table}: {done.profiles} profiles given a requests map,"
                f" {done.usage_items} usage items folded in, {done.months_dropped} old months"
                " dropped"
                + (", stream of new and old images enabled (the change feed)" if streamed else "")
                + (", expiry index GSI2 added (building)" if indexed else "")
            )
        from kv_core.engines.sqlite import SqliteStore

        assert isinstance(store, SqliteStore)
        return f"{store.path}: schema version {store.schema_version()}"
    finally:
        store.close()
