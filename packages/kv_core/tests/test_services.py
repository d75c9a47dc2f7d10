"""The use cases on every engine: accounts, namespaces, keys and the data plane."""

from __future__ import annotations

import contextlib
import threading
from datetime import UTC, datetime, timedelta

import pytest

from kv_core.errors import (
    Conflict,
    Forbidden,
    InvalidInput,
    NotFound,
    PreconditionFailed,
    QuotaExceeded,
    TooManyAttempts,
    Unauthorized,
)
from kv_core.notify import LogNotifier
from kv_core.plans import get_plan
from kv_core.services import Billing, BillingEvent, CoreConfig, Services

NOW = datetime(2026, 11, 25, 12, tzinfo=UTC)


@pytest.fixture
def services(store):
    services = Services(store, CoreConfig(secret=b"s" * 32, clock=lambda: NOW))
    yield services
    services.items.meter.close()


@pytest.fixture
def ann(services):
    user = services.accounts.signup("Ann@Example.com ", "s3cret-pass")
    services.namespaces.create(user.id, "app")
    return user


@pytest.fixture
def writer(services, ann):
    return services.api_keys.create(ann.id, "app").raw


def test_signup_and_login(services, ann):
    assert ann.email == "ann@example.com"
    assert ann.plan == "free"
    assert services.accounts.login("ANN@example.com", "s3cret-pass").id == ann.id
    with pytest.raises(Conflict):
        services.accounts.signup("ann@example.com", "another-pass")
    with pytest.raises(InvalidInput):
        services.accounts.signup("bob@example.com", "short")
    with pytest.raises(Unauthorized) as wrong:
        services.accounts.login("ann@example.com", "wrong-pass")
    with pytest.raises(Unauthorized) as unknown:
        services.accounts.login("nobody@example.com", "wrong-pass")
    assert str(wrong.value) == str(unknown.value)


def test_login_is_throttled_after_repeated_failures(services, ann):
    for _ in range(services.config.login_max_failures):
        with pytest.raises(Unauthorized):
            services.accounts.login("ann@example.com", "wrong-pass", "10.0.0.9")
    with pytest.raises(TooManyAttempts):
        services.accounts.login("ann@example.com", "s3cret-pass", "10.0.0.9")


def test_a_throttled_address_does_not_lock_the_owner_out(services, ann):
    for _ in range(services.config.login_max_failures + 3):
        with pytest.raises((Unauthorized, TooManyAttempts)):
            services.accounts.login("ann@example.com", "wrong-pass", "10.6.6.6")
    assert services.accounts.login("ann@example.com", "s3cret-pass", "10.0.0.1").id == ann.id


def test_a_success_clears_the_count(services, ann):
    for _ in range(services.config.login_max_failures - 1):
        with pytest.raises(Unauthorized):
            services.accounts.login("ann@example.com", "wrong-pass", "10.0.0.1")
    services.accounts.login("ann@example.com", "s3cret-pass", "10.0.0.1")
    for _ in range(services.config.login_max_failures - 1):
        with pytest.raises(Unauthorized):
            services.accounts.login("ann@example.com", "wrong-pass", "10.0.0.1")
    services.accounts.login("ann@example.com", "s3cret-pass", "10.0.0.1")


