"""The items tab's third round: the reverse order toggle, the count of the items
shown, and deleting the items under a prefix behind a confirmation page."""

from __future__ import annotations

import html

import pytest

from kv_core.limits import LIMITS
from kv_dashboard.blueprints import namespaces


@pytest.fixture
def filled(services, ann):
    """Ann's ``app`` with three ``user:`` items and one ``order:`` item."""
    for key in ("user:1", "user:2", "user:3", "order:1"):
        services.browse.put(ann, "app", key, {"key": key})
    return ann


def text(response) -> str:
    return html.unescape(response.get_data(as_text=True))


def listed(response) -> list[str]:
    page = text(response)
    body = page[page.index("<tbody>") : page.index("</tbody>")]
    return [cell.split("</code>")[0] for cell in body.split("<code>")[1:]]


def requests_used(services, user_id) -> int:
    return services.usage.report(services.accounts.get(user_id)).requests_used


def test_the_list_turns_to_reverse_order_and_back(browser, filled):
    page = browser.get("/namespaces/app/items")
    assert listed(page) == ["order:1", "user:1", "user:2", "user:3"]
    assert 'href="/namespaces/app/items?reverse=1"' in text(page)
    reversed_page = browser.get("/namespaces/app/items?reverse=1")
    assert listed(reversed_page) == ["user:3", "user:2", "user:1", "order:1"]
    assert "Key order (A to Z)" in text(reversed_page)
    under = browser.get("/namespaces/app/items?prefix=user:&reverse=1")
    assert listed(under) == ["user:3", "user:2", "user:1"]


def test_the_reverse_pages_keep_their_direction(browser, services, ann):
    for number in range(namespaces.ITEMS_PER_PAGE + 5):
        services.browse.put(ann, "app", f"k{number:03}", number)
    first = text(browser.get("/namespaces/app/items?reverse=1"))
    assert "k024" in first
    assert "k004" not in first
    next_link = first.split('rel="next" href="')[1].split('"')[0]
    assert "reverse=1" in next_link
    second = browser.get(next_link)
    assert listed(second) == [f"k{number:03}" for number in range(4, -1, -1)]
    forward_cursor = next_link.split("cursor=")[1]
    refused = browser.get(f"/namespaces/app/items?cursor={forward_cursor}")
    assert refused.status_code == 400
    assert "The cursor is not one this listing gave out." in text(refused)


def test_the_list_says_how_many_items_there_are(browser, filled, services, clock):
    assert "4 items in this namespace" in text(browser.get("/namespaces/app/items"))
    assert "3 items start with “user:”" in text(browser.get("/namespaces/app/items?prefix=user:"))
    assert "1 item start with" in text(browser.get("/namespaces/app/items?prefix=order:"))
    assert "0 items start with" in text(browser.get("/namespaces/app/items?prefix=none:"))
    services.browse.put(filled, "app", "user:brief", 1, ttl=2)
    assert "4 items start with “user:”" in text(browser.get("/namespaces/app/items?prefix=user:"))


def test_a_prefix_too_long_is_refused_without_a_count(browser, filled):
    response = browser.get(f"/namespaces/app/items?prefix={'x' * (LIMITS.key_max_bytes + 1)}")
    assert response.status_code == 400
    assert 'id="items-count"' not in text(response)


def test_the_delete_link_shows_only_under_a_prefix_with_items(browser, filled):
    assert "/namespaces/app/items/delete" not in text(browser.get("/namespaces/app/items"))
    assert "/items/delete?prefix=user:" in text(browser.get("/namespaces/app/items?prefix=user:"))
    assert "/items/delete" not in text(browser.get("/namespaces/app/items?prefix=none:"))


def test_the_confirmation_says_how_many_and_deletes_nothing(browser, filled, services):
    response = browser.get("/namespaces/app/items/delete?prefix=user:")
    page = text(response)
    assert response.status_code == 200
    assert "Delete the items whose keys start with “user:”?" in page
    assert '<strong id="prefix-count">3 items</strong>' in page
    assert 'name="csrf_token"' in page
    assert 'name="prefix" type="hidden" value="user:"' in page
    assert services.browse.count(filled, "app") == 4


