"""Namespaces, API keys and stored items through the pages."""

import contextlib
import re
from datetime import timedelta

import pytest

from kv_core.errors import NotFound


@pytest.fixture
def key(services, ann):
    """A read-write key of Ann's ``app``, with three items written through it."""
    raw = services.api_keys.create(ann, "app", "server").raw
    principal = services.items.authorize(raw, "app", write=True)
    for name, value in [("user/1", {"n": 1}), ("user/2", {"n": 2}), ("order/1", [1, 2])]:
        services.items.put(principal, name, value)
    return raw


def test_empty_state_says_what_to_do(new_browser):
    browser = new_browser()
    browser.signup("new@example.com")
    page = browser.get("/namespaces").text
    assert "No namespaces yet" in page
    assert "Create one above" in page


def test_create_a_namespace(browser, ann, services):
    response = browser.post("/namespaces", {"name": "shop"})
    assert response.status_code == 302
    assert response.headers["Location"] == "/namespaces/shop"
    assert [ns.name for ns in services.namespaces.list(ann)] == ["app", "shop"]
    page = browser.get("/namespaces").text
    assert "shop" in page
    assert "Empty" in page


@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("Bad Name", "1 to 64 characters of a-z"),
        ("usage", "reserved name"),
        ("app", "already have a namespace called"),
    ],
)
def test_invalid_names_are_explained_and_kept(browser, ann, name, message):
    response = browser.post("/namespaces", {"name": name})
    assert response.status_code == 400
    assert message in response.text
    assert f'value="{name}"' in response.text


def test_cards_show_counts_bytes_and_status(browser, ann, key, services):
    page = browser.get("/namespaces").text
    size = services.namespaces.get(ann, "app").size_bytes
    assert re.search(r"<dt>Items</dt><dd>3</dd>", page)
    assert f"<dd>{size} B</dd>" in page
    assert "Active" in page


def test_generate_a_key_shows_it_once(browser, ann, services):
    response = browser.post("/namespaces/app/keys", {"name": "ci", "access": "read-only"})
    assert response.status_code == 201
    assert response.headers["Cache-Control"] == "no-store"
    raw = re.search(r'<code id="raw-key">(kv_[^<]+)</code>', response.text).group(1)
    key, _ = services.api_keys.resolve(raw)
    assert (key.name, key.access) == ("ci", "read-only")
    again = browser.get("/namespaces/app").text
    assert raw not in again
    assert key.prefix in again
    assert "read-only" in again


def test_a_revoked_key_stays_revoked(browser, ann, key, services):
    (api_key,) = services.api_keys.list(ann, "app")
    response = browser.post(f"/namespaces/app/keys/{api_key.id}/revoke")
    assert response.status_code == 302
    assert services.api_keys.list(ann, "app") == []
    with pytest.raises(Exception, match="revoked"):
        services.items.authorize(key, "app", write=False)
    assert browser.post(f"/namespaces/app/keys/{api_key.id}/revoke").status_code == 404
    assert "No API keys yet" in browser.get("/namespaces/app").text


def test_another_users_namespace_is_not_found(browser, ann, key, services, new_browser):
    (api_key,) = services.api_keys.list(ann, "app")
    bob = new_browser()
    bob.signup("bob@example.com")
    for path in [
        "/namespaces/app",
        "/namespaces/app/items",
        "/namespaces/app/item?key=user/1",
        "/namespaces/app/tester",
        "/namespaces/app/delete",
    ]:
        assert bob.get(path).status_code == 404, path
    assert bob.post(f"/namespaces/app/keys/{api_key.id}/revoke").status_code == 404
    assert bob.post("/namespaces/app/item/delete", {"key": "user/1"}).status_code == 404
    assert bob.post("/namespaces/app/delete", {"confirm": "app"}).status_code == 404
    assert bob.post("/namespaces/app/keys", {"access": "read-write"}).status_code == 404
    assert services.browse.get(ann, "app", "user/1").value == {"n": 1}
    assert len(services.api_keys.list(ann, "app")) == 1


def test_a_revoke_through_another_namespace_is_not_found(browser, ann, key, services):
    services.namespaces.create(ann, "other")
    (api_key,) = services.api_keys.list(ann, "app")
    assert browser.post(f"/namespaces/other/keys/{api_key.id}/revoke").status_code == 404
    assert len(services.api_keys.list(ann, "app")) == 1


