"""The items tab's live refresh: the session-signed long poll that says when the
namespace changed, and the page that carries where to follow it from."""

from __future__ import annotations

import html
import re
import threading

import pytest


@pytest.fixture
def app(services, settings):
    from kv_dashboard import create_app

    # Polls with nothing to report answer at once here, unless a test holds them.
    return create_app(
        {"TESTING": True, "LIVE_WAIT_SECONDS": 0}, services=services, settings=settings
    )


def position(browser, prefix: str = "") -> int:
    query = f"?prefix={prefix}" if prefix else ""
    page = html.unescape(browser.get(f"/namespaces/app/items{query}").get_data(as_text=True))
    found = re.search(r'data-changes-url="([^"]+)" data-since="(\d+)"', page)
    assert found, "the items page carries no live refresh"
    return int(found.group(2))


def poll(browser, since, prefix: str | None = None):
    query = {"since": since} if prefix is None else {"since": since, "prefix": prefix}
    return browser.get("/namespaces/app/changes", query_string=query)


def test_the_items_page_follows_the_changes_from_where_its_list_is(browser, ann, services):
    services.browse.put(ann, "app", "a", 1)
    page = browser.get("/namespaces/app/items?prefix=us").get_data(as_text=True)
    assert 'data-changes-url="/namespaces/app/changes?prefix=us"' in page
    assert "data-live-list" in page
    assert position(browser) == services.store.last_change(
        services.store.get_namespace(ann, "app").id
    )


def test_a_poll_says_that_something_changed_and_where_to_follow_on(browser, ann, services):
    since = position(browser)
    services.browse.put(ann, "app", "user:1", {"name": "Ada"})
    answer = poll(browser, since)
    assert answer.status_code == 200
    assert answer.headers["Cache-Control"] == "no-store"
    body = answer.get_json()
    assert body["changed"] is True
    assert body["since"] > since
    assert position(browser) == body["since"]
    assert poll(browser, body["since"]).get_json() == {"changed": False, "since": body["since"]}


def test_deletes_are_changes_too(browser, ann, services):
    services.browse.put(ann, "app", "k", 1)
    since = position(browser)
    services.browse.delete(ann, "app", "k")
    assert poll(browser, since).get_json()["changed"] is True


def test_only_changes_under_the_searched_prefix_count(browser, ann, services):
    since = position(browser)
    services.browse.put(ann, "app", "order:1", 1)
    quiet = poll(browser, since, prefix="user:").get_json()
    assert quiet["changed"] is False
    assert quiet["since"] >= since
    services.browse.put(ann, "app", "user:1", 1)
    assert poll(browser, quiet["since"], prefix="user:").get_json()["changed"] is True


def test_a_held_poll_answers_when_a_change_comes(app, browser, ann, services):
    app.config["LIVE_WAIT_SECONDS"] = 20
    since = position(browser)
    started = threading.Event()
    writer = threading.Thread(
        target=lambda: (started.wait(), services.browse.put(ann, "app", "late", True))
    )
    writer.start()
    started.set()
    answer = poll(browser, since)
    writer.join()
    assert answer.get_json()["changed"] is True


def test_a_signed_out_poll_is_401_not_the_login_page(browser, ann, services, new_browser):
    stranger = new_browser()
    answer = poll(stranger, 0)
    assert answer.status_code == 401
    assert answer.get_json()["code"] == "not_signed_in"


def test_another_accounts_namespace_is_404(browser, ann, services, new_browser):
    services.browse.put(ann, "app", "secret", 1)
    bob = new_browser()
    assert bob.signup("bob@example.com").status_code == 302
    answer = poll(bob, 0)
    assert answer.status_code == 404
    assert answer.get_json()["code"] == "namespace_not_found"
    assert "since" not in answer.get_json()
    assert bob.get("/namespaces/nowhere/changes?since=0").status_code == 404


@pytest.mark.parametrize("since", ["", "abc", "1.5", "-1"])
def test_a_bad_position_is_400_and_changes_nothing(browser, ann, services, since):
    namespace = services.store.get_namespace(ann, "app")
    before = services.store.last_change(namespace.id)
    answer = browser.get("/namespaces/app/changes", query_string={"since": since})
    assert answer.status_code == 400
    assert answer.get_json()["code"] == "invalid_cursor"
    assert services.store.last_change(namespace.id) == before
    assert services.store.get_namespace(ann, "app").item_count == namespace.item_count


def test_a_poll_needs_no_csrf_token_and_writes_nothing(browser, ann, services):
    # The browser's GETs carry no token; the poll is a read like any page.
    since = position(browser)
    assert poll(browser, since).status_code == 200
    assert services.store.get_namespace(ann, "app").item_count == 0
