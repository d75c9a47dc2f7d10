"""Scheduled jobs, run by a Lambda schedule in AWS or ``kv-storage send-alerts``."""

from __future__ import annotations

from kv_api.notify import make_notifier
from kv_core.services import Alert, UsageAlerts
from kv_core.settings import Settings, open_store


def send_usage_alerts(settings: Settings | None = None) -> list[Alert]:
    """Email every account holder who crossed a usage threshold this month, once."""
    settings = settings or Settings.from_env()
    store = open_store(settings)
    try:
        return UsageAlerts(store, settings.core_config(), make_notifier(settings)).run()
    finally:
        store.close()
