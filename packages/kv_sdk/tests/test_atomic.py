"""The third round through both clients against a live server: atomic operations (the
builder, CheckFailed and its keys, no blind retry), counts, deletion by prefix and
ranges."""

from __future__ import annotations

import inspect

import pytest

from kv_sdk import AtomicResult, CheckFailed, KVClient, NotANumber, ServerError
from kv_sdk.aio import AsyncKVClient

pytestmark = pytest.mark.anyio


async def done(result):
    return await result if inspect.isawaitable(result) else result


@pytest.fixture(params=["sync", "async"])
async def client(request, server, space):
    if request.param == "sync":
        with KVClient(space.secret, base_url=server) as kv:
            yield kv
    else:
        async with AsyncKVClient(space.secret, base_url=server) as kv:
            yield kv


async def test_a_transfer_between_two_counters(client, space):
    ns = space.name
    await done(client.put(ns, "alice", 10))
    result = await done(
        client.atomic(ns)
        .check("alice", 1)
        .check("bob", None)
        .increment("alice", -4)
        .increment("bob", 4)
        .put("log/1", {"amount": 4}, ttl=60, metadata={"by": "test"})
        .delete("nothing-here")
        .commit()
    )
    assert isinstance(result, AtomicResult)
    assert result.items == [("alice", 2), ("bob", 1), ("log/1", 1), ("nothing-here", None)]
    assert result.versions["alice"] == 2
    assert (await done(client.get(ns, "alice"))).value == 6
    log = await done(client.get(ns, "log/1"))
    assert (log.value, log.metadata) == ({"amount": 4}, {"by": "test"})
    assert log.expires_at is not None


async def test_a_failed_check_raises_check_failed_with_its_keys(client, space):
    ns = space.name
    await done(client.put(ns, "a", 1))
    with pytest.raises(CheckFailed) as refused:
        await done(client.atomic(ns).check("a", 5).check("b", 2).put("c", 1).commit())
    assert (refused.value.status, refused.value.code) == (412, "check_failed")
    assert sorted(refused.value.failed) == ["a", "b"]
    assert await done(client.count(ns)) == 1


async def test_an_atomic_increment_of_text_raises_not_a_number(client, space):
    await done(client.put(space.name, "t", "text"))
    with pytest.raises(NotANumber):
        await done(client.atomic(space.name).increment("t").commit())


async def test_count_and_delete_prefix(client, space):
    ns = space.name
    await done(client.put_many(ns, {f"log/{i:03}": i for i in range(25)} | {"logo": 1}))
    assert await done(client.count(ns)) == 26
    assert await done(client.count(ns, "log/")) == 25
    assert await done(client.delete_prefix(ns, "log/", page_size=10)) == 25
    assert await done(client.count(ns, prefix="log/")) == 0
    assert await done(client.count(ns)) == 1
    with pytest.raises(ValueError, match="non-empty"):
        await done(client.delete_prefix(ns, ""))


async def keys_of(client, ns, **options):
    found = client.iter_keys(ns, page_size=2, **options)
    if hasattr(found, "__aiter__"):
        return [key async for key in found]
    return list(found)


async def test_ranges_in_either_direction(client, space):
    ns = space.name
    await done(client.put_many(ns, dict.fromkeys("abcdefg", 1)))
    assert await keys_of(client, ns, reverse=True) == list("gfedcba")
    assert await keys_of(client, ns, start="b", end="e") == list("bcd")
    assert await keys_of(client, ns, start="b", end="e", reverse=True) == list("dcb")
    page = await done(client.list(ns, limit=2, end="c", reverse=True))
    assert page.keys == ["b", "a"]


@pytest.fixture(params=["sync", "async"])
async def flaky_client(request, flaky):
    if request.param == "sync":
        with KVClient("kv_test", base_url=flaky.url, timeout=2) as kv:
            yield kv
    else:
        async with AsyncKVClient("kv_test", base_url=flaky.url, timeout=2) as kv:
            yield kv


async def test_a_commit_is_not_retried_after_reaching_the_server(flaky, flaky_client):
    ok = {"ok": True, "items": [{"key": "a", "version": 1}]}
    flaky.script("POST", "/v1/app", flaky.reply(503), flaky.reply(200, ok))
    with pytest.raises(ServerError):
        await done(flaky_client.atomic("app").put("a", 1).commit())
    assert flaky.count("POST", "/v1/app") == 1
