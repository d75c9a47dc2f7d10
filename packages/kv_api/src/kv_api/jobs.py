"""Scheduled jobs, run by a Lambda schedule in AWS or ``kv-storage send-alerts``."""

from __future__ import annotations

from kv_core.model import utcnow
from kv_core.plans import month_of
from kv_core.services import Alert, UsageAlerts
from kv_core.settings import Settings, open_store


def send_usage_alerts(settings: Settings | None = None) -> list[Alert]:
    """Email every account holder who crossed a usage threshold this month, once."""
    settings = settings or Settings.from_env()
    store = open_store(settings)
    try:
        return UsageAlerts(store, settings.core_config(), settings.notifier()).run()
    finally:
        store.close()


def migrate_store(settings: Settings | None = None) -> str:
    """Bring the configured store up to this version; says what it did."""
    settings = settings or Settings.from_env()
    store = open_store(settings)
    try:
        if settings.store == "dynamodb":
            from kv_core.engines.dynamodb import DynamoStore

            assert isinstance(store, DynamoStore)
            done = store.backfill(month_of(utcnow()))
            return (
                f"table {settings.table}: {done.profiles} profiles given a requests map,"
                f" {done.usage_items} usage items folded in, {done.months_dropped} old months"
                " dropped"
            )
        from kv_core.engines.sqlite import SqliteStore

        assert isinstance(store, SqliteStore)
        return f"{store.path}: schema version {store.schema_version()}"
    finally:
        store.close()
