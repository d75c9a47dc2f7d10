"""Retries, Retry-After and error mapping, against a local server that fails on purpose."""

from __future__ import annotations

import time

import pytest

from kv_sdk import (
    AccountClient,
    KVClient,
    NotFound,
    PreconditionFailed,
    QuotaExceeded,
    ServerError,
    TransportError,
    transport,
)

ITEM = "/v1/app/k"
ITEM_BODY = {"key": "k", "value": {"n": 1}, "version": 1, "updatedAt": "2026-01-01T00:00:00Z"}
ETAG = {"ETag": '"e1"'}


@pytest.fixture
def client(flaky):
    with KVClient("kv_test", base_url=flaky.url, timeout=2) as kv:
        yield kv


def test_get_is_retried_after_503_then_succeeds(flaky, client):
    flaky.script("GET", ITEM, flaky.reply(503), flaky.reply(200, ITEM_BODY, ETAG))
    item = client.get("app", "k")
    assert (item.value, item.etag) == ({"n": 1}, '"e1"')
    assert flaky.count("GET", ITEM) == 2
    assert all(headers["x-api-key"] == "kv_test" for _, _, headers in flaky.attempts)


def test_502_503_504_are_retried_in_turn(flaky, client):
    flaky.script(
        "GET",
        ITEM,
        flaky.reply(502),
        flaky.reply(503),
        flaky.reply(504),
        flaky.reply(200, ITEM_BODY, ETAG),
    )
    assert client.get("app", "k").value == {"n": 1}
    assert flaky.count("GET", ITEM) == 4


def test_retries_stop_at_max_retries_with_the_last_answer(flaky):
    flaky.script("GET", ITEM, flaky.reply(503, {"error": "Busy.", "code": "busy"}))
    with (
        KVClient("kv_test", base_url=flaky.url, max_retries=2) as kv,
        pytest.raises(ServerError) as caught,
    ):
        kv.get("app", "k")
    assert flaky.count("GET", ITEM) == 3
    assert (caught.value.status, caught.value.code, caught.value.message) == (503, "busy", "Busy.")


def test_no_retry_with_max_retries_zero(flaky):
    flaky.script("GET", ITEM, flaky.reply(503), flaky.reply(200, ITEM_BODY, ETAG))
    with KVClient("kv_test", base_url=flaky.url, max_retries=0) as kv, pytest.raises(ServerError):
        kv.get("app", "k")
    assert flaky.count("GET", ITEM) == 1


def test_500_is_not_retried(flaky, client):
    flaky.script("GET", ITEM, flaky.reply(500), flaky.reply(200, ITEM_BODY, ETAG))
    with pytest.raises(ServerError):
        client.get("app", "k")
    assert flaky.count("GET", ITEM) == 1


def test_post_is_never_retried(flaky):
    flaky.script("POST", "/v1/namespaces", flaky.reply(503), flaky.reply(201, {}))
    with AccountClient(flaky.url, token="t") as account, pytest.raises(ServerError):
        account.create_namespace("app")
    assert flaky.count("POST", "/v1/namespaces") == 1


def test_post_is_not_retried_after_a_lost_response(flaky):
    flaky.script("POST", "/v1/auth/login", flaky.reply(200, {}, delay=1.5), flaky.reply(200, {}))
    with AccountClient(flaky.url, timeout=0.5) as account, pytest.raises(TransportError):
        account.login("a@example.com", "password")
    assert flaky.count("POST", "/v1/auth/login") == 1


def test_get_is_retried_after_a_read_timeout(flaky):
    flaky.script(
        "GET", ITEM, flaky.reply(200, ITEM_BODY, ETAG, delay=1.5), flaky.reply(200, ITEM_BODY, ETAG)
    )
    with KVClient("kv_test", base_url=flaky.url, timeout=0.5) as kv:
        assert kv.get("app", "k").value == {"n": 1}
    assert flaky.count("GET", ITEM) == 2


def test_retry_after_is_honoured(flaky, client):
    flaky.script(
        "GET",
        ITEM,
        flaky.reply(503, headers={"Retry-After": "1"}),
        flaky.reply(200, ITEM_BODY, ETAG),
    )
    started = time.monotonic()
    client.get("app", "k")
    assert time.monotonic() - started >= 1.0
    assert flaky.count("GET", ITEM) == 2


def test_retry_after_is_capped(flaky, client, monkeypatch):
    monkeypatch.setattr(transport, "MAX_RETRY_AFTER", 0.2)
    flaky.script(
        "GET",
        ITEM,
        flaky.reply(503, headers={"Retry-After": "3600"}),
        flaky.reply(200, ITEM_BODY, ETAG),
    )
    started = time.monotonic()
    client.get("app", "k")
    assert time.monotonic() - started < 5
    assert flaky.count("GET", ITEM) == 2


