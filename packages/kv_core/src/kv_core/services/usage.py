"""What an account has used this month against its plan, and the months before."""

from __future__ import annotations

from dataclasses import dataclass

from kv_core.plans import Plan, Status, get_plan, last_months, month_of, usage_status, worst_status
from kv_core.services.config import CoreConfig
from kv_core.store import Store


@dataclass(frozen=True, slots=True)
class UsageReport:
    plan: Plan
    month: str
    requests_used: int
    storage_used: int

    @property
    def requests_limit(self) -> int:
        return self.plan.requests_per_month

    @property
    def storage_limit(self) -> int:
        return self.plan.storage_bytes

    @property
    def requests_status(self) -> Status:
        return usage_status(self.requests_used, self.requests_limit)

    @property
    def storage_status(self) -> Status:
        return usage_status(self.storage_used, self.storage_limit)

    @property
    def status(self) -> Status:
        return worst_status(self.requests_status, self.storage_status)


class UsageReports:
    def __init__(self, store: Store, config: CoreConfig) -> None:
        self.store = store
        self.config = config

    def report(self, user_id: str, plan: str) -> UsageReport:
        month = month_of(self.config.clock())
        usage = self.store.get_usage(user_id, month)
        return UsageReport(get_plan(plan), month, usage.requests, usage.storage_bytes)

    def history(self, user_id: str, months: int = 6) -> dict[str, int]:
        """Requests per month for the last ``months`` months, oldest first."""
        window = last_months(month_of(self.config.clock()), months)
        return self.store.request_history(user_id, window)
