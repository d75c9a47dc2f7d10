"""Stored items with expiry and metadata: the detailed list, the item view, the item
form and its refusals, and the increment of a number item."""

from __future__ import annotations

import html
import json
from datetime import timedelta

import pytest

from kv_core.limits import LIMITS

NOW = 1_794_312_000  # the conftest clock's 2026-11-10 12:00 UTC, in unix seconds


@pytest.fixture
def app_id(services, ann):
    return services.store.get_namespace(ann, "app").id


def stored(services, app_id, key):
    return services.store.get_item(app_id, key, at=NOW)


def text(response) -> str:
    return html.unescape(response.get_data(as_text=True))


def test_the_clock_is_the_one_these_tests_assume(clock):
    assert int(clock().timestamp()) == NOW


def test_the_list_shows_version_update_expiry_and_metadata(browser, ann, services):
    services.browse.put(ann, "app", "session:1", {"cart": []}, ttl=300, metadata={"user": 42})
    services.browse.put(ann, "app", "session:1", {"cart": [1]}, ttl=300, metadata={"user": 42})
    services.browse.put(ann, "app", "plain", "forever")
    services.browse.put(ann, "app", "wide", 1, metadata={"note": "x" * 200})
    page = text(browser.get("/namespaces/app/items"))
    row = page[page.index("<code>session:1</code>") : page.index("</tr>", page.index("session:1"))]
    assert '<td data-label="Version">2</td>' in row
    assert "2026-11-10 12:00 UTC" in row
    assert "expires in 5 min" in row
    assert 'title="2026-11-10 12:05:00 UTC"' in row
    assert 'datetime="2026-11-10T12:05:00Z"' in row
    assert '{"user":42}' in row
    plain = page[page.index("<code>plain</code>") : page.index("</tr>", page.index("plain"))]
    assert "expires" not in plain
    assert "<td></td>" in plain
    assert '<td data-label="Metadata"></td>' in plain
    wide = page[page.index("<code>wide</code>") : page.index("</tr>", page.index("<code>wide"))]
    shown = wide.split('<code class="metadata"')[1].split(">", 1)[1].split("</code>")[0]
    assert shown.endswith("…")
    assert len(shown) == 60
    assert f'title="{{"note":"{"x" * 200}"}}"' in wide


def test_an_item_past_its_expiry_is_gone_from_the_list_and_its_page(browser, ann, services, clock):
    services.browse.put(ann, "app", "brief", 1, ttl=2)
    assert "brief" in browser.get("/namespaces/app/items").text
    clock.moment += timedelta(seconds=2)
    assert "brief" not in browser.get("/namespaces/app/items").text
    assert browser.get("/namespaces/app/item?key=brief").status_code == 404


@pytest.mark.parametrize(
    ("seconds", "said"),
    [
        (45, "expires in 45 s"),
        (299, "expires in 5 min"),
        (3 * 3600 + 5, "expires in 3 h"),
        (86_400 + 5, "expires in 1 day"),
        (2 * 86_400, "expires in 2 days"),
    ],
)
def test_expiry_is_said_in_the_largest_unit(browser, ann, services, seconds, said):
    services.browse.put(ann, "app", "k", 1, ttl=seconds)
    assert said in browser.get("/namespaces/app/items").text


def test_the_item_page_shows_expiry_and_metadata(browser, ann, services):
    services.browse.put(ann, "app", "doc", {"a": 1}, ttl=90, metadata={"owner": "ann"})
    page = text(browser.get("/namespaces/app/item?key=doc"))
    assert "2026-11-10 12:01:30 UTC" in page
    assert "(expires in 2 min)" in page  # 90 s, to the nearest minute
    assert 'id="item-metadata"' in page
    assert '"owner": "ann"' in page
    services.browse.put(ann, "app", "doc", {"a": 1})
    page = text(browser.get("/namespaces/app/item?key=doc"))
    assert "<dt>Expires</dt><dd>Never</dd>" in page
    assert 'id="item-metadata"' not in page


