from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from kv_core import plans
from kv_core.errors import InvalidInput
from kv_core.model import User

counts = st.integers(min_value=0, max_value=10**12)
limits = st.integers(min_value=1, max_value=10**12)
moments = st.datetimes(
    min_value=datetime(2000, 1, 1), max_value=datetime(2200, 12, 31), timezones=st.just(UTC)
)


def test_the_seed_plans():
    got = {
        name: (p.price_usd, p.requests_per_month, p.storage_bytes)
        for name, p in plans.PLANS.items()
    }
    assert got == {
        "free": (0, 10_000, 100 * 10**6),
        "starter": (5, 100_000, 10**9),
        "pro": (15, 1_000_000, 10 * 10**9),
        "scale": (49, 10_000_000, 100 * 10**9),
        "business": (149, 100_000_000, 1000 * 10**9),
    }
    assert plans.PLANS["business"].custom
    assert not any(p.custom for n, p in plans.PLANS.items() if n != "business")


def test_unknown_plan():
    with pytest.raises(InvalidInput):
        plans.get_plan("platinum")


@given(counts, limits)
def test_request_quota_never_admits_past_the_limit(used, limit):
    admitted = plans.admits_request(used, limit)
    assert admitted == (used + 1 <= limit)


@given(limits, st.integers(min_value=1, max_value=10_000))
def test_admitting_one_by_one_stops_exactly_at_the_limit(limit, extra):
    limit = min(limit, 5_000)
    used = 0
    for _ in range(limit + extra):
        if plans.admits_request(used, limit):
            used += 1
    assert used == limit


@given(counts, st.integers(min_value=-(10**9), max_value=10**9), limits)
def test_storage_quota_never_admits_growth_past_the_limit(used, delta, limit):
    admitted = plans.admits_storage(used, delta, limit)
    if delta > 0:
        assert admitted == (used + delta <= limit)
    else:
        assert admitted  # shrinking is always allowed


@given(counts, limits)
def test_usage_status_thresholds(used, limit):
    status = plans.usage_status(used, limit)
    if used >= limit:
        assert status == "exceeded"
    elif used * 10 >= limit * 8:
        assert status == "warning"
    else:
        assert status == "ok"


def test_usage_status_examples():
    assert plans.usage_status(7_999, 10_000) == "ok"
    assert plans.usage_status(8_000, 10_000) == "warning"
    assert plans.usage_status(10_000, 10_000) == "exceeded"
    assert plans.worst_status("ok", "warning") == "warning"
    assert plans.worst_status("exceeded", "ok") == "exceeded"


@given(moments)
def test_month_windows_contain_their_moment(moment):
    month = plans.month_of(moment)
    start, end = plans.month_window(month)
    assert start <= moment < end
    assert plans.month_of(end) == plans.next_month(month)
    assert plans.previous_month(plans.next_month(month)) == month
    assert plans.month_of(start - timedelta(microseconds=1)) == plans.previous_month(month)


@given(moments)
def test_seconds_until_next_month(moment):
    seconds = plans.seconds_until_next_month(moment)
    assert seconds >= 1
    after = moment + timedelta(seconds=seconds)
    assert plans.month_of(after) == plans.next_month(plans.month_of(moment))
    assert plans.month_of(moment + timedelta(seconds=seconds - 1)) == plans.month_of(moment) or (
        seconds == 1
    )


def test_month_edges():
    assert plans.month_of(datetime(2026, 12, 31, 23, 59, 59, tzinfo=UTC)) == "2026-12"
    assert plans.next_month("2026-12") == "2027-01"
    assert plans.previous_month("2027-01") == "2026-12"
    moment = datetime(2026, 12, 31, 23, 59, 0, tzinfo=UTC)
    assert plans.seconds_until_next_month(moment) == 60
    assert plans.last_months("2026-02", 3) == ["2025-12", "2026-01", "2026-02"]


def test_formatting():
    assert plans.format_bytes(100 * 10**6) == "100 MB"
    assert plans.format_bytes(10**9) == "1 GB"
    assert plans.format_bytes(1500) == "1.5 kB"
    assert plans.format_count(10_000) == "10K"
    assert plans.format_count(1_000_000) == "1M"


def test_account_plan_puts_the_accounts_own_limits_in_place_of_the_plans():
    user = User("u1", "ann@example.com", "h", "business", "t", "t")
    assert plans.account_plan(user) == plans.PLANS["business"]
    own = plans.account_plan(replace(user, requests_limit=5, storage_limit=0))
    assert (own.name, own.requests_per_month, own.storage_bytes) == ("business", 5, 0)
    half = plans.account_plan(replace(user, storage_limit=7))
    assert (half.requests_per_month, half.storage_bytes) == (100_000_000, 7)
