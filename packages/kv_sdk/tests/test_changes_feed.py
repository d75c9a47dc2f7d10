"""The change feed's iterators against a local server that answers from a script:
resuming from the same cursor after failures, the cursor they keep, and what they raise."""

from __future__ import annotations

from urllib.parse import urlencode

import pytest

from kv_sdk import (
    ChangeFeed,
    CursorExpired,
    Gone,
    InvalidRequest,
    KVClient,
    QuotaExceeded,
    changes,
)
from kv_sdk.aio import AsyncChangeFeed, AsyncKVClient
from kv_sdk.changes import batch_of

PUT = {"key": "a", "op": "put", "version": 1, "updatedAt": "2026-01-01T00:00:00Z", "value": 1}
DELETE = {"key": "b", "op": "delete", "version": 3, "updatedAt": "2026-01-01T00:00:01Z"}
EXPIRE = {
    "key": "c",
    "op": "expire",
    "version": 1,
    "updatedAt": "2026-01-01T00:00:02Z",
    "expiresAt": 1767225602,
}


def feed_path(since: str | None = None, wait: int | None = 25, prefix: str | None = None) -> str:
    query = {"changes": "true"}
    if since is not None:
        query["since"] = since
    if prefix is not None:
        query["prefix"] = prefix
    if wait:
        query["wait"] = str(wait)
    return f"/v1/app?{urlencode(query)}"


@pytest.fixture(autouse=True)
def _no_backoff(monkeypatch):
    """The feed's waits between failed reads take no time here."""
    monkeypatch.setattr(changes, "BACKOFF_FACTOR", 0.0)


@pytest.fixture
def client(flaky):
    with KVClient("kv_test", base_url=flaky.url, timeout=2, max_retries=0) as kv:
        yield kv


def take(feed, count):
    return [next(feed) for _ in range(count)]


def test_the_feed_reads_each_answer_in_order_and_keeps_its_cursor(flaky, client):
    flaky.script("GET", feed_path(), flaky.reply(200, {"changes": [PUT, DELETE], "cursor": "c2"}))
    flaky.script(
        "GET",
        feed_path("c2"),
        flaky.reply(200, {"changes": [], "cursor": "c2"}),
        flaky.reply(200, {"changes": [EXPIRE], "cursor": "c3"}),
    )
    feed = client.changes("app")
    assert isinstance(feed, ChangeFeed)
    assert feed.cursor is None
    put, delete, expire = take(feed, 3)
    assert (put.key, put.op, put.version, put.value, put.has_value) == ("a", "put", 1, 1, True)
    assert (delete.key, delete.op, delete.value, delete.has_value) == ("b", "delete", None, False)
    assert (expire.op, expire.expires_at) == ("expire", 1767225602)
    assert expire.cursor == feed.cursor == "c3"
    assert flaky.count("GET", feed_path("c2")) == 2


def test_failed_reads_are_waited_out_and_asked_again_from_the_same_cursor(flaky, client):
    flaky.script("GET", feed_path(), flaky.reply(200, {"changes": [PUT], "cursor": "c1"}))
    flaky.script(
        "GET",
        feed_path("c1"),
        flaky.reply(500, {"error": "Boom.", "code": "internal_error"}),
        flaky.reply(0),
        flaky.reply(429, {"error": "Slow down.", "code": "rate_limited"}, {"Retry-After": "0"}),
        flaky.reply(503),
        flaky.reply(200, {"changes": [DELETE], "cursor": "c2"}),
    )
    feed = client.changes("app")
    assert [change.key for change in take(feed, 2)] == ["a", "b"]
    assert flaky.count("GET", feed_path("c1")) == 5
    assert flaky.count("GET", feed_path()) == 1
    assert feed.failures == 0
    assert feed.cursor == "c2"


def test_an_expired_cursor_raises_cursor_expired(flaky, client):
    expired = {"error": "The cursor is older than the changes kept.", "code": "cursor_expired"}
    flaky.script("GET", feed_path("old"), flaky.reply(410, expired))
    feed = client.changes("app", since="old")
    with pytest.raises(CursorExpired) as caught:
        next(feed)
    assert isinstance(caught.value, Gone)
    assert (caught.value.status, caught.value.code) == (410, "cursor_expired")
    assert feed.cursor == "old"
    assert flaky.count("GET", feed_path("old")) == 1


def test_a_refused_read_raises_at_once(flaky, client):
    bad = {"error": "Bad cursor.", "code": "invalid_cursor"}
    flaky.script("GET", feed_path("junk"), flaky.reply(400, bad))
    with pytest.raises(InvalidRequest) as caught:
        next(client.changes("app", since="junk"))
    assert caught.value.code == "invalid_cursor"
    assert flaky.count("GET", feed_path("junk")) == 1


