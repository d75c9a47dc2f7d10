"""The pricing page and plan cards, against kv_core's plans."""

from __future__ import annotations

import pytest

from kv_core.limits import LIMITS
from kv_core.plans import PLANS, format_bytes, format_count
from kv_site.pricing import comparison_markdown, plan_card, plan_cards, price, pricing_page


def test_cards_follow_the_plans_cheapest_first():
    cards = plan_cards()
    assert [card.name for card in cards] == sorted(PLANS, key=lambda n: PLANS[n].price_usd)
    assert {card.name for card in cards} == set(PLANS)


@pytest.mark.parametrize("name", sorted(PLANS))
def test_a_card_shows_its_plan(name):
    plan = PLANS[name]
    card = plan_card(plan)
    assert card.title == plan.title
    assert card.price == f"${plan.price_usd}"
    assert format_count(plan.requests_per_month) in card.requests_line
    assert format_bytes(plan.storage_bytes) in card.storage_line
    assert card.requests_line.startswith("from ") is plan.custom


def test_the_page_names_every_plan_price_and_quota():
    page = pricing_page("/dashboard/signup")
    for plan in PLANS.values():
        assert f"**{plan.title}**" in page
        assert price(plan) in page
        assert format_count(plan.requests_per_month) in page
        assert format_bytes(plan.storage_bytes) in page
    assert page.count("](/dashboard/signup)") == len(PLANS)


def test_the_table_has_a_column_per_plan_and_the_shared_limits():
    cards = plan_cards()
    table = comparison_markdown(cards)
    rows = [line for line in table.splitlines() if line.startswith("|")]
    assert all(row.count("|") == len(cards) + 2 for row in rows)
    assert rows[0] == "| | " + " | ".join(card.title for card in cards) + " |"
    assert f"{LIMITS.value_max_bytes // 1024} KiB" in table
    assert f"{LIMITS.key_max_bytes} bytes" in table
    assert f"up to {LIMITS.list_limit_max}" in table
