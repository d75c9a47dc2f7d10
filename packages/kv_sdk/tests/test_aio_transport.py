"""The async transport's retries, Retry-After and error mapping, against a local server
that fails on purpose: the same rules as the sync transport (test_transport.py)."""

from __future__ import annotations

import time

import httpx
import pytest

from kv_sdk import (
    NotFound,
    PreconditionFailed,
    QuotaExceeded,
    RateLimited,
    ServerError,
    TransportError,
    transport,
)
from kv_sdk.aio import AsyncAccountClient, AsyncKVClient
from kv_sdk.aio.transport import backoff

pytestmark = pytest.mark.anyio

ITEM = "/v1/app/k"
ITEM_BODY = {"key": "k", "value": {"n": 1}, "version": 1, "updatedAt": "2026-01-01T00:00:00Z"}
ETAG = {"ETag": '"e1"'}
QUOTA = {"error": "Quota.", "code": "request_quota_exceeded"}


@pytest.fixture
async def client(flaky):
    async with AsyncKVClient("kv_test", base_url=flaky.url, timeout=2) as kv:
        yield kv


async def test_get_is_retried_after_503_then_succeeds(flaky, client):
    flaky.script("GET", ITEM, flaky.reply(503), flaky.reply(200, ITEM_BODY, ETAG))
    item = await client.get("app", "k")
    assert (item.value, item.etag) == ({"n": 1}, '"e1"')
    assert flaky.count("GET", ITEM) == 2
    assert all(headers["x-api-key"] == "kv_test" for _, _, headers in flaky.attempts)
    assert all(h["User-Agent"].startswith("kv-sdk/") for _, _, h in flaky.attempts)


async def test_502_503_504_are_retried_in_turn(flaky, client):
    flaky.script(
        "GET",
        ITEM,
        flaky.reply(502),
        flaky.reply(503),
        flaky.reply(504),
        flaky.reply(200, ITEM_BODY, ETAG),
    )
    assert (await client.get("app", "k")).value == {"n": 1}
    assert flaky.count("GET", ITEM) == 4


async def test_retries_stop_at_max_retries_with_the_last_answer(flaky):
    flaky.script("GET", ITEM, flaky.reply(503, {"error": "Busy.", "code": "busy"}))
    async with AsyncKVClient("kv_test", base_url=flaky.url, max_retries=2) as kv:
        with pytest.raises(ServerError) as caught:
            await kv.get("app", "k")
    assert flaky.count("GET", ITEM) == 3
    assert (caught.value.status, caught.value.code, caught.value.message) == (503, "busy", "Busy.")
    assert isinstance(caught.value.response, httpx.Response)


async def test_no_retry_with_max_retries_zero(flaky):
    flaky.script("GET", ITEM, flaky.reply(503), flaky.reply(200, ITEM_BODY, ETAG))
    async with AsyncKVClient("kv_test", base_url=flaky.url, max_retries=0) as kv:
        with pytest.raises(ServerError):
            await kv.get("app", "k")
    assert flaky.count("GET", ITEM) == 1


async def test_500_is_not_retried(flaky, client):
    flaky.script("GET", ITEM, flaky.reply(500), flaky.reply(200, ITEM_BODY, ETAG))
    with pytest.raises(ServerError):
        await client.get("app", "k")
    assert flaky.count("GET", ITEM) == 1


async def test_retry_after_of_a_503_is_waited(flaky, client):
    flaky.script(
        "GET",
        ITEM,
        flaky.reply(503, headers={"Retry-After": "1"}),
        flaky.reply(200, ITEM_BODY, ETAG),
    )
    started = time.monotonic()
    await client.get("app", "k")
    assert time.monotonic() - started >= 1.0
    assert flaky.count("GET", ITEM) == 2


async def test_retry_after_is_capped_as_the_sync_client_caps_it(flaky, client, monkeypatch):
    monkeypatch.setattr(transport, "MAX_RETRY_AFTER", 0.2)
    flaky.script(
        "GET",
        ITEM,
        flaky.reply(503, headers={"Retry-After": "3600"}),
        flaky.reply(200, ITEM_BODY, ETAG),
    )
    started = time.monotonic()
    await client.get("app", "k")
    assert time.monotonic() - started < 5
    assert flaky.count("GET", ITEM) == 2


async def test_request_quota_429_is_not_retried_even_with_retry_after(flaky, client):
    flaky.script("GET", ITEM, flaky.reply(429, QUOTA, {"Retry-After": "86400"}))
    started = time.monotonic()
    with pytest.raises(QuotaExceeded) as caught:
        await client.get("app", "k")
    assert time.monotonic() - started < 5
    assert caught.value.retry_after == 86400
    assert flaky.count("GET", ITEM) == 1


async def test_a_throttled_login_is_rate_limited_not_a_quota(flaky):
    throttled = {"error": "Wait.", "code": "too_many_attempts"}
    flaky.script("POST", "/v1/auth/login", flaky.reply(429, throttled, {"Retry-After": "30"}))
    async with AsyncAccountClient(flaky.url) as account:
        with pytest.raises(RateLimited) as caught:
            await account.login("a@example.com", "password")
    assert not isinstance(caught.value, QuotaExceeded)
    assert caught.value.retry_after == 30
    assert flaky.count("POST", "/v1/auth/login") == 1


async def test_post_is_not_retried_after_reaching_the_server(flaky):
    flaky.script("POST", "/v1/namespaces", flaky.reply(503), flaky.reply(201, {}))
    async with AsyncAccountClient(flaky.url, token="t") as account:
        with pytest.raises(ServerError):
            await account.create_namespace("app")
    assert flaky.count("POST", "/v1/namespaces") == 1