def test_racing_wrong_logins_check_no_more_passwords_than_the_limit(services, ann, monkeypatch):
    from kv_core.services import accounts

    checks: list[str] = []
    barrier = threading.Barrier(12)
    verify = accounts.verify_password

    def counted(password, stored):
        checks.append(password)
        return verify(password, stored)

    monkeypatch.setattr(accounts, "verify_password", counted)

    def attempt():
        barrier.wait()
        with contextlib.suppress(Unauthorized, TooManyAttempts):
            services.accounts.login("ann@example.com", "wrong-pass", "10.0.0.7")

    threads = [threading.Thread(target=attempt) for _ in range(12)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(checks) == services.config.login_max_failures


def test_the_data_plane(services, ann, writer):
    items = services.items
    principal = items.authorize(writer, "app", write=True)
    _, created = items.put(principal, "a/b c", {"x": "ü"})
    assert created
    assert items.get(principal, "a/b c").value == {"x": "ü"}
    with pytest.raises(PreconditionFailed):
        items.put(principal, "a/b c", 1, if_absent=True)
    with pytest.raises(PreconditionFailed):
        items.put(principal, "missing", 1, if_match="*")
    replaced, created = items.put(principal, "a/b c", 2, if_match="*")
    assert (replaced.version, created) == (2, False)
    page = items.list(principal, prefix="a/", limit=1)
    assert page.keys == ["a/b c"]
    assert page.cursor is None
    items.delete(principal, "a/b c", if_match=replaced.etag)
    with pytest.raises(NotFound):
        items.get(principal, "a/b c")


def test_keys_are_scoped_to_namespace_and_access(services, ann):
    services.namespaces.create(ann.id, "other")
    reader = services.api_keys.create(ann.id, "app", access="read-only").raw
    with pytest.raises(Forbidden) as wrong:
        services.items.authorize(reader, "other", write=False)
    assert wrong.value.code == "wrong_namespace"
    with pytest.raises(Forbidden) as read_only:
        services.items.authorize(reader, "app", write=True)
    assert read_only.value.code == "read_only_key"
    services.items.authorize(reader, "app", write=False)


def test_a_revoked_key_stops_at_once_in_this_instance(services, ann):
    created = services.api_keys.create(ann.id, "app")
    services.items.authorize(created.raw, "app", write=False)  # cached on a remote engine
    services.api_keys.revoke(ann.id, created.key.id)
    with pytest.raises(Unauthorized):
        services.items.authorize(created.raw, "app", write=False)


def test_deleting_a_namespace_stops_its_keys_at_once_in_this_instance(services, ann, writer):
    principal = services.items.authorize(writer, "app", write=True)
    services.items.put(principal, "k", 1)
    services.namespaces.delete(ann.id, "app")
    with pytest.raises(Unauthorized):
        services.items.authorize(writer, "app", write=True)
    assert services.usage.report(ann).storage_used == 0


def test_a_plan_change_is_seen_at_once_in_this_instance(services, ann, writer):
    assert services.items.authorize(writer, "app", write=False).plan.name == "free"
    services.accounts.change_plan(ann.id, "pro")
    assert services.items.authorize(writer, "app", write=False).plan.name == "pro"


def test_the_request_quota_refuses_with_the_wait(services, ann, writer):
    limit = get_plan("free").requests_per_month
    services.store.add_requests(ann.id, "2026-11", limit - 1)
    principal = services.items.authorize(writer, "app", write=True)
    services.items.put(principal, "last", 1)
    with pytest.raises(QuotaExceeded) as refused:
        services.items.get(principal, "last")
    assert refused.value.code == "request_quota_exceeded"
    assert refused.value.retry_after == (5 * 24 + 12) * 3600  # until December 1st, 00:00 UTC
    services.items.meter.flush()
    assert services.usage.report(ann).requests_used == limit


def test_usage_report_counts_what_this_instance_has_not_written_yet(services, ann, writer):
    principal = services.items.authorize(writer, "app", write=True)
    for _ in range(3):
        services.items.list(principal)
    assert services.usage.report(ann).requests_used == 3
    assert services.usage.history(ann.id)["2026-11"] == 3
    services.items.meter.flush()
    assert services.usage.report(ann).requests_used == 3


def test_usage_report_follows_writes(services, ann, writer):
    principal = services.items.authorize(writer, "app", write=True)
    services.items.put(principal, "k", "v")
    report = services.usage.report(ann)
    assert (report.requests_used, report.storage_used) == (1, len("k") + len('"v"'))
    assert services.usage.history(ann.id)["2026-11"] == 1


def test_a_plan_changed_by_billing_is_seen_at_once_in_this_instance(services, ann, writer):
    billing = Billing(
        services.store, services.config, LogNotifier(), {"pri_pro": "pro"}, services.api_keys
    )
    assert services.items.authorize(writer, "app", write=False).plan.name == "free"
    event = BillingEvent.parse(
        {
            "event_id": "evt_1",
            "event_type": "subscription.created",
            "occurred_at": "2026-11-25T10:00:00.000Z",
            "data": {
                "id": "sub_1",
                "status": "active",
                "custom_data": {"user_id": ann.id},
                "items": [{"price": {"id": "pri_pro"}}],
            },
        }
    )
    assert billing.apply(event) == "applied"
    assert services.items.authorize(writer, "app", write=False).plan.name == "pro"


def test_a_session_lasts_until_it_is_ended_or_expires(store, ann):
    clock = [NOW]
    sessions = Services(store, CoreConfig(secret=b"s" * 32, clock=lambda: clock[0])).sessions
    short, remembered = sessions.start(ann), sessions.start(ann, remember=True)
    assert sessions.resolve(short) == ann
    assert sessions.resolve(remembered) == ann
    for forged in ("", "nodot", f"{ann.id}.", f"{ann.id}.guess", f"other.{short.split('.')[1]}"):
        assert sessions.resolve(forged) is None
    clock[0] = NOW + timedelta(hours=13)
    assert sessions.resolve(short) is None
    assert sessions.resolve(remembered) == ann
    sessions.end(remembered)
    assert sessions.resolve(remembered) is None


def test_ending_the_others_keeps_this_one(services, ann):
    sessions = services.sessions
    here, there, elsewhere = (sessions.start(ann) for _ in range(3))
    assert sessions.end_others(here) == 2
    assert sessions.resolve(here) == ann
    assert sessions.resolve(there) is None
    assert sessions.resolve(elsewhere) is None
