"""``GET /v1/{namespace}?changes=true``: the change feed as JSON (one answer, held with
``wait``) and as Server-Sent Events, and every refusal of it."""

from __future__ import annotations

import json
import threading
from dataclasses import replace

import pytest

from kv_api.stream_reader import BackgroundStreamReader
from kv_core.services.change_cursors import FeedCursor, encode_feed_cursor
from kv_core.store.testing import settle_changes

pytestmark = pytest.mark.feed


@pytest.fixture(autouse=True)
def stream_read(request, app, settings):
    """On DynamoDB, the table's stream read all along by serve's own reader."""
    if not app.extensions["kv_services"].store.remote:
        yield
        return
    request.getfixturevalue("atomic_moto")
    reader = BackgroundStreamReader(
        app.extensions["kv_services"].store, replace(settings, stream_interval_seconds=0.05)
    )
    reader.start()
    yield
    reader.stop()


def feed(account, query="", key=None, **headers):
    """The feed's answer, once the feed has caught up with what was written (on DynamoDB
    the stream reader may lag the writes by up to its interval)."""
    settle_changes(account.client.application.extensions["kv_services"].store)
    return account.client.get(
        f"/v1/{account.namespace}?changes=true{query}",
        headers={"x-api-key": key or account.api_key, **headers},
    )


def changes(response):
    assert response.status_code == 200, response.json
    return [(c["key"], c["op"], c["version"]) for c in response.json["changes"]]


def requests_used(account) -> int:
    return int(account.usage()["requests"]["used"])


def test_puts_and_deletes_come_in_order_with_their_values(account):
    account.put("a", {"n": 1})
    account.put("a", {"n": 2})
    account.client.delete(f"/v1/{account.namespace}/a", headers=account.key_header)
    response = feed(account)
    assert changes(response) == [("a", "put", 1), ("a", "put", 2), ("a", "delete", 2)]
    first, second, deleted = response.json["changes"]
    assert first["value"] == {"n": 1}
    assert second["value"] == {"n": 2}
    assert "value" not in deleted
    assert set(first) == {"key", "op", "version", "updatedAt", "expiresAt", "value", "cursor"}
    assert first["expiresAt"] is None
    assert deleted["cursor"] == response.json["cursor"]


def test_each_change_carries_the_cursor_right_after_it(account):
    for n in range(3):
        account.put(f"k{n}", n)
    page = feed(account).json["changes"]
    assert changes(feed(account, f"&since={page[0]['cursor']}")) == [
        ("k1", "put", 1),
        ("k2", "put", 1),
    ]
    assert changes(feed(account, f"&since={page[1]['cursor']}")) == [("k2", "put", 1)]


def test_the_cursor_resumes_after_what_was_read(account):
    account.put("a", 1)
    cursor = feed(account).json["cursor"]
    assert changes(feed(account, f"&since={cursor}")) == []
    account.put("b", 2)
    later = feed(account, f"&since={cursor}")
    assert changes(later) == [("b", "put", 1)]
    assert changes(feed(account, f"&since={later.json['cursor']}")) == []


def test_since_now_starts_at_the_present(account):
    account.put("a", 1)
    now = feed(account, "&since=now")
    assert changes(now) == []
    account.put("b", 1)
    assert changes(feed(account, f"&since={now.json['cursor']}")) == [("b", "put", 1)]


def test_limit_pages_the_feed(account):
    for key in "abc":
        account.put(key, 1)
    first = feed(account, "&limit=2")
    assert changes(first) == [("a", "put", 1), ("b", "put", 1)]
    assert changes(feed(account, f"&since={first.json['cursor']}")) == [("c", "put", 1)]


def test_prefix_filters_the_feed(account):
    account.put("user:1", 1)
    account.put("order:1", 1)
    assert changes(feed(account, "&prefix=user:")) == [("user:1", "put", 1)]


def test_a_held_answer_comes_when_a_change_does(account):
    cursor = feed(account, "&since=now").json["cursor"]
    answers = []
    holder = threading.Thread(
        target=lambda: answers.append(feed(account, f"&since={cursor}&wait=25"))
    )
    holder.start()
    account.put("late", 1)
    holder.join()
    assert changes(answers[0]) == [("late", "put", 1)]


def test_a_held_answer_without_changes_ends_after_the_wait(account):
    response = feed(account, "&since=now&wait=1")
    assert changes(response) == []
    assert response.json["cursor"]


def test_each_answer_counts_one_request(account):
    before = requests_used(account)
    feed(account)
    feed(account, "&wait=1")
    assert requests_used(account) == before + 2


def test_a_read_only_key_may_follow(account):
    reader = account.new_key(access="read-only")
    account.put("a", 1)
    assert changes(feed(account, key=reader)) == [("a", "put", 1)]