def test_deleting_by_prefix_deletes_only_under_it_and_says_how_many(browser, filled, services):
    used = requests_used(services, filled)
    response = browser.post("/namespaces/app/items/delete", {"prefix": "user:"})
    assert response.status_code == 302
    assert response.headers["Location"] == "/namespaces/app/items?prefix=user:"
    assert "Deleted 3 items under 'user:'." in text(browser.get(response.headers["Location"]))
    assert services.browse.list(filled, "app").keys == ["order:1"]
    namespace = services.namespaces.get(filled, "app")
    assert namespace.item_count == 1
    assert namespace.size_bytes == services.browse.get(filled, "app", "order:1").size
    assert requests_used(services, filled) == used


def test_deleting_goes_page_by_page_until_none_are_left(browser, services, ann, monkeypatch):
    for number in range(7):
        services.browse.put(ann, "app", f"log:{number}", number)
    calls = []
    delete_prefix = services.browse.delete_prefix

    def one_by_one(user_id, namespace, prefix, *, limit=None):
        calls.append(limit)
        return delete_prefix(user_id, namespace, prefix, limit=2)

    monkeypatch.setattr(services.browse, "delete_prefix", one_by_one)
    response = browser.post("/namespaces/app/items/delete", {"prefix": "log:"})
    assert "Deleted 7 items under 'log:'." in text(browser.get(response.headers["Location"]))
    assert calls == [1000] * 4
    assert services.browse.count(ann, "app") == 0


def test_a_bounded_number_of_pages_is_deleted_and_the_rest_is_said(
    browser, services, ann, monkeypatch
):
    for number in range(5):
        services.browse.put(ann, "app", f"log:{number}", number)
    delete_prefix = services.browse.delete_prefix
    monkeypatch.setattr(namespaces, "DELETE_PREFIX_PAGES", 2)
    monkeypatch.setattr(
        services.browse,
        "delete_prefix",
        lambda user_id, namespace, prefix, *, limit=None: delete_prefix(
            user_id, namespace, prefix, limit=1
        ),
    )
    response = browser.post("/namespaces/app/items/delete", {"prefix": "log:"})
    page = text(browser.get(response.headers["Location"]))
    assert "Deleted 2 items under 'log:'; more remain: delete again to go on." in page
    assert services.browse.count(ann, "app") == 3


def test_an_empty_prefix_is_refused_and_nothing_is_deleted(browser, filled, services):
    for response in (
        browser.get("/namespaces/app/items/delete"),
        browser.get("/namespaces/app/items/delete?prefix="),
        browser.post("/namespaces/app/items/delete", {"prefix": ""}),
        browser.post("/namespaces/app/items/delete", {}),
    ):
        assert response.status_code == 400
        page = text(response)
        assert "Give the prefix of the keys to delete." in page
        assert 'id="delete-prefix-form"' not in page
    assert services.browse.count(filled, "app") == 4


def test_a_prefix_too_long_to_delete_is_refused(browser, filled, services):
    too_long = "x" * (LIMITS.key_max_bytes + 1)
    response = browser.post("/namespaces/app/items/delete", {"prefix": too_long})
    assert response.status_code == 400
    assert f"A prefix is at most {LIMITS.key_max_bytes} bytes." in text(response)
    assert 'id="delete-prefix-form"' not in text(response)
    assert services.browse.count(filled, "app") == 4


def test_deleting_needs_the_csrf_token(browser, filled, services):
    response = browser.client.post("/namespaces/app/items/delete", data={"prefix": "user:"})
    assert response.status_code == 400
    forged = browser.client.post(
        "/namespaces/app/items/delete", data={"prefix": "user:", "csrf_token": "forged"}
    )
    assert forged.status_code == 400
    assert services.browse.count(filled, "app") == 4


def test_signed_out_the_confirmation_sends_to_the_login(app, filled, services):
    stranger = app.test_client()
    response = stranger.get("/namespaces/app/items/delete?prefix=user:")
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/login")
    assert (
        stranger.post("/namespaces/app/items/delete", data={"prefix": "user:"}).status_code == 400
    )
    assert services.browse.count(filled, "app") == 4


def test_another_users_namespace_is_not_found(new_browser, filled, services):
    bob = new_browser()
    bob.signup("bob@example.com")
    assert bob.get("/namespaces/app/items?reverse=1").status_code == 404
    assert bob.get("/namespaces/app/items/delete?prefix=user:").status_code == 404
    assert bob.post("/namespaces/app/items/delete", {"prefix": "user:"}).status_code == 404
    assert services.browse.count(filled, "app") == 4
