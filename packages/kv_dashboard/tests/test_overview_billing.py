"""The overview's usage, chart and examples; the billing page with and without Paddle."""

import re
from dataclasses import replace

import pytest

from kv_core.plans import PLANS
from kv_dashboard import create_app
from kv_dashboard.charts import requests_chart


def test_overview_shows_usage_and_examples_for_my_namespace(browser, ann, services):
    raw = services.api_keys.create(ann, "app").raw
    principal = services.items.authorize(raw, "app", write=True)
    services.items.put(principal, "a", {"x": 1})
    page = browser.get("/").text
    assert "<strong>1</strong> of 10K" in page
    assert "/v1/app/user:42" in page
    assert "kv.put(&#34;app&#34;, &#34;user:42&#34;" in page
    assert "kv get app user:42" in page
    assert "badge--ok" in page
    assert "close to a limit" not in page


@pytest.mark.parametrize(
    ("used", "status", "prompt"),
    [(8_000, "warning", "close to a limit"), (10_000, "exceeded", "reached a limit")],
)
def test_near_and_over_the_limit_prompt_an_upgrade(browser, ann, services, used, status, prompt):
    services.store.add_requests(ann, "2026-11", used)
    page = browser.get("/").text
    assert f"bar--{status}" in page
    assert prompt in page
    assert 'href="/billing"' in page


def test_chart_scales_to_the_busiest_month():
    chart = requests_chart({"2026-10": 50, "2026-11": 100})
    low, high = chart.bars
    assert high.height == pytest.approx(2 * low.height)
    assert high.y < low.y
    assert (low.label, high.label) == ("Oct 26", "Nov 26")
    assert requests_chart({"2026-11": 0}).bars[0].height == 0


def test_overview_chart_has_six_months(browser, ann, services):
    services.store.add_requests(ann, "2026-09", 7)
    page = browser.get("/").text
    assert len(re.findall(r'class="chart__bar', page)) == 6
    assert "Sep 26: 7 requests." in page


def test_billing_without_paddle_says_so(browser, ann):
    page = browser.get("/billing").text
    assert "not set up on this server" in page
    assert "paddle.js" not in page
    for plan in PLANS.values():
        assert plan.title in page
    assert re.search(r"Free</h2>\s*<span class=\"badge badge--ok\">Current plan", page)


def test_billing_with_paddle_offers_checkout(services, settings, new_browser):
    configured = replace(
        settings,
        paddle_client_token="test_token",
        paddle_prices={"pri_starter": "starter", "pri_pro": "pro"},
    )
    browser = new_browser(create_app(services=services, settings=configured))
    browser.signup("ann@example.com")
    response = browser.get("/billing")
    page = response.text
    assert "https://cdn.paddle.com/paddle/v2/paddle.js" in page
    assert 'data-price-id="pri_starter"' in page
    assert 'data-price-id="pri_pro"' in page
    assert 'data-paddle-token="test_token"' in page
    assert "not set up" not in page
    assert "https://*.paddle.com" in response.headers["Content-Security-Policy"]


def test_a_plan_changed_by_the_webhook_shows(browser, ann, services):
    services.accounts.change_plan(ann, "pro")
    page = browser.get("/billing").text
    assert re.search(r"Pro</h2>\s*<span class=\"badge badge--ok\">Current plan", page)
    assert "Pro plan" in browser.get("/").text
    assert "Thank you" in browser.get("/billing?checkout=done").text


def test_own_limits_show_on_the_overview_and_the_billing_page(browser, ann, services):
    services.admin.set_plan(
        "ann@example.com", "business", requests_limit=3_000_000, storage_limit=2_000_000
    )
    overview = browser.get("/").text
    assert "of 3M" in overview
    assert "of 2 MB" in overview
    billing = browser.get("/billing").text
    current = billing[billing.index("plan--current") :]
    current = current[: current.index("</ul>")]
    assert "<li>3M requests a month</li>" in current
    assert "<li>2 MB of storage</li>" in current