async def test_post_is_not_retried_after_a_lost_response(flaky):
    flaky.script("POST", "/v1/auth/login", flaky.reply(200, {}, delay=1.5), flaky.reply(200, {}))
    async with AsyncAccountClient(flaky.url, timeout=0.5) as account:
        with pytest.raises(TransportError, match="timed out"):
            await account.login("a@example.com", "password")
    assert flaky.count("POST", "/v1/auth/login") == 1


async def test_post_is_retried_when_the_connection_was_never_made(unused_port):
    started = time.monotonic()
    async with AsyncAccountClient(f"http://127.0.0.1:{unused_port}", max_retries=2) as account:
        with pytest.raises(TransportError, match="refused"):
            await account.login("a@example.com", "password")
    # Two retries back off 0 then 2 x 0.25 s, as for a GET.
    assert time.monotonic() - started >= 0.5


async def test_get_is_retried_after_a_read_timeout(flaky):
    flaky.script(
        "GET", ITEM, flaky.reply(200, ITEM_BODY, ETAG, delay=1.5), flaky.reply(200, ITEM_BODY, ETAG)
    )
    async with AsyncKVClient("kv_test", base_url=flaky.url, timeout=0.5) as kv:
        assert (await kv.get("app", "k")).value == {"n": 1}
    assert flaky.count("GET", ITEM) == 2


async def test_plain_put_is_retried(flaky, client):
    written = {"key": "k", "version": 1, "updatedAt": "2026-01-01T00:00:00Z"}
    flaky.script("PUT", ITEM, flaky.reply(503), flaky.reply(201, written, ETAG))
    result = await client.put("app", "k", {"n": 1})
    assert (result.created, result.etag) == (True, '"e1"')
    assert flaky.count("PUT", ITEM) == 2


async def test_conditional_put_applied_before_a_lost_answer_is_reported_done(flaky, client):
    flaky.script(
        "PUT",
        ITEM,
        flaky.reply(504),
        flaky.reply(412, {"error": "Changed.", "code": "precondition_failed"}),
    )
    flaky.script("GET", ITEM, flaky.reply(200, {**ITEM_BODY, "version": 2}, {"ETag": '"e2"'}))
    result = await client.put("app", "k", {"n": 1}, if_match='"e0"')
    assert (result.etag, result.version, result.created) == ('"e2"', 2, False)
    assert [h["If-Match"] for m, _, h in flaky.attempts if m == "PUT"] == ['"e0"', '"e0"']


async def test_conditional_put_lost_to_another_writer_still_fails(flaky, client):
    flaky.script(
        "PUT",
        ITEM,
        flaky.reply(504),
        flaky.reply(412, {"error": "Changed.", "code": "precondition_failed"}),
    )
    flaky.script("GET", ITEM, flaky.reply(200, {**ITEM_BODY, "value": "theirs"}, ETAG))
    with pytest.raises(PreconditionFailed):
        await client.put("app", "k", {"n": 1}, only_if_absent=True)
    assert [h["If-None-Match"] for m, _, h in flaky.attempts if m == "PUT"] == ["*", "*"]


async def test_a_first_412_is_not_second_guessed(flaky, client):
    flaky.script("PUT", ITEM, flaky.reply(412, {"error": "Exists.", "code": "precondition_failed"}))
    flaky.script("GET", ITEM, flaky.reply(200, ITEM_BODY, ETAG))
    with pytest.raises(PreconditionFailed):
        await client.put("app", "k", {"n": 1}, only_if_absent=True)
    assert flaky.count("GET", ITEM) == 0


async def test_delete_whose_retry_finds_nothing_is_done(flaky, client):
    flaky.script(
        "DELETE",
        ITEM,
        flaky.reply(503),
        flaky.reply(404, {"error": "No.", "code": "item_not_found"}),
    )
    assert await client.delete("app", "k") is None
    assert flaky.count("DELETE", ITEM) == 2


async def test_delete_of_a_missing_item_is_not_found(flaky, client):
    flaky.script("DELETE", ITEM, flaky.reply(404, {"error": "No.", "code": "item_not_found"}))
    with pytest.raises(NotFound):
        await client.delete("app", "k")


async def test_an_error_page_that_is_not_json_still_maps(flaky):
    flaky.script(
        "GET", ITEM, flaky.reply(502, "<html>Bad Gateway</html>", {"Content-Type": "text/html"})
    )
    async with AsyncKVClient("kv_test", base_url=flaky.url, max_retries=0) as kv:
        with pytest.raises(ServerError) as caught:
            await kv.get("app", "k")
    assert (caught.value.status, caught.value.code) == (502, None)
    assert "502" in caught.value.message


async def test_connection_refused_is_retried_then_a_transport_error(unused_port):
    started = time.monotonic()
    async with AsyncKVClient("kv_test", base_url=f"http://127.0.0.1:{unused_port}") as kv:
        with pytest.raises(TransportError, match="refused") as caught:
            await kv.get("app", "k")
    assert (caught.value.status, caught.value.response) == (None, None)
    # Three retries back off 0, 0.5 and 1 s.
    assert time.monotonic() - started >= 1.5


def test_backoff_follows_urllib3():
    assert [backoff(n) for n in range(1, 5)] == [0.0, 0.5, 1.0, 2.0]
    assert backoff(20) == transport.BACKOFF_MAX
