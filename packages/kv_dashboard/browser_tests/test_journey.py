"""The account holder's journey in a real browser against a real server.

Sign up, create a namespace, generate a key and copy it, store items with that key
over the real API (and from the API tester), find them in stored items, search by
prefix, open and delete one, store one with a TTL and metadata from the item form and
see them listed, increment a counter, watch usage change, list the items in reverse
order and delete some by prefix, log out and back in. Every page is saved as a
screenshot at desktop and phone widths.
"""

from __future__ import annotations

import re

import requests

DESKTOP = {"width": 1280, "height": 860}
PHONE = {"width": 390, "height": 844}
EMAIL = "journey@example.com"
# What sticks out past a phone's width, to say why a page scrolls sideways.
WIDEST = """[...document.querySelectorAll('body *')]
  .filter(e => e.getBoundingClientRect().right > 391)
  .map(e => e.tagName + '.' + e.className + ' ' + Math.round(e.getBoundingClientRect().right))
  .slice(0, 15)"""
PASSWORD = "journey-pass-1"  # noqa: S105 (a test account's)
NEW_PASSWORD = "journey-pass-2"  # noqa: S105


def test_the_account_holders_journey(server, browser, screenshots):
    dashboard = f"{server}/dashboard"
    context = browser.new_context(viewport=DESKTOP, base_url=server)
    context.grant_permissions(["clipboard-read", "clipboard-write"], origin=server)
    page = context.new_page()
    problems: list[str] = []
    # Script errors and refusals by the content security policy; not the 4xx statuses
    # of pages that show form errors.
    page.on(
        "console",
        lambda m: (
            problems.append(m.text)
            if m.type == "error" and not m.text.startswith("Failed to load resource")
            else None
        ),
    )
    page.on("pageerror", lambda e: problems.append(str(e)))
    phones = []

    def shot(name: str) -> None:
        """This page at desktop width, and (once logged in) at a phone's, where it must
        not scroll sideways."""
        page.screenshot(path=screenshots / f"{name}-desktop.png", full_page=True)
        if "/login" in page.url or "/signup" in page.url:
            small = browser.new_context(viewport=PHONE).new_page()  # anonymous
        else:
            if not phones:
                state = context.storage_state()
                phones.append(browser.new_context(viewport=PHONE, storage_state=state).new_page())
            small = phones[0]
        small.goto(page.url)
        width = small.evaluate("document.documentElement.scrollWidth")
        assert width <= PHONE["width"], f"{name} is {width}px wide: {small.evaluate(WIDEST)}"
        small.screenshot(path=screenshots / f"{name}-phone.png", full_page=True)
        if small not in phones:
            small.context.close()

    # Anonymous visitors are sent to log in; from there, sign up.
    page.goto(f"{dashboard}/")
    assert "/dashboard/login" in page.url
    shot("01-login")
    page.get_by_role("link", name="Create an account").click()
    page.get_by_label("Email").fill(EMAIL)
    page.get_by_label("Password").fill("short")
    page.get_by_role("button", name="Create account").click()
    assert page.get_by_text("at least 8 characters").first.is_visible()
    assert page.get_by_label("Email").input_value() == EMAIL
    shot("02-signup-error")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Create account").click()
    page.wait_for_url(f"{dashboard}/namespaces")
    assert page.get_by_text("No namespaces yet").is_visible()
    shot("03-namespaces-empty")

    # A namespace, then a key, copied with the copy button.
    page.get_by_label("Namespace name").fill("app")
    page.get_by_role("button", name="Create namespace").click()
    page.wait_for_url(f"{dashboard}/namespaces/app")
    page.get_by_label("Key name").fill("journey key")
    page.get_by_role("button", name="Generate key").click()
    raw = page.locator("#raw-key").inner_text().strip()
    assert re.fullmatch(r"kv_[A-Za-z0-9_-]{32}", raw)
    copy = page.get_by_role("button", name="Copy key")
    copy.click()
    page.get_by_role("button", name="Copied!").wait_for()
    assert page.evaluate("navigator.clipboard.readText()") == raw
    shot("04-key-created")

    # Items over the real API with that key.
    http = requests.Session()
    http.headers["x-api-key"] = raw
    for name, value in [
        ("user:1", {"name": "Ada", "tags": ["admin", "early"]}),
        ("user:2", {"name": "Grace"}),
        ("order:1", {"total": 42.5, "lines": [{"sku": "kv-1", "qty": 2}]}),
    ]:
        assert http.put(f"{server}/v1/app/{name}", json=value, timeout=5).status_code == 201

    # And one from the API tester, which shows status, headers, body and curl.
    page.get_by_role("link", name="API tester").click()
    page.get_by_label("API key").fill(raw)
    page.get_by_label("Operation").select_option("PUT")
    page.get_by_label("Key", exact=True).fill("user:3")
    page.get_by_label("Value (JSON)").fill('{"name": "Linus"}')
    page.get_by_role("button", name="Send request").click()
    status = page.locator("#tester-status")
    status.filter(has_text="201").wait_for()
    assert "etag:" in page.locator("#tester-headers").inner_text().lower()
    assert "curl -i -X PUT" in page.locator("#tester-curl").inner_text()
    shot("05-api-tester")
    page.get_by_label("Operation").select_option("LIST")
    page.get_by_label("Prefix").fill("user:")
    page.get_by_role("button", name="Send request").click()
    page.locator("#tester-response").filter(has_text="user:3").wait_for()
    assert http.get(f"{server}/v1/app/user:3", timeout=5).json()["value"] == {"name": "Linus"}
    # The second round's operations: an increment with a TTL, a put with metadata, a
    # merge patch, a detailed list and a bulk get, each answered by the real API.
    page.get_by_label("Operation").select_option("INCREMENT")
    page.get_by_label("Key", exact=True).fill("hits")
    page.get_by_label("TTL (seconds, optional)").fill("3600")
    page.get_by_label("Increment by").fill("5")
    page.get_by_role("button", name="Send request").click()
    status.filter(has_text="201").wait_for()
    assert "-d '{\"increment\": 5}'" in page.locator("#tester-curl").inner_text()
    hits = http.get(f"{server}/v1/app/hits", timeout=5).json()
    assert hits["value"] == 5
    assert hits["expiresAt"] is not None
    page.get_by_label("Operation").select_option("PUT")
    page.get_by_label("Key", exact=True).fill("user:4")
    page.get_by_label("TTL (seconds, optional)").fill("")
    page.get_by_label("Metadata (JSON object, optional)").fill('{"team": "café"}')
    page.get_by_label("Value (JSON)").fill('{"name": "Barbara"}')
    page.get_by_role("button", name="Send request").click()
    status.filter(has_text="201").wait_for()
    assert http.get(f"{server}/v1/app/user:4", timeout=5).json()["metadata"] == {"team": "café"}
    page.get_by_label("Operation").select_option("PATCH")
    page.get_by_label("Merge patch (JSON)").fill('{"email": "barbara@example.com"}')
    page.get_by_role("button", name="Send request").click()
    status.filter(has_text="200").wait_for()
    assert http.get(f"{server}/v1/app/user:4", timeout=5).json()["value"] == {
        "name": "Barbara",
        "email": "barbara@example.com",
    }
    page.get_by_label("Operation").select_option("LIST")
    page.get_by_label("With details (version, expiry, metadata)").check()
    page.get_by_role("button", name="Send request").click()
    page.locator("#tester-response").filter(has_text="café").wait_for()
    page.get_by_label("Operation").select_option("BULK")
    page.get_by_label("Bulk request (JSON)").fill('{"get": ["user:3", "nobody"]}')
    page.get_by_role("button", name="Send request").click()
    page.locator("#tester-response").filter(has_text="nobody").wait_for()
    assert '"missing"' in page.locator("#tester-response").inner_text()
    shot("05b-api-tester-second-round")
    for made in ("hits", "user:4"):  # the stored items below are the four of before
        assert http.delete(f"{server}/v1/app/{made}", timeout=5).status_code == 204

    # Stored items: all, then by prefix; open one and delete it.
    page.get_by_role("link", name="Stored items").click()
    keys = page.get_by_role("table", name="Item keys")
    assert keys.get_by_role("link").all_inner_texts() == ["order:1", "user:1", "user:2", "user:3"]
    shot("06-items")
    page.get_by_label("Keys starting with").fill("user:")
    page.get_by_role("button", name="Search").click()
    page.wait_for_url(re.compile(r".*prefix=user"))
    assert keys.get_by_role("link").all_inner_texts() == ["user:1", "user:2", "user:3"]
    shot("07-items-search")
    page.get_by_role("link", name="user:1").click()
    assert '"admin"' in page.locator("#item-value").inner_text()
    shot("08-item")
    page.once("dialog", lambda dialog: dialog.accept())
    page.get_by_role("button", name="Delete item").click()
    page.get_by_text("Item 'user:1' is deleted.").wait_for()
    assert keys.get_by_role("link").all_inner_texts() == ["user:2", "user:3"]
    assert http.get(f"{server}/v1/app/user:1", timeout=5).status_code == 404

    # An item from the item form, with a TTL and metadata: a bad TTL is explained and
    # writes nothing; then both are shown, in the item and in the list.
    page.get_by_role("link", name="Store an item").click()
    page.get_by_label("Key", exact=True).fill("session:1")
    page.get_by_label("Value (JSON)").fill('{"cart": ["tea"]}')
    page.get_by_label("Expires after (seconds)").fill("0")
    page.get_by_label("Metadata (JSON object)").fill('{"user": 42}')
    page.get_by_role("button", name="Store item").click()
    page.locator("#ttl-error").wait_for()
    assert "The TTL is a whole number of seconds" in page.locator("#ttl-error").inner_text()
    assert page.get_by_label("Metadata (JSON object)").input_value() == '{"user": 42}'
    shot("08a-item-form-error")
    page.get_by_label("Expires after (seconds)").fill("300")
    page.get_by_role("button", name="Store item").click()
    page.get_by_text("Item 'session:1' is stored.").wait_for()
    assert "expires in" in page.locator(".stats").inner_text()
    assert '"user": 42' in page.locator("#item-metadata").inner_text()
    shot("08b-item-with-expiry")
    page.get_by_role("link", name="Stored items").click()  # all of them, not the search
    row = keys.get_by_role("row").filter(has_text="session:1")
    expiry = row.locator("time.expiry")
    assert re.fullmatch(r"expires in (5|4) min", expiry.inner_text())
    assert re.fullmatch(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC", expiry.get_attribute("title") or "")
    assert row.locator("code.metadata").inner_text() == '{"user":42}'
    assert keys.get_by_role("row").filter(has_text="user:2").locator("time").count() == 0
    shot("08c-items-details")

    # A counter from the item form, incremented from its page.
    page.get_by_role("link", name="Store an item").click()
    page.get_by_label("Key", exact=True).fill("visits")
    page.get_by_label("Value (JSON)").fill("41")
    page.get_by_role("button", name="Store item").click()
    page.get_by_label("Increment by").fill("1")
    page.get_by_role("button", name="Increment").click()
    page.get_by_text("Item 'visits' is now 42.").wait_for()
    assert page.locator("#item-value").inner_text().strip() == "42"
    shot("08d-item-incremented")

    # Usage: 3 PUTs + the tester's PUT and LIST + 2 GETs, then the tester's increment,
    # PUT, PATCH, LIST and a bulk get of 2 keys + 3 GETs + 2 DELETEs: each key counted
    # once (the dashboard's own reads and writes are not requests).
    page.get_by_role("link", name="Overview").click()
    requests_card = page.locator("#usage-requests")
    assert requests_card.locator("strong").inner_text() == "18"
    http.get(f"{server}/v1/app/user:2", timeout=5)
    page.reload()
    assert requests_card.locator("strong").inner_text() == "19"
    assert "app" in page.locator("#snippet-curl").inner_text()
    shot("09-overview")

    page.get_by_role("link", name="Namespaces").click()
    assert page.get_by_role("list", name="Your namespaces").get_by_text("app").is_visible()
    shot("10-namespaces")
    page.get_by_role("link", name="Delete app").click()
    assert page.get_by_text("5 items").is_visible()
    shot("11-delete-confirmation")

    # Kept: the items in reverse order, counted, and the user: ones deleted by prefix
    # after a confirmation that says how many.
    page.get_by_role("link", name="Keep it").click()
    page.get_by_role("link", name="Stored items").click()
    page.get_by_role("link", name="Reverse order (Z to A)").click()
    page.wait_for_url(re.compile(r".*reverse=1"))
    everything = ["visits", "user:3", "user:2", "session:1", "order:1"]
    assert keys.get_by_role("link").all_inner_texts() == everything
    page.get_by_label("Keys starting with").fill("user:")
    page.get_by_role("button", name="Search").click()
    page.wait_for_url(re.compile(r".*prefix=user.*reverse=1|.*reverse=1.*prefix=user"))
    assert keys.get_by_role("link").all_inner_texts() == ["user:3", "user:2"]
    assert page.locator("#items-count").inner_text() == "2 items start with “user:”"
    page.get_by_role("link", name="Delete these items").click()
    assert page.locator("#prefix-count").inner_text() == "2 items"
    shot("11a-delete-by-prefix")
    page.get_by_role("button", name="Delete 2 items").click()
    page.get_by_text("Deleted 2 items under 'user:'.").wait_for()
    assert page.locator("#items-count").inner_text() == "0 items start with “user:”"
    assert http.get(f"{server}/v1/app/user:2", timeout=5).status_code == 404
    page.get_by_role("link", name="Plan & billing").click()
    assert page.get_by_text("Current plan").is_visible()
    shot("12-billing")

    # A new password in the settings; the old one stops working.
    page.get_by_role("link", name="Settings").click()
    page.get_by_label("Current password").fill(PASSWORD)
    page.get_by_label("New password").fill(NEW_PASSWORD)
    page.get_by_role("button", name="Change password").click()
    page.get_by_text("Your password is changed.").wait_for()
    shot("13-settings")

    # Log out, see the way back for a forgotten password, and log in again.
    page.get_by_role("button", name="Log out").click()
    page.wait_for_url(re.compile(r".*/dashboard/login"))
    page.get_by_role("link", name="Forgot your password?").click()
    page.get_by_label("Email").fill(EMAIL)
    page.get_by_role("button", name="Email me a link").click()
    page.get_by_text("a link to reset its password is on its way").wait_for()
    shot("14-forgot-password")
    page.goto(f"{dashboard}/namespaces")
    assert "/dashboard/login" in page.url
    page.get_by_label("Email").fill(EMAIL)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.get_by_text("The email or the password is wrong.").wait_for()
    page.get_by_label("Email").fill(EMAIL)
    page.get_by_label("Password").fill(NEW_PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url(f"{dashboard}/namespaces")
    assert page.get_by_role("list", name="Your namespaces").get_by_text("app").is_visible()

    phones[0].context.close()
    context.close()
    assert problems == [], problems