def test_429_is_not_retried_even_with_retry_after(flaky, client):
    quota = {"error": "Quota.", "code": "request_quota_exceeded"}
    flaky.script("GET", ITEM, flaky.reply(429, quota, {"Retry-After": "86400"}))
    started = time.monotonic()
    with pytest.raises(QuotaExceeded) as caught:
        client.get("app", "k")
    assert time.monotonic() - started < 5
    assert caught.value.retry_after == 86400
    assert flaky.count("GET", ITEM) == 1


def test_plain_put_is_retried(flaky, client):
    written = {"key": "k", "version": 1, "updatedAt": "2026-01-01T00:00:00Z"}
    flaky.script("PUT", ITEM, flaky.reply(503), flaky.reply(201, written, ETAG))
    result = client.put("app", "k", {"n": 1})
    assert result.created
    assert result.etag == '"e1"'
    assert flaky.count("PUT", ITEM) == 2


def test_conditional_put_applied_before_a_lost_answer_is_reported_done(flaky, client):
    # The first attempt was applied but its answer lost (a proxy's 504); the retry then
    # meets its own write and fails the condition.
    flaky.script(
        "PUT",
        ITEM,
        flaky.reply(504),
        flaky.reply(412, {"error": "Changed.", "code": "precondition_failed"}),
    )
    flaky.script("GET", ITEM, flaky.reply(200, {**ITEM_BODY, "version": 2}, {"ETag": '"e2"'}))
    result = client.put("app", "k", {"n": 1}, if_match='"e0"')
    assert (result.etag, result.version, result.created) == ('"e2"', 2, False)
    assert flaky.count("PUT", ITEM) == 2
    assert [h["If-Match"] for m, _, h in flaky.attempts if m == "PUT"] == ['"e0"', '"e0"']


def test_conditional_put_lost_to_another_writer_still_fails(flaky, client):
    flaky.script(
        "PUT",
        ITEM,
        flaky.reply(504),
        flaky.reply(412, {"error": "Changed.", "code": "precondition_failed"}),
    )
    flaky.script("GET", ITEM, flaky.reply(200, {**ITEM_BODY, "value": "theirs"}, ETAG))
    with pytest.raises(PreconditionFailed):
        client.put("app", "k", {"n": 1}, only_if_absent=True)
    assert [h["If-None-Match"] for m, _, h in flaky.attempts if m == "PUT"] == ["*", "*"]


def test_a_first_412_is_not_second_guessed(flaky, client):
    flaky.script("PUT", ITEM, flaky.reply(412, {"error": "Exists.", "code": "precondition_failed"}))
    flaky.script("GET", ITEM, flaky.reply(200, ITEM_BODY, ETAG))
    with pytest.raises(PreconditionFailed):
        client.put("app", "k", {"n": 1}, only_if_absent=True)
    assert flaky.count("GET", ITEM) == 0


def test_delete_whose_retry_finds_nothing_is_done(flaky, client):
    flaky.script(
        "DELETE",
        ITEM,
        flaky.reply(503),
        flaky.reply(404, {"error": "No.", "code": "item_not_found"}),
    )
    assert client.delete("app", "k") is None
    assert flaky.count("DELETE", ITEM) == 2


def test_delete_of_a_missing_item_is_not_found(flaky, client):
    flaky.script("DELETE", ITEM, flaky.reply(404, {"error": "No.", "code": "item_not_found"}))
    with pytest.raises(NotFound):
        client.delete("app", "k")


def test_an_error_page_that_is_not_json_still_maps(flaky):
    flaky.script(
        "GET", ITEM, flaky.reply(502, "<html>Bad Gateway</html>", {"Content-Type": "text/html"})
    )
    with (
        KVClient("kv_test", base_url=flaky.url, max_retries=0) as kv,
        pytest.raises(ServerError) as caught,
    ):
        kv.get("app", "k")
    assert caught.value.status == 502
    assert caught.value.code is None
    assert "502" in caught.value.message


def test_connection_refused_is_retried_then_a_transport_error(unused_port):
    started = time.monotonic()
    base_url = f"http://127.0.0.1:{unused_port}"
    with (
        KVClient("kv_test", base_url=base_url, max_retries=2) as kv,
        pytest.raises(TransportError, match="refused"),
    ):
        kv.get("app", "k")
    # Two retries back off 0 then 2 x 0.25 s.
    assert time.monotonic() - started >= 0.5
