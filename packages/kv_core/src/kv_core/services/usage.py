"""What an account has used this month against its plan, and the months before."""

from __future__ import annotations

from dataclasses import dataclass

from kv_core.model import User
from kv_core.plans import (
    Plan,
    Status,
    account_plan,
    last_months,
    month_of,
    usage_status,
    worst_status,
)
from kv_core.services.config import CoreConfig
from kv_core.services.metering import RequestMeter
from kv_core.store import Store


@dataclass(frozen=True, slots=True)
class UsageReport:
    """A month's usage against the account's limits (``plan`` as it applies to the
    account: :func:`~kv_core.plans.account_plan`)."""

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
    """Reports from the store's counts plus what this instance's meter, if it has one,
    has admitted and not yet written (a remote engine's counts are written in batches)."""

    def __init__(self, store: Store, config: CoreConfig, meter: RequestMeter | None = None) -> None:
        self.store = store
        self.config = config
        self.meter = meter

    def report(self, user: User) -> UsageReport:
        month = month_of(self.config.clock())
        usage = self.store.get_usage(user.id, month)
        requests = usage.requests + self._pending(user.id, month)
        return UsageReport(account_plan(user), month, requests, usage.storage_bytes)

    def history(self, user_id: str, months: int = 6) -> dict[str, int]:
        """Requests per month for the last ``months`` months, oldest first."""
        window = last_months(month_of(self.config.clock()), months)
        counts = self.store.request_history(user_id, window)
        return {month: count + self._pending(user_id, month) for month, count in counts.items()}

    def key_requests(self, user_id: str) -> dict[str, int]:
        """Each API key's requests this month, by key id (keys that made none may be
        absent): one read of the store, plus what this instance has not written yet."""
        month = month_of(self.config.clock())
        counts = self.store.key_requests(user_id, month)
        if self.meter is not None:
            for key_id, pending in self.meter.pending_by_key(user_id, month).items():
                counts[key_id] = counts.get(key_id, 0) + pending
        return counts

    def _pending(self, user_id: str, month: str) -> int:
        return self.meter.pending(user_id, month) if self.meter is not None else 0
