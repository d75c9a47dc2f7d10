"""The limits page, against kv_core's limits, reserved names and plans."""

from __future__ import annotations

from kv_core.limits import LIMITS
from kv_core.names import RESERVED_NAMESPACES
from kv_core.plans import PLANS, format_bytes, format_count
from kv_site.limits import limits_page, limits_table, quotas_table, store_failures


def test_every_limit_is_in_the_table():
    table = limits_table()
    assert f"1 to {LIMITS.key_max_bytes} bytes" in table
    assert f"1 to {LIMITS.namespace_max_chars} of" in table
    assert f"({LIMITS.value_max_bytes} bytes)" in table
    assert f"{LIMITS.list_limit_min} to {LIMITS.list_limit_max}" in table
    assert f"default {LIMITS.list_limit_default}" in table
    assert f"{LIMITS.warning_ratio:.0%}" in table
    assert f"at most {LIMITS.json_max_depth} levels" in table
    assert f"({LIMITS.metadata_max_bytes} bytes)" in table
    assert f"`ttl` {LIMITS.ttl_min_seconds} to {LIMITS.ttl_max_seconds:,} seconds" in table
    assert f"| Bulk get | 1 to {LIMITS.bulk_get_max_keys} keys |" in table
    assert f"1 to {LIMITS.bulk_write_max_items:,} items or keys" in table
    assert "10 MiB" in table  # LIMITS.bulk_body_max_bytes
    assert "compact JSON metadata" in table
    for name in RESERVED_NAMESPACES:
        assert f"`{name}`" in table


def test_every_plan_has_a_quota_row():
    rows = quotas_table().splitlines()[2:]
    assert len(rows) == len(PLANS)
    for plan in PLANS.values():
        row = next(r for r in rows if r.startswith(f"| {plan.title}"))
        assert f"| {format_count(plan.requests_per_month)} |" in row
        assert f"| {format_bytes(plan.storage_bytes)} |" in row


def test_the_page_holds_both_tables():
    page = limits_page()
    assert limits_table() in page
    assert quotas_table() in page


def test_the_page_says_what_a_failing_store_answers_and_bounds_the_counters():
    page = limits_page()
    assert store_failures() in page
    for said in ("`503`", "`store_unavailable`", "`507`", "`insufficient_storage`", "Retry-After"):
        assert said in page
    assert "off by that one write until the next recount" in page
    assert "every 60 minutes on a single machine" in page
