"""The landing and pricing pages in a real browser, served by ``kv-storage serve``:
nothing loaded from another host, no script errors, the calls to action lead where they
say, search answers, and phones need no sideways scrolling. Screenshots of both pages at
desktop and phone widths go to artifacts/screenshots/."""

from __future__ import annotations

from urllib.parse import urlsplit

import pytest

from kv_core.plans import PLANS

DESKTOP = {"width": 1280, "height": 860}
PHONE = {"width": 390, "height": 844}


@pytest.fixture
def visit(site_server, browser):
    """Open a page at a viewport; collect every request's host and every script error."""
    opened = []

    def open_page(path: str, viewport: dict[str, int]):
        context = browser.new_context(viewport=viewport, base_url=site_server)
        page = context.new_page()
        page.hosts = set()
        page.problems = []
        page.on("request", lambda r: page.hosts.add(urlsplit(r.url).netloc))
        page.on("pageerror", lambda e: page.problems.append(str(e)))
        page.on("console", lambda m: page.problems.append(m.text) if m.type == "error" else None)
        page.goto(path)
        page.wait_for_load_state("networkidle")
        opened.append(context)
        return page

    yield open_page
    for context in opened:
        context.close()


def own_host(site_server: str) -> set[str]:
    return {urlsplit(site_server).netloc}


@pytest.mark.parametrize(("name", "path"), [("landing", "/"), ("pricing", "/pricing/")])
def test_page_at_desktop_and_phone_widths(name, path, visit, site_server, site_screenshots):
    for width, viewport in (("desktop", DESKTOP), ("phone", PHONE)):
        page = visit(path, viewport)
        page.screenshot(path=site_screenshots / f"site-{name}-{width}.png", full_page=True)
        assert page.hosts == own_host(site_server)
        assert page.problems == []
        scroll_width = page.evaluate("document.documentElement.scrollWidth")
        assert scroll_width <= viewport["width"], f"{name} is {scroll_width}px wide on a phone"
        for plan in PLANS.values():
            assert page.get_by_text(f"${plan.price_usd}", exact=False).first.is_visible()


def test_the_landing_page_calls_to_action(visit):
    page = visit("/", DESKTOP)
    assert page.locator(".kv-hero h1").inner_text() == "Serverless key-value storage API"
    page.get_by_role("link", name="Read the docs").click()
    page.wait_for_url("**/docs/quickstart/")
    assert page.title().startswith("Quickstart")
    page.go_back()
    page.get_by_role("link", name="Sign up free").click()
    page.wait_for_url("**/dashboard/signup")
    assert page.locator("input[type=password]").first.is_visible()


def test_the_pricing_page_compares_every_plan(visit):
    page = visit("/pricing/", DESKTOP)
    header = page.locator("table thead").first.inner_text()
    for plan in PLANS.values():
        assert plan.title in header
    assert page.locator(".kv-plans .md-button").count() == len(PLANS)


def test_search_finds_pages(visit):
    page = visit("/docs/", DESKTOP)
    page.locator("label.md-search__icon, .md-search__input").first.click()
    page.keyboard.type("conditional writes", delay=20)  # the search listens to keys
    results = page.locator(".md-search-result__item")
    results.first.wait_for(timeout=10_000)
    assert "Concepts" in page.locator(".md-search-result").inner_text()
