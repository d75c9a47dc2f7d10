"""The use cases that the API and the dashboard both call.

Build them once per process with :class:`Services` over a store and a config.
"""

from __future__ import annotations

from kv_core.notify import LogNotifier, Notifier
from kv_core.services.accounts import Accounts
from kv_core.services.admin import AccountSummary, Admin
from kv_core.services.alerts import Alert, UsageAlerts
from kv_core.services.api_keys import ApiKeys, CreatedKey
from kv_core.services.billing import Billing, BillingEvent
from kv_core.services.browse import Browse
from kv_core.services.config import CoreConfig
from kv_core.services.items import Items, KeyPage, Principal
from kv_core.services.namespaces import Namespaces
from kv_core.services.passwords import Passwords
from kv_core.services.sessions import Sessions
from kv_core.services.sweep import Sweeper
from kv_core.services.usage import UsageReport, UsageReports
from kv_core.store import Store


class Services:
    """Every use case over one store."""

    def __init__(self, store: Store, config: CoreConfig, notifier: Notifier | None = None) -> None:
        self.store = store
        self.config = config
        self.notifier: Notifier = notifier if notifier is not None else LogNotifier()
        self.api_keys = ApiKeys(store, config)
        self.accounts = Accounts(store, config, self.api_keys)
        self.namespaces = Namespaces(store, config, self.api_keys)
        self.items = Items(store, config, self.api_keys)
        self.usage = UsageReports(store, config, self.items.meter)
        self.browse = Browse(store, config)
        self.sessions = Sessions(store, config)
        self.passwords = Passwords(store, config, self.notifier)
        self.admin = Admin(store, config, self.api_keys, self.usage)
        self.sweeper = Sweeper(store, config)


__all__ = [
    "AccountSummary",
    "Accounts",
    "Admin",
    "Alert",
    "ApiKeys",
    "Billing",
    "BillingEvent",
    "Browse",
    "CoreConfig",
    "CreatedKey",
    "Items",
    "KeyPage",
    "Namespaces",
    "Passwords",
    "Principal",
    "Services",
    "Sessions",
    "Sweeper",
    "UsageAlerts",
    "UsageReport",
    "UsageReports",
]
