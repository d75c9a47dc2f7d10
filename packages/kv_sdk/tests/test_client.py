"""KVClient against a live server: every method, awkward keys, pages and conditions."""

from __future__ import annotations

import pytest
import requests

from kv_sdk import KVClient, NotFound, PreconditionFailed
from kv_sdk.client import item_path

AWKWARD_KEYS = [
    "a/b",
    "a/b/c/",
    "x//y",
    "with space",
    "  padded  ",
    "ünïcödé/日本語",
    "emoji 🎉",
    "100%",
    "%2F",
    "%zz",
    "#fragment",
    "why?x=1&y=2",
    "plus+sign",
    "user:123",
    "semi;colon",
    "back\\slash",
    ".",
    "..",
    "a/../b",
    "./a",
    "~tilde",
    "quote'\"",
]


def test_put_then_get_returns_the_value_and_etag(kv, space):
    written = kv.put(space.name, "user:42", {"name": "Ada", "tags": ["a", 1, None]})
    assert written.created
    assert written.key == "user:42"
    assert written.version == 1
    item = kv.get(space.name, "user:42")
    assert item.value == {"name": "Ada", "tags": ["a", 1, None]}
    assert item.etag == written.etag
    assert item.etag.startswith('"')
    assert item.version == 1
    assert item.updated_at


def test_put_replaces_and_changes_the_etag(kv, space):
    first = kv.put(space.name, "k", 1)
    second = kv.put(space.name, "k", 2)
    assert not second.created
    assert second.etag != first.etag
    assert second.version == 2
    assert kv.get(space.name, "k").value == 2


@pytest.mark.parametrize("value", ["text", 0, -1.5, True, None, [], {}, {"deep": {"a": [1]}}])
def test_any_json_value_round_trips(kv, space, value):
    kv.put(space.name, "v", value)
    assert kv.get(space.name, "v").value == value


def test_delete_removes_the_item(kv, space):
    kv.put(space.name, "gone", "soon")
    assert kv.delete(space.name, "gone") is None
    with pytest.raises(NotFound):
        kv.get(space.name, "gone")
    with pytest.raises(NotFound) as missing:
        kv.delete(space.name, "gone")
    assert missing.value.code == "item_not_found"


@pytest.mark.parametrize("key", AWKWARD_KEYS)
def test_awkward_keys_are_stored_under_exactly_that_key(kv, space, key):
    kv.put(space.name, key, {"key": key})
    item = kv.get(space.name, key)
    assert (item.key, item.value) == (key, {"key": key})
    assert kv.list(space.name).keys == [key]
    kv.delete(space.name, key)
    assert kv.list(space.name).keys == []


def test_a_key_with_a_leading_slash(kv, space):
    kv.put(space.name, "/lead", 1)
    assert kv.get(space.name, "/lead").value == 1


def test_keys_are_quoted_whole():
    assert item_path("ns", "a/b?c#d%e f") == "/v1/ns/a%2Fb%3Fc%23d%25e%20f"
    assert item_path("ns", "..") == "/v1/ns/%2E%2E"
    with pytest.raises(ValueError, match="key"):
        item_path("ns", "")
    with pytest.raises(ValueError, match="namespace"):
        item_path("", "k")


def test_list_pages_through_more_than_three_pages(kv, space):
    keys = sorted(f"item/{i:03d}" for i in range(23))
    for key in keys:
        kv.put(space.name, key, key)
    kv.put(space.name, "other", 0)
    pages, cursor = [], None
    while True:
        page = kv.list(space.name, prefix="item/", limit=5, cursor=cursor)
        pages.append(page.keys)
        cursor = page.cursor
        if cursor is None:
            break
    assert [len(p) for p in pages] == [5, 5, 5, 5, 3]
    assert [k for p in pages for k in p] == keys
    assert list(kv.iter_keys(space.name, "item/", page_size=4)) == keys
    assert list(kv.iter_keys(space.name)) == [*keys, "other"]
    assert len(kv.list(space.name, limit=7)) == 7
    assert list(kv.list(space.name, prefix="other")) == ["other"]