def form(**fields: str) -> dict[str, str]:
    return {"key": "session:9", "value": '{"cart": ["tea"]}', **fields}


def test_store_an_item_with_a_ttl_and_metadata(browser, ann, services, app_id):
    used = services.usage.report(services.accounts.get(ann)).requests_used
    response = browser.post("/namespaces/app/item/edit", form(ttl="600", metadata='{"user": 42}'))
    assert response.status_code == 302
    assert response.headers["Location"] == "/namespaces/app/item?key=session:9"
    item = stored(services, app_id, "session:9")
    assert item.value == {"cart": ["tea"]}
    assert item.expires_at == NOW + 600
    assert item.metadata == {"user": 42}
    page = text(browser.get(response.headers["Location"]))
    assert "Item 'session:9' is stored." in page
    assert "expires in 10 min" in page
    assert services.usage.report(services.accounts.get(ann)).requests_used == used


def test_store_an_item_that_expires_at_a_time(browser, ann, services, app_id):
    response = browser.post("/namespaces/app/item/edit", form(expires_at="2026-11-10T13:00:05"))
    assert response.status_code == 302
    assert stored(services, app_id, "session:9").expires_at == NOW + 3605


def test_storing_counts_the_metadata_in_the_namespace_size(browser, ann, services):
    browser.post("/namespaces/app/item/edit", form(metadata='{"user": 42}'))
    size = len("session:9") + len('{"cart":["tea"]}') + len('{"user":42}')
    assert services.namespaces.get(ann, "app").size_bytes == size


def test_the_edit_form_starts_as_the_item_is_and_saving_keeps_it(browser, ann, services, app_id):
    services.browse.put(ann, "app", "doc", {"a": 1}, ttl=3600, metadata={"owner": "ann"})
    page = text(browser.get("/namespaces/app/item/edit?key=doc"))
    assert 'value="doc"' in page
    assert '"a": 1' in page
    assert '"owner": "ann"' in page
    assert 'value="2026-11-10T13:00:00"' in page
    response = browser.post(
        "/namespaces/app/item/edit?key=doc",
        {
            "key": "doc",
            "value": '{"a": 2}',
            "expires_at": "2026-11-10T13:00:00",
            "metadata": '{"owner": "ann"}',
        },
    )
    assert response.status_code == 302
    item = stored(services, app_id, "doc")
    assert (item.value, item.version, item.expires_at) == ({"a": 2}, 2, NOW + 3600)
    assert "Item 'doc' is replaced." in text(browser.get(response.headers["Location"]))


def test_saving_without_an_expiry_makes_the_item_permanent(browser, ann, services, app_id):
    services.browse.put(ann, "app", "doc", 1, ttl=60)
    browser.post("/namespaces/app/item/edit?key=doc", {"key": "doc", "value": "1"})
    assert stored(services, app_id, "doc").expires_at is None


def test_a_missing_item_has_no_edit_form(browser, ann):
    assert browser.get("/namespaces/app/item/edit?key=nothing").status_code == 404


def test_another_users_namespace_has_no_item_form(browser, ann, new_browser, services):
    services.browse.put(ann, "app", "doc", 1)
    bob = new_browser()
    bob.signup("bob@example.com")
    assert bob.get("/namespaces/app/item/edit?key=doc").status_code == 404
    assert bob.post("/namespaces/app/item/edit", form()).status_code == 404
    assert bob.post("/namespaces/app/item/increment", {"key": "doc", "by": "1"}).status_code == 404


def test_the_form_needs_its_csrf_token(browser, ann, services, app_id):
    response = browser.client.post("/namespaces/app/item/edit", data=form())
    assert response.status_code in {400, 403}
    assert stored(services, app_id, "session:9") is None


def deep(levels: int) -> str:
    return '{"a": ' * levels + "1" + "}" * levels


