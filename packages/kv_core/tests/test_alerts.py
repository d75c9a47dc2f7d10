from datetime import UTC, datetime

import pytest

from kv_core import plans
from kv_core.notify import LogNotifier
from kv_core.plans import Plan
from kv_core.services import CoreConfig, Services, UsageAlerts


class Clock:
    def __init__(self, moment: datetime) -> None:
        self.moment = moment

    def __call__(self) -> datetime:
        return self.moment


@pytest.fixture
def clock():
    return Clock(datetime(2026, 11, 10, tzinfo=UTC))


@pytest.fixture
def services(store, clock, monkeypatch):
    monkeypatch.setitem(plans.PLANS, "free", Plan("free", "Free", 0, 10, 1000))
    services = Services(store, CoreConfig(secret=b"s" * 32, clock=clock))
    yield services
    services.items.meter.close()


@pytest.fixture
def ann(services):
    user = services.accounts.signup("ann@example.com", "s3cret-pass")
    services.namespaces.create(user.id, "app")
    raw = services.api_keys.create(user.id, "app").raw
    return services.items.authorize(raw, "app", write=True)


def test_thresholds_are_mailed_once_per_month(services, ann, clock):
    notifier = LogNotifier()
    alerts = UsageAlerts(services.store, services.config, notifier)
    services.store.add_requests(ann.user.id, "2026-11", 7)
    assert alerts.run() == []
    services.store.add_requests(ann.user.id, "2026-11", 1)  # 8 of 10: 80 %
    [alert] = alerts.run()
    assert (alert.email, alert.month, alert.quota, alert.threshold) == (
        "ann@example.com",
        "2026-11",
        "requests",
        80,
    )
    assert alerts.run() == []  # repeated in the same month: nothing new
    services.store.add_requests(ann.user.id, "2026-11", 2)  # 100 %
    assert [(a.quota, a.threshold) for a in alerts.run()] == [("requests", 100)]
    assert alerts.run() == []
    assert len(notifier.sent) == 2
    assert "all of this month's requests" in notifier.sent[1][1]
    # A new month starts afresh.
    clock.moment = datetime(2026, 12, 1, tzinfo=UTC)
    services.store.add_requests(ann.user.id, "2026-12", 9)
    assert [(a.month, a.threshold) for a in alerts.run()] == [("2026-12", 80)]


def test_storage_threshold(services, ann):
    notifier = LogNotifier()
    alerts = UsageAlerts(services.store, services.config, notifier)
    services.items.put(ann, "big", "x" * 900)  # 3 + 902 bytes of 1000
    assert [(a.quota, a.threshold) for a in alerts.run()] == [("storage", 80)]
    assert notifier.sent[0][0] == "ann@example.com"


def test_jumping_straight_to_the_limit_sends_one_alert(services, ann):
    notifier = LogNotifier()
    services.store.add_requests(ann.user.id, "2026-11", 10)
    alerts = UsageAlerts(services.store, services.config, notifier)
    assert [(a.quota, a.threshold) for a in alerts.run()] == [("requests", 100)]
    assert alerts.run() == []
