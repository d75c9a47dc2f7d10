"""Monthly usage alerts: one email per account, month, quota and threshold."""

from __future__ import annotations

from dataclasses import dataclass

from kv_core.model import isoformat
from kv_core.notify import Notifier
from kv_core.plans import format_bytes, format_count
from kv_core.services.config import CoreConfig
from kv_core.services.usage import UsageReports
from kv_core.store import Store

THRESHOLDS = (80, 100)


@dataclass(frozen=True, slots=True)
class Alert:
    email: str
    month: str
    quota: str
    threshold: int


class UsageAlerts:
    def __init__(self, store: Store, config: CoreConfig, notifier: Notifier) -> None:
        self.store = store
        self.config = config
        self.notifier = notifier
        self.reports = UsageReports(store, config)

    def run(self) -> list[Alert]:
        """Email every account that crossed a threshold it was not yet told about this
        month. Safe to run as often as you like."""
        sent: list[Alert] = []
        now = isoformat(self.config.clock())
        for user in self.store.iter_users():
            report = self.reports.report(user)
            quotas = {
                "requests": (
                    report.requests_used,
                    report.requests_limit,
                    format_count(report.requests_limit) + " requests",
                ),
                "storage": (
                    report.storage_used,
                    report.storage_limit,
                    format_bytes(report.storage_limit) + " of storage",
                ),
            }
            for quota, (used, limit, described) in quotas.items():
                reached = [t for t in THRESHOLDS if used * 100 >= limit * t]
                if not reached:
                    continue
                threshold = max(reached)
                scope = f"usage-alert:{user.id}:{report.month}"
                if not self.store.mark_once(scope, f"{quota}:{threshold}", now):
                    continue
                self.notifier.send(user.email, *_message(quota, threshold, described))
                sent.append(Alert(user.email, report.month, quota, threshold))
        return sent


def _message(quota: str, threshold: int, described: str) -> tuple[str, str]:
    if threshold >= 100:
        subject = f"KV Storage: you have used all of this month's {quota}"
        consequence = (
            "Further requests are refused until next month."
            if quota == "requests"
            else "Writes that grow your data are refused."
        )
        body = (
            f"Your plan includes {described}, and you have reached it. {consequence}"
            " Upgrade your plan in the dashboard to continue."
        )
    else:
        subject = f"KV Storage: {threshold}% of this month's {quota} used"
        body = (
            f"Your plan includes {described}, and you have used {threshold}% of it."
            " Upgrade in the dashboard before you reach the limit."
        )
    return subject, body