BAD_INPUT = [
    ({"key": ""}, "key", "Give the item a key."),
    ({"key": "a\x01b"}, "key", "The key contains a control character."),
    ({"key": "k" * (LIMITS.key_max_bytes + 1)}, "key", f"{LIMITS.key_max_bytes} bytes"),
    ({"value": ""}, "value", "Give the item a value in JSON"),
    ({"value": "hello"}, "value", "The value is not valid JSON"),
    ({"value": '{"a": 1, "a": 2}'}, "value", "The name 'a' appears twice in one object."),
    ({"value": "NaN"}, "value", "The value is not valid JSON: NaN is not JSON."),
    (
        {"value": json.dumps("x" * LIMITS.value_max_bytes)},
        "value",
        f"values are at most {LIMITS.value_max_bytes:,} bytes",
    ),
    (
        {"value": deep(LIMITS.json_max_depth + 1)},
        "value",
        f"nested more than {LIMITS.json_max_depth} levels",
    ),
    ({"metadata": "{user: 42}"}, "metadata", "The metadata is not valid JSON"),
    ({"metadata": "[1, 2]"}, "metadata", "Metadata is a JSON object."),
    ({"metadata": '"note"'}, "metadata", "Metadata is a JSON object."),
    (
        {"metadata": json.dumps({"n": "x" * LIMITS.metadata_max_bytes})},
        "metadata",
        f"metadata is at most {LIMITS.metadata_max_bytes:,} bytes",
    ),
    (
        {"metadata": deep(LIMITS.json_max_depth + 1)},
        "metadata",
        f"nested more than {LIMITS.json_max_depth} levels",
    ),
    ({"ttl": "ten"}, "ttl", "The TTL is a whole number of seconds"),
    ({"ttl": "1.5"}, "ttl", "The TTL is a whole number of seconds"),
    ({"ttl": "0"}, "ttl", f"{LIMITS.ttl_min_seconds} to {LIMITS.ttl_max_seconds:,}."),
    ({"ttl": "-5"}, "ttl", f"{LIMITS.ttl_min_seconds} to {LIMITS.ttl_max_seconds:,}."),
    (
        {"ttl": str(LIMITS.ttl_max_seconds + 1)},
        "ttl",
        f"{LIMITS.ttl_min_seconds} to {LIMITS.ttl_max_seconds:,}.",
    ),
    (
        {"ttl": "60", "expires_at": "2026-11-10T13:00:00"},
        "ttl",
        "Give a TTL or an expiry time, not both.",
    ),
    ({"expires_at": "tomorrow"}, "expires_at", "Give the expiry time as a date and time"),
    ({"expires_at": "2026-11-10T12:00:00"}, "expires_at", "The expiry time is in the past"),
    ({"expires_at": "2020-01-01T00:00:00"}, "expires_at", "The expiry time is in the past"),
    ({"expires_at": "2040-01-01T00:00:00"}, "expires_at", "or further ahead than"),
]


@pytest.mark.parametrize(("fields", "field", "message"), BAD_INPUT)
def test_bad_input_is_explained_on_its_field_and_writes_nothing(
    browser, ann, services, app_id, fields, field, message
):
    response = browser.post("/namespaces/app/item/edit", form(**fields))
    assert response.status_code == 400
    page = text(response)
    error = page.split(f'id="{field}-error">', 1)[1].split("</p>", 1)[0]
    assert message in error
    assert f'id="{field}" ' in page
    assert 'aria-invalid="true"' in page
    assert services.namespaces.get(ann, "app").item_count == 0
    assert stored(services, app_id, fields.get("key", "session:9")) is None


def test_a_refused_form_keeps_what_was_typed(browser, ann):
    page = text(browser.post("/namespaces/app/item/edit", form(ttl="0", metadata='{"u": 1}')))
    assert 'value="0"' in page
    assert '{"u": 1}' in page
    assert '{"cart": ["tea"]}' in page