def test_a_monthly_quota_is_not_waited_out(flaky, client):
    quota = {"error": "Quota.", "code": "request_quota_exceeded"}
    flaky.script("GET", feed_path("c1"), flaky.reply(429, quota, {"Retry-After": "86400"}))
    with pytest.raises(QuotaExceeded):
        next(client.changes("app", since="c1"))
    assert flaky.count("GET", feed_path("c1")) == 1


def test_since_now_becomes_a_real_cursor_before_the_feed_waits(flaky, client):
    flaky.script(
        "GET",
        feed_path("now", wait=None, prefix="user:"),
        flaky.reply(200, {"changes": [], "cursor": "c9"}),
    )
    flaky.script(
        "GET",
        feed_path("c9", prefix="user:"),
        flaky.reply(200, {"changes": [PUT], "cursor": "c10"}),
    )
    feed = client.changes("app", prefix="user:", since="now")
    assert next(feed).key == "a"
    assert feed.cursor == "c10"
    assert flaky.count("GET", feed_path("now", wait=None, prefix="user:")) == 1


def test_a_held_answer_is_given_the_wait_on_top_of_the_timeout(flaky):
    # The client's timeout (1 s) is shorter than the answer takes, but the read asked
    # the server to hold it up to 2 s.
    flaky.script(
        "GET",
        feed_path("c1", wait=2),
        flaky.reply(200, {"changes": [PUT], "cursor": "c2"}, delay=1.5),
    )
    with KVClient("kv_test", base_url=flaky.url, timeout=1, max_retries=0) as kv:
        feed = kv.changes("app", since="c1", wait=2)
        assert next(feed).key == "a"
        assert feed.failures == 0
    assert flaky.count("GET", feed_path("c1", wait=2)) == 1


@pytest.mark.parametrize("wait", [-1, 26])
def test_a_wait_out_of_range_is_refused_before_sending(flaky, client, wait):
    with pytest.raises(ValueError, match="wait"):
        client.changes("app", wait=wait)
    assert flaky.attempts == []


@pytest.mark.parametrize("wait", [1.5, True, "5"])
def test_a_wait_that_is_not_whole_seconds_is_refused(client, wait):
    with pytest.raises(TypeError, match="wait"):
        client.changes("app", wait=wait)


def test_without_a_cursor_of_its_own_a_change_resumes_from_its_answers_start():
    batch = batch_of({"changes": [PUT, DELETE, EXPIRE], "cursor": "c3"}, "c0")
    assert [change.cursor for change in batch.changes] == ["c0", "c0", "c3"]
    assert batch.cursor == "c3"


def test_a_change_with_a_cursor_of_its_own_resumes_from_there():
    entries = [{**PUT, "cursor": "c1"}, {**DELETE, "cursor": "c2"}]
    batch = batch_of({"changes": entries, "cursor": "c2"}, None)
    assert [change.cursor for change in batch.changes] == ["c1", "c2"]


def test_a_carried_null_is_told_from_no_value():
    entries = [{**PUT, "value": None}, {k: v for k, v in PUT.items() if k != "value"}]
    null, without = batch_of({"changes": entries, "cursor": "c"}, None).changes
    assert (null.value, null.has_value) == (None, True)
    assert (without.value, without.has_value) == (None, False)


@pytest.fixture
async def aclient(flaky):
    async with AsyncKVClient("kv_test", base_url=flaky.url, timeout=2, max_retries=0) as kv:
        yield kv


@pytest.mark.anyio
async def test_the_async_feed_resumes_alike(flaky, aclient):
    flaky.script("GET", feed_path(), flaky.reply(200, {"changes": [PUT], "cursor": "c1"}))
    flaky.script(
        "GET",
        feed_path("c1"),
        flaky.reply(500, {"error": "Boom.", "code": "internal_error"}),
        flaky.reply(0),
        flaky.reply(429, {"error": "Slow down.", "code": "rate_limited"}, {"Retry-After": "0"}),
        flaky.reply(200, {"changes": [DELETE, EXPIRE], "cursor": "c3"}),
    )
    feed = aclient.changes("app")
    assert isinstance(feed, AsyncChangeFeed)
    seen = []
    async for change in feed:
        seen.append((change.key, change.op))
        if len(seen) == 3:
            break
    assert seen == [("a", "put"), ("b", "delete"), ("c", "expire")]
    assert flaky.count("GET", feed_path("c1")) == 4
    assert feed.cursor == "c3"


@pytest.mark.anyio
async def test_the_async_feed_raises_cursor_expired(flaky, aclient):
    expired = {"error": "Too old.", "code": "cursor_expired"}
    flaky.script("GET", feed_path("old"), flaky.reply(410, expired))
    with pytest.raises(CursorExpired):
        await anext(aclient.changes("app", since="old"))