def test_items_are_listed_searched_and_paged(browser, ann, key, services, monkeypatch):
    from kv_dashboard.blueprints import namespaces

    page = browser.get("/namespaces/app/items").text
    assert page.index("order/1") < page.index("user/1") < page.index("user/2")
    found = browser.get("/namespaces/app/items?prefix=user/").text
    assert "user/1" in found
    assert "order/1" not in found
    monkeypatch.setattr(namespaces, "ITEMS_PER_PAGE", 2)
    first = browser.get("/namespaces/app/items").text
    cursor = re.search(r'cursor=([^"]+)" rel|rel="next" href="[^"]*cursor=([^"]+)"', first)
    assert cursor, first
    next_url = re.search(r'rel="next" href="([^"]+)"', first).group(1).replace("&amp;", "&")
    second = browser.get(next_url).text
    assert "user/2" in second
    assert "user/1" not in second
    assert 'rel="next"' not in second


def test_a_bad_cursor_is_explained(browser, ann, key):
    response = browser.get("/namespaces/app/items?cursor=forged")
    assert response.status_code == 400
    assert "not one this listing gave out" in response.text


def test_no_match_has_its_own_empty_state(browser, ann, key):
    assert "No keys start with" in browser.get("/namespaces/app/items?prefix=zzz").text
    browser.post("/namespaces", {"name": "blank"})
    assert "This namespace is empty" in browser.get("/namespaces/blank/items").text


def test_view_and_delete_an_item_without_counting_requests(browser, ann, key, services):
    used = services.usage.report(services.accounts.get(ann)).requests_used
    page = browser.get("/namespaces/app/item?key=order/1").text
    assert "[\n  1,\n  2\n]" in page
    response = browser.post("/namespaces/app/item/delete", {"key": "order/1"})
    assert response.status_code == 302
    assert "<code>order/1</code>" not in browser.get("/namespaces/app/items").text
    assert browser.get("/namespaces/app/item?key=order/1").status_code == 404
    assert services.usage.report(services.accounts.get(ann)).requests_used == used


def test_delete_confirmation_names_the_loss(browser, ann, key, services):
    page = browser.get("/namespaces/app/delete").text
    assert "3 items" in page
    assert "1 API key" in page
    response = browser.post("/namespaces/app/delete", {"confirm": "nope"})
    assert response.status_code == 400
    assert "Type &#39;app&#39; exactly" in response.text
    assert services.namespaces.list(ann)
    response = browser.post("/namespaces/app/delete", {"confirm": "app"})
    assert response.status_code == 302
    assert services.namespaces.list(ann) == []


def test_tester_page_knows_the_namespace_and_api(browser, ann):
    page = browser.get("/namespaces/app/tester").text
    assert 'data-api-base="/v1"' in page
    assert 'data-namespace="app"' in page


def test_reloading_the_key_form_shows_the_keys_without_a_raw_key(browser, ann):
    response = browser.get("/namespaces/app/keys")
    assert response.status_code == 302
    assert response.headers["Location"] == "/namespaces/app"


def test_a_key_can_be_confined_to_a_prefix_and_expire(browser, ann, services, clock):
    response = browser.post(
        "/namespaces/app/keys",
        {"name": "sessions", "access": "read-write", "key_prefix": "session:", "lifetime": "7"},
    )
    assert response.status_code == 201
    [key] = [k for k in services.api_keys.list(ann, "app") if k.name == "sessions"]
    assert key.key_prefix == "session:"
    assert key.expires_at == int(clock.moment.timestamp()) + 7 * 86_400
    page = browser.get("/namespaces/app").text
    assert "<code>session:…</code>" in page
    assert "Expired" not in page
    clock.moment += timedelta(days=8)
    assert browser.login("ann@example.com").status_code == 302  # the sign-in expired too
    assert 'badge--exceeded">Expired' in browser.get("/namespaces/app").text


def test_a_bad_key_prefix_is_refused_on_its_field(browser, ann, services):
    response = browser.post(
        "/namespaces/app/keys", {"name": "x", "access": "read-write", "key_prefix": "a\u0007"}
    )
    assert response.status_code == 400
    assert "control character" in response.text
    assert [k.name for k in services.api_keys.list(ann, "app")] == []


def test_the_keys_page_shows_each_keys_requests_this_month(browser, ann, key, services):
    reader = services.api_keys.create(ann, "app", "reader", "read-only").raw
    principal = services.items.authorize(reader, "app", write=False)
    for name in ("user/1", "user/2", "missing"):
        with contextlib.suppress(NotFound):  # a 404 counts too
            services.items.get(principal, name)
    page = browser.get("/namespaces/app").text
    assert "Requests this month" in page
    counts = re.findall(r'<td class="table__number">([\d,]+)</td>', page)
    assert counts == ["3", "3"]  # the server's three writes, the reader's three reads