def test_a_replacement_refused_leaves_the_item_as_it_was(browser, ann, services, app_id):
    services.browse.put(ann, "app", "doc", {"a": 1}, metadata={"v": 1})
    response = browser.post(
        "/namespaces/app/item/edit?key=doc", {"key": "doc", "value": "2", "metadata": "[]"}
    )
    assert response.status_code == 400
    item = stored(services, app_id, "doc")
    assert (item.value, item.metadata, item.version) == ({"a": 1}, {"v": 1}, 1)


def test_a_write_past_the_storage_quota_is_refused_on_the_value(browser, ann, services, app_id):
    services.admin.set_plan("ann@example.com", services.accounts.get(ann).plan, storage_limit=20)
    response = browser.post("/namespaces/app/item/edit", form())
    assert response.status_code == 400
    error = text(response).split('id="value-error">', 1)[1].split("</p>", 1)[0]
    assert "storage" in error.lower()
    assert stored(services, app_id, "session:9") is None


def test_a_number_item_offers_an_increment_and_others_do_not(browser, ann, services):
    services.browse.put(ann, "app", "visits", 41)
    services.browse.put(ann, "app", "doc", {"n": 1})
    services.browse.put(ann, "app", "flag", True)
    assert (
        'action="/namespaces/app/item/increment"'
        in browser.get("/namespaces/app/item?key=visits").text
    )
    for key in ("doc", "flag"):
        page = browser.get(f"/namespaces/app/item?key={key}").text
        assert "/item/increment" not in page


def test_increment_adds_n_and_keeps_expiry_and_metadata(browser, ann, services, app_id):
    services.browse.put(ann, "app", "visits", 41, ttl=600, metadata={"kind": "counter"})
    response = browser.post("/namespaces/app/item/increment", {"key": "visits", "by": "1"})
    assert response.status_code == 302
    assert response.headers["Location"] == "/namespaces/app/item?key=visits"
    assert "Item 'visits' is now 42." in text(browser.get(response.headers["Location"]))
    browser.post("/namespaces/app/item/increment", {"key": "visits", "by": "-2.5"})
    item = stored(services, app_id, "visits")
    assert (item.value, item.expires_at, item.metadata) == (39.5, NOW + 600, {"kind": "counter"})


def test_increments_add_as_decimals(browser, ann, services, app_id):
    services.browse.put(ann, "app", "balance", 0.1)
    browser.post("/namespaces/app/item/increment", {"key": "balance", "by": "0.2"})
    assert stored(services, app_id, "balance").value == 0.3


@pytest.mark.parametrize("by", ["", "one", "true", "[1]", "NaN", '"1"'])
def test_a_bad_increment_is_explained_and_writes_nothing(browser, ann, services, app_id, by):
    services.browse.put(ann, "app", "visits", 41)
    response = browser.post("/namespaces/app/item/increment", {"key": "visits", "by": by})
    assert response.status_code == 400
    error = text(response).split('id="by-error">', 1)[1].split("</p>", 1)[0]
    assert "number" in error
    item = stored(services, app_id, "visits")
    assert (item.value, item.version) == (41, 1)


def test_an_item_no_longer_a_number_is_not_incremented(browser, ann, services, app_id):
    services.browse.put(ann, "app", "visits", "many")
    response = browser.post("/namespaces/app/item/increment", {"key": "visits", "by": "1"})
    assert response.status_code == 302
    page = text(browser.get(response.headers["Location"]))
    assert "not a number" in page
    assert stored(services, app_id, "visits").value == "many"


def test_an_increment_of_a_deleted_item_says_so(browser, ann):
    response = browser.post("/namespaces/app/item/increment", {"key": "gone", "by": "1"})
    assert response.status_code == 302
    assert "There is no item &#39;gone&#39; any more." in browser.get("/namespaces/app/items").text