def test_a_prefix_scoped_key_follows_only_its_prefix(account, assert_error):
    created = account.client.post(
        "/v1/api-keys",
        json={"namespace": account.namespace, "keyPrefix": "user:"},
        headers=account.auth,
    )
    scoped = created.json["apiKey"]
    account.put("user:1", 1)
    account.put("order:1", 1)
    assert changes(feed(account, key=scoped)) == [("user:1", "put", 1)]
    assert changes(feed(account, "&prefix=user:1", key=scoped)) == [("user:1", "put", 1)]
    before = requests_used(account)
    assert_error(feed(account, "&prefix=order:", key=scoped), 403, "outside_key_prefix")
    assert requests_used(account) == before


BAD_INPUTS = [
    ("&since=garbage", "invalid_cursor"),
    ("&since=", None),  # empty: from the start, not an error
    ("&wait=0", "invalid_wait"),
    ("&wait=26", "invalid_wait"),
    ("&wait=1.5", "invalid_wait"),
    ("&wait=-1", "invalid_wait"),
    ("&limit=0", "invalid_limit"),
    ("&limit=1001", "invalid_limit"),
    ("&start=a", "invalid_changes"),
    ("&end=b", "invalid_changes"),
    ("&reverse=true", "invalid_changes"),
    ("&count=true", "invalid_changes"),
    ("&details=true", "invalid_changes"),
    ("&cursor=x", "invalid_changes"),
    ("&prefix=" + "x" * 513, "invalid_prefix"),
]


@pytest.mark.parametrize(("query", "code"), [case for case in BAD_INPUTS if case[1]])
def test_bad_input_is_refused_and_counts_nothing(account, assert_error, query, code):
    account.put("a", 1)
    before = requests_used(account)
    assert_error(feed(account, query), 400, code)
    assert requests_used(account) == before
    assert changes(feed(account)) == [("a", "put", 1)]


def test_changes_is_true_or_false(account, assert_error):
    assert_error(feed(account, "&changes=yes"), 400, "invalid_changes")


def test_another_namespaces_cursor_is_refused(account, other, assert_error):
    other.put("b", 1)
    foreign = other.client.get(
        f"/v1/{other.namespace}?changes=true", headers=other.key_header
    ).json["cursor"]
    assert_error(feed(account, f"&since={foreign}"), 400, "invalid_cursor")


def test_a_list_cursor_is_not_a_feed_cursor(account, assert_error):
    account.put("a", 1)
    account.put("b", 1)
    listed = account.client.get(f"/v1/{account.namespace}?limit=1", headers=account.key_header)
    assert_error(feed(account, f"&since={listed.json['cursor']}"), 400, "invalid_cursor")


def test_a_cursor_past_the_retention_is_gone(app, account, assert_error):
    services = app.extensions["kv_services"]
    namespace_id = services.store.get_namespace(account.user_id, account.namespace).id
    now = int(services.config.clock().timestamp())
    old = FeedCursor(namespace_id, 0, now - services.config.changes_retention_seconds - 1)
    fresh = FeedCursor(namespace_id, 0, now - services.config.changes_retention_seconds + 60)
    before = requests_used(account)
    assert_error(
        feed(account, f"&since={encode_feed_cursor(services.config.secret, old)}"),
        410,
        "cursor_expired",
    )
    assert requests_used(account) == before
    kept = feed(account, f"&since={encode_feed_cursor(services.config.secret, fresh)}")
    assert changes(kept) == []


def test_a_stream_is_refused_where_responses_are_buffered(account, assert_error):
    assert_error(feed(account, Accept="text/event-stream"), 406, "not_acceptable")


def events(text: str) -> list[dict[str, str]]:
    """The events of a stream's text, each field by name (comments as ``comment``)."""
    parsed = []
    for block in text.split("\n\n"):
        fields: dict[str, str] = {}
        for line in block.splitlines():
            name, _, value = line.partition(":")
            fields[name or "comment"] = value.strip()
        if fields:
            parsed.append(fields)
    return parsed


@pytest.fixture
def streaming(app):
    app.config.update(EVENT_STREAMS=True, CHANGES_STREAM_SECONDS=1)


def test_a_stream_sends_changes_and_resumes_from_the_last_event_id(streaming, account):
    account.put("a", 1)
    account.put("b", 2)
    response = feed(account, Accept="text/event-stream")
    assert response.status_code == 200
    assert response.mimetype == "text/event-stream"
    sent = events(response.get_data(as_text=True))
    changed = [event for event in sent if event.get("event") == "change"]
    assert [json.loads(event["data"])["key"] for event in changed] == ["a", "b"]
    assert all(event["id"] for event in sent if "retry" not in event)
    resumed = feed(account, Accept="text/event-stream", **{"Last-Event-ID": changed[0]["id"]})
    again = [e for e in events(resumed.get_data(as_text=True)) if e.get("event") == "change"]
    assert [json.loads(event["data"])["key"] for event in again] == ["b"]
    heartbeat = [event for event in sent if event.get("comment") == "heartbeat"]
    assert heartbeat
    assert heartbeat[-1]["id"]


def test_a_stream_takes_no_wait(streaming, account, assert_error):
    assert_error(feed(account, "&wait=5", Accept="text/event-stream"), 400, "invalid_wait")


def test_the_fast_path_hands_the_feed_to_flask(account):
    account.put("a", 1)
    assert changes(feed(account)) == [("a", "put", 1)]
