"""AsyncKVClient's own matters against a live server: one pool shared by many tasks,
closed by ``async with``; ``async for``; the environment; a client of your own."""

from __future__ import annotations

import asyncio

import httpx
import pytest

from kv_sdk.aio import AsyncAccountClient, AsyncKVClient

pytestmark = pytest.mark.anyio

INCREMENTS = 1_000
TASKS = 50


async def test_1000_increments_from_50_tasks_on_one_client_read_exactly_1000(server, fresh_account):
    account = fresh_account()
    account.create_namespace("load")
    secret = account.create_api_key("load").secret
    async with AsyncKVClient(secret, base_url=server) as kv:

        async def incrementer(times: int) -> list[int]:
            return [(await kv.increment("load", "counter")).value for _ in range(times)]

        seen = await asyncio.gather(*(incrementer(INCREMENTS // TASKS) for _ in range(TASKS)))
        counter = await kv.get("load", "counter")
    assert counter.value == INCREMENTS
    assert counter.version == INCREMENTS
    # Every increment saw a count of its own: none was lost or applied twice.
    assert sorted(v for values in seen for v in values) == list(range(1, INCREMENTS + 1))
    assert account.usage().requests.used == INCREMENTS + 1


async def test_async_with_closes_the_pool_it_made(server, fresh_account):
    account = fresh_account()
    account.create_namespace("app")
    secret = account.create_api_key("app").secret
    async with AsyncKVClient(secret, base_url=server) as kv:
        await kv.put("app", "a", 1)
        pool = kv._transport.client
        assert not pool.is_closed
    assert pool.is_closed


async def test_a_client_of_my_own_is_used_and_left_open(server, fresh_account):
    account = fresh_account()
    account.create_namespace("app")
    secret = account.create_api_key("app").secret
    seen: list[int] = []

    async def record(response: httpx.Response) -> None:
        seen.append(response.status_code)

    async with httpx.AsyncClient(event_hooks={"response": [record]}) as mine:
        async with AsyncKVClient(secret, base_url=server, http_client=mine) as kv:
            await kv.put("app", "mine", 1)
        assert seen == [201]
        assert not mine.is_closed
        assert (await mine.get(f"{server}/v1/health")).status_code == 200


async def test_key_and_base_url_come_from_the_environment(server, fresh_account, monkeypatch):
    account = fresh_account()
    account.create_namespace("env")
    monkeypatch.setenv("KV_API_KEY", account.create_api_key("env").secret)
    monkeypatch.setenv("KV_BASE_URL", server + "/v1/")
    async with AsyncKVClient() as kv:
        assert kv.base_url == server
        assert kv._transport.timeout == 10.0
        await kv.put("env", "k", True)
        assert (await kv.get("env", "k")).value is True


async def test_the_repr_shows_no_secret(monkeypatch):
    monkeypatch.setenv("KV_API_KEY", "kv_secret")
    async with AsyncKVClient() as kv, AsyncAccountClient(token="t") as account:
        assert "kv_secret" not in repr(kv)
        assert repr(kv) == "AsyncKVClient(base_url='http://127.0.0.1:8000')"
        assert repr(account) == "AsyncAccountClient(base_url='http://127.0.0.1:8000', signed in)"