def test_iter_items_yields_values_in_key_order(kv, space):
    for i in range(5):
        kv.put(space.name, f"k{i}", {"i": i})
    items = list(kv.iter_items(space.name, page_size=2))
    assert [(i.key, i.value) for i in items] == [(f"k{i}", {"i": i}) for i in range(5)]
    assert all(i.etag for i in items)


def test_only_if_absent_creates_once(kv, space):
    created = kv.put(space.name, "lock", "mine", only_if_absent=True)
    assert created.created
    with pytest.raises(PreconditionFailed) as lost:
        kv.put(space.name, "lock", "theirs", only_if_absent=True)
    assert lost.value.status == 412
    assert kv.get(space.name, "lock").value == "mine"


def test_if_match_is_compare_and_swap(kv, space):
    kv.put(space.name, "counter", 1)
    seen = kv.get(space.name, "counter")
    kv.put(space.name, "counter", seen.value + 1, if_match=seen.etag)
    with pytest.raises(PreconditionFailed):
        kv.put(space.name, "counter", seen.value + 10, if_match=seen.etag)
    assert kv.get(space.name, "counter").value == 2
    # A bare etag (without its quotes) is accepted too.
    current = kv.get(space.name, "counter")
    kv.put(space.name, "counter", 3, if_match=current.etag.strip('"'))
    assert kv.get(space.name, "counter").value == 3


def test_if_match_on_a_missing_item_fails(kv, space):
    with pytest.raises((PreconditionFailed, NotFound)):
        kv.put(space.name, "never", 1, if_match='"abc"')
    with pytest.raises(NotFound):
        kv.get(space.name, "never")


def test_conditional_delete(kv, space):
    kv.put(space.name, "k", 1)
    stale = kv.get(space.name, "k").etag
    kv.put(space.name, "k", 2)
    with pytest.raises(PreconditionFailed):
        kv.delete(space.name, "k", if_match=stale)
    kv.delete(space.name, "k", if_match=kv.get(space.name, "k").etag)
    with pytest.raises(NotFound):
        kv.get(space.name, "k")


def test_both_conditions_at_once_is_a_mistake(kv, space):
    with pytest.raises(ValueError, match="not both"):
        kv.put(space.name, "k", 1, if_match='"x"', only_if_absent=True)


def test_values_that_are_not_json_are_refused_before_sending(kv, space):
    with pytest.raises(ValueError, match="JSON"):
        kv.put(space.name, "k", float("nan"))
    with pytest.raises(TypeError):
        kv.put(space.name, "k", {1, 2})
    assert kv.list(space.name).keys == []


def test_key_and_base_url_come_from_the_environment(server, space, monkeypatch):
    monkeypatch.setenv("KV_API_KEY", space.secret)
    monkeypatch.setenv("KV_BASE_URL", server + "/v1/")
    with KVClient() as kv:
        assert kv.base_url == server
        kv.put(space.name, "env", True)
        assert kv.get(space.name, "env").value is True


def test_default_base_url_is_the_local_server(monkeypatch):
    monkeypatch.setenv("KV_API_KEY", "kv_x")
    with KVClient() as kv:
        assert kv.base_url == "http://127.0.0.1:8000"
        assert "kv_x" not in repr(kv)


def test_one_pool_is_reused_and_closed_by_the_context_manager(server, space):
    with KVClient(space.secret, base_url=server) as kv:
        kv.put(space.name, "a", 1)
        adapter = kv._transport.session.get_adapter(server)
        pools_before = len(adapter.poolmanager.pools)
        for _ in range(5):
            kv.get(space.name, "a")
        assert len(adapter.poolmanager.pools) == pools_before == 1
    assert len(adapter.poolmanager.pools) == 0


def test_a_session_of_my_own_is_used_and_left_open(server, space):
    session = requests.Session()
    seen = []
    session.hooks["response"].append(lambda response, **_: seen.append(response.status_code))
    with KVClient(space.secret, base_url=server, session=session) as kv:
        kv.put(space.name, "mine", 1)
    assert seen == [201]
    assert session.get(f"{server}/v1/health").ok
    session.close()


def test_default_timeout_is_set(server, space):
    with KVClient(space.secret, base_url=server) as kv:
        assert kv._transport.timeout == 10.0
