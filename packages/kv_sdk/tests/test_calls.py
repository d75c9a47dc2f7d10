"""Every call of ``kv_sdk.calls`` through both pairs of clients, sync and async, against
a live server: the same arguments give the same results and the same errors."""

from __future__ import annotations

import inspect
import itertools
import time
from collections.abc import AsyncIterable, Iterable

import pytest

from kv_sdk import (
    AccountClient,
    AuthenticationError,
    BulkItem,
    Conflict,
    InvalidRequest,
    KVClient,
    NotANumber,
    NotFound,
    PermissionDenied,
    PreconditionFailed,
)
from kv_sdk.aio import AsyncAccountClient, AsyncKVClient

pytestmark = pytest.mark.anyio

PASSWORD = "correct horse battery"
_emails = itertools.count()


async def done(result):
    """The value of a sync call, or of an awaited async one."""
    return await result if inspect.isawaitable(result) else result


async def collect(iterable: Iterable | AsyncIterable) -> list:
    """Every element of an iterator or an async iterator."""
    if isinstance(iterable, AsyncIterable):
        return [element async for element in iterable]
    return list(iterable)


@pytest.fixture(params=["sync", "async"])
def flavour(request) -> str:
    return request.param


@pytest.fixture
def email(flavour) -> str:
    return f"calls-{flavour}-{next(_emails)}@example.com"


@pytest.fixture
async def account(server, flavour):
    """A client of an account of its own (so that these tests spend no other's quota)."""
    if flavour == "sync":
        with AccountClient(server) as client:
            yield client
    else:
        async with AsyncAccountClient(server) as client:
            yield client


@pytest.fixture
async def signed_in(account, email):
    await done(account.signup(email, PASSWORD))
    return account


@pytest.fixture
async def space(signed_in):
    """The namespace ``app`` of a fresh account, and a read-write key for it."""
    await done(signed_in.create_namespace("app"))
    return (await done(signed_in.create_api_key("app"))).secret


@pytest.fixture
async def kv(server, flavour, space):
    if flavour == "sync":
        with KVClient(space, base_url=server) as client:
            yield client
    else:
        async with AsyncKVClient(space, base_url=server) as client:
            yield client


async def test_signup_and_login(server, account, email, flavour):
    user = await done(account.signup(email, PASSWORD))
    assert (user.email, user.plan) == (email, "free")
    with pytest.raises(Conflict) as taken:
        await done(account.signup(email, PASSWORD))
    assert taken.value.code == "email_taken"
    with pytest.raises(InvalidRequest):
        await done(account.signup("not an email", PASSWORD))
    other = AccountClient(server) if flavour == "sync" else AsyncAccountClient(server)
    assert other.token is None
    assert (await done(other.login(email, PASSWORD))).id == user.id
    assert other.token
    with pytest.raises(AuthenticationError) as refused:
        await done(other.login(email, "wrong password"))
    assert refused.value.code == "invalid_credentials"
    await done(other.close())


async def test_calls_need_a_session(account):
    with pytest.raises(AuthenticationError, match="signup"):
        await done(account.list_namespaces())


async def test_namespaces_are_created_listed_and_deleted(signed_in):
    made = await done(signed_in.create_namespace("orders"))
    assert (made.name, made.item_count, made.size_bytes) == ("orders", 0, 0)
    await done(signed_in.create_namespace("carts"))
    with pytest.raises(Conflict):
        await done(signed_in.create_namespace("carts"))
    listed = await done(signed_in.list_namespaces())
    assert sorted(n.name for n in listed) == ["carts", "orders"]
    assert await done(signed_in.delete_namespace("carts")) is None
    assert [n.name for n in await done(signed_in.list_namespaces())] == ["orders"]
    with pytest.raises(NotFound):
        await done(signed_in.delete_namespace("carts"))


async def test_api_keys_are_created_listed_and_revoked(server, signed_in, flavour):
    await done(signed_in.create_namespace("app"))
    await done(signed_in.create_namespace("other"))
    writer = await done(signed_in.create_api_key("app", name="backend"))
    reader = await done(signed_in.create_api_key("app", access="read-only"))
    await done(signed_in.create_api_key("other"))
    assert writer.secret.startswith(writer.key.prefix)
    assert (writer.key.name, writer.key.access) == ("backend", "read-write")
    assert reader.key.read_only
    assert len(await done(signed_in.list_api_keys())) == 3
    listed = await done(signed_in.list_api_keys("app"))
    assert {k.id for k in listed} == {writer.key.id, reader.key.id}
    assert await done(signed_in.revoke_api_key(reader.key.id)) is None
    assert [k.id for k in await done(signed_in.list_api_keys("app"))] == [writer.key.id]
    with pytest.raises(NotFound):
        await done(signed_in.revoke_api_key(reader.key.id))


async def test_usage_counts_the_data_planes_requests(signed_in, kv):
    before = await done(signed_in.usage())
    assert (before.plan, before.requests.used, before.requests.limit) == ("free", 0, 10_000)
    await done(kv.put("app", "k", [1, 2]))
    await done(kv.get("app", "k"))
    after = await done(signed_in.usage())
    assert after.requests.used == 2
    assert after.storage.used == len("k") + len("[1,2]")
    assert after.status == "ok"


async def test_put_get_and_delete(kv):
    written = await done(kv.put("app", "user:42", {"name": "Ada"}))
    assert (written.key, written.created, written.version) == ("user:42", True, 1)
    item = await done(kv.get("app", "user:42"))
    assert (item.value, item.etag, item.version) == ({"name": "Ada"}, written.etag, 1)
    assert item.updated_at == written.updated_at
    replaced = await done(kv.put("app", "user:42", {"name": "Ada L."}))
    assert (replaced.created, replaced.version) == (False, 2)
    assert replaced.etag != written.etag
    assert await done(kv.delete("app", "user:42")) is None
    with pytest.raises(NotFound) as missing:
        await done(kv.get("app", "user:42"))
    assert missing.value.code == "item_not_found"
    assert missing.value.response.status_code == 404
    assert missing.value.request_id == missing.value.response.headers["X-Request-Id"]
    assert str(missing.value) == f"404 item_not_found: {missing.value.message}"
    with pytest.raises(NotFound):
        await done(kv.delete("app", "user:42"))


@pytest.mark.parametrize("key", ["a/b", "..", "why?x=1&y=2", "100%", "ünïcödé/日本語", " padded "])
async def test_awkward_keys_are_stored_under_exactly_that_key(kv, key):
    await done(kv.put("app", key, key))
    assert (await done(kv.get("app", key))).value == key
    assert (await done(kv.list("app"))).keys == [key]


async def test_conditional_writes_and_deletes(kv):
    created = await done(kv.put("app", "lock", "mine", only_if_absent=True))
    assert created.created
    with pytest.raises(PreconditionFailed) as lost:
        await done(kv.put("app", "lock", "theirs", only_if_absent=True))
    assert (lost.value.status, lost.value.code) == (412, "precondition_failed")
    swapped = await done(kv.put("app", "lock", "still mine", if_match=created.etag))
    with pytest.raises(PreconditionFailed):
        await done(kv.put("app", "lock", "theirs", if_match=created.etag))
    with pytest.raises(PreconditionFailed):
        await done(kv.delete("app", "lock", if_match=created.etag))
    assert (await done(kv.get("app", "lock"))).value == "still mine"
    await done(kv.delete("app", "lock", if_match=swapped.etag.strip('"')))
    with pytest.raises(NotFound):
        await done(kv.get("app", "lock"))


async def test_mistakes_are_refused_before_sending(kv):
    with pytest.raises(ValueError, match="not both"):
        await done(kv.put("app", "k", 1, if_match='"x"', only_if_absent=True))
    with pytest.raises(ValueError, match="JSON"):
        await done(kv.put("app", "k", float("nan")))
    with pytest.raises(ValueError, match="key"):
        await done(kv.get("app", ""))
    assert (await done(kv.list("app"))).keys == []


async def test_list_pages_and_iterators(kv):
    keys = [f"item/{i:02d}" for i in range(11)]
    for key in keys:
        await done(kv.put("app", key, {"key": key}))
    await done(kv.put("app", "other", 0))
    first = await done(kv.list("app", prefix="item/", limit=4))
    assert (first.keys, len(first)) == (keys[:4], 4)
    second = await done(kv.list("app", prefix="item/", limit=4, cursor=first.cursor))
    assert list(second) == keys[4:8]
    last = await done(kv.list("app", prefix="item/", limit=4, cursor=second.cursor))
    assert (last.keys, last.cursor) == (keys[8:], None)
    assert await collect(kv.iter_keys("app", "item/", page_size=3)) == keys
    assert await collect(kv.iter_keys("app")) == [*keys, "other"]
    items = await collect(kv.iter_items("app", "item/", page_size=5))
    assert [(i.key, i.value) for i in items] == [(k, {"key": k}) for k in keys]
    assert all(i.etag for i in items)
    with pytest.raises(InvalidRequest) as bad:
        await done(kv.list("app", limit=0))
    assert bad.value.code == "invalid_limit"


async def test_passwords_are_changed_and_accounts_deleted(server, signed_in, email, flavour):
    with pytest.raises(PermissionDenied) as wrong:
        await done(signed_in.change_password("not it", "a new password"))
    assert wrong.value.code == "wrong_password"
    await done(signed_in.change_password(PASSWORD, "a new password"))
    other = AccountClient(server) if flavour == "sync" else AsyncAccountClient(server)
    assert (await done(other.login(email, "a new password"))).email == email
    await done(signed_in.delete_account())
    assert signed_in.token is None
    with pytest.raises(AuthenticationError):
        await done(other.list_namespaces())  # its session's account is gone
    with pytest.raises(AuthenticationError):
        await done(other.login(email, "a new password"))
    await done(other.close())


async def test_a_reset_is_asked_for_alike_and_a_bad_token_refused(signed_in, email):
    known = await done(signed_in.request_password_reset(email))
    unknown = await done(signed_in.request_password_reset("nobody-" + email))
    assert known == unknown
    assert "link" in known
    with pytest.raises(InvalidRequest) as refused:
        await done(signed_in.reset_password("made-up", "a new password"))
    assert refused.value.code == "invalid_reset_token"


async def test_a_key_may_be_confined_to_a_prefix_and_expire(server, signed_in, flavour):
    await done(signed_in.create_namespace("app"))
    tomorrow = int(time.time()) + 86_400
    made = await done(signed_in.create_api_key("app", key_prefix="user:7/", expires_at=tomorrow))
    assert (made.key.key_prefix, made.key.expires_at) == ("user:7/", tomorrow)
    [listed] = [k for k in await done(signed_in.list_api_keys("app")) if k.id == made.key.id]
    assert (listed.key_prefix, listed.expires_at) == ("user:7/", tomorrow)
    kv = (
        KVClient(made.secret, base_url=server)
        if flavour == "sync"
        else AsyncKVClient(made.secret, base_url=server)
    )
    await done(kv.put("app", "user:7/name", "Ann"))
    with pytest.raises(PermissionDenied) as outside:
        await done(kv.put("app", "user:8/name", "Bob"))
    assert outside.value.code == "outside_key_prefix"
    await done(kv.close())


async def test_put_with_expiry_and_metadata(kv):
    now = int(time.time())
    written = await done(kv.put("app", "session", {"u": 1}, ttl=60, metadata={"owner": "ada"}))
    assert now + 59 <= written.expires_at <= now + 61
    item = await done(kv.get("app", "session"))
    assert (item.expires_at, item.metadata) == (written.expires_at, {"owner": "ada"})
    at = now + 3600
    await done(kv.put("app", "session", 2, expires_at=at))
    item = await done(kv.get("app", "session"))
    assert (item.value, item.expires_at, item.metadata) == (2, at, None)
    await done(kv.put("app", "session", 3))
    assert (await done(kv.get("app", "session"))).expires_at is None
    await done(kv.put("app", "brief", 1, ttl=1))
    time.sleep(2.1)
    with pytest.raises(NotFound):
        await done(kv.get("app", "brief"))
    with pytest.raises(InvalidRequest):
        await done(kv.put("app", "k", 1, metadata={"big": "x" * 2000}))
    with pytest.raises(InvalidRequest):
        await done(kv.put("app", "k", 1, expires_at=now - 10))


async def test_increment(kv):
    first = await done(kv.increment("app", "hits"))
    assert (first.value, first.version) == (1, 1)
    assert first.etag
    second = await done(kv.increment("app", "hits", 41, ttl=600))
    assert second.value == 42
    assert second.expires_at is not None
    assert (await done(kv.increment("app", "hits", -2.5))).value == 39.5
    await done(kv.put("app", "name", "Ada"))
    with pytest.raises(NotANumber) as refused:
        await done(kv.increment("app", "name"))
    assert (refused.value.status, refused.value.code) == (409, "not_a_number")
    assert isinstance(refused.value, Conflict)


async def test_patch(kv):
    written = await done(kv.put("app", "profile", {"name": "Ada", "theme": "dark", "x": 1}))
    patched = await done(kv.patch("app", "profile", {"theme": "light", "x": None}))
    assert patched.value == {"name": "Ada", "theme": "light"}
    assert patched.version == 2
    with pytest.raises(PreconditionFailed):
        await done(kv.patch("app", "profile", {"a": 1}, if_match=written.etag))
    again = await done(kv.patch("app", "profile", {"a": 1}, if_match=patched.etag))
    assert again.value == {"name": "Ada", "theme": "light", "a": 1}
    with pytest.raises(NotFound):
        await done(kv.patch("app", "nobody", {"a": 1}))


async def test_bulk_put_get_and_delete(kv):
    now = int(time.time())
    items = [BulkItem(f"k{i:03d}", i) for i in range(150)]
    items.append(BulkItem("meta", "m", ttl=600, metadata={"tag": "x"}))
    assert await done(kv.put_many("app", items)) == 151
    assert await done(kv.put_many("app", {"plain": [1, 2]})) == 1
    wanted = ["meta", "nope", *(f"k{i:03d}" for i in range(149, -1, -1)), "plain"]
    many = await done(kv.get_many("app", wanted))
    assert [item.key for item in many] == [k for k in wanted if k != "nope"]
    assert many.missing == ["nope"]
    meta = many.items[0]
    assert (meta.value, meta.metadata) == ("m", {"tag": "x"})
    assert now + 599 <= meta.expires_at <= now + 601
    assert many.items[1].value == 149
    with pytest.raises(InvalidRequest) as refused:
        await done(kv.put_many("app", [BulkItem("ok", 1), BulkItem("bad", 2, ttl=0)]))
    assert refused.value.index == 1
    assert (await done(kv.get_many("app", ["ok"]))).missing == ["ok"]
    keys = [f"k{i:03d}" for i in range(150)]
    assert await done(kv.delete_many("app", [*keys, "nope"])) == 150
    assert (await done(kv.list("app"))).keys == ["meta", "plain"]


async def test_detailed_lists(kv):
    await done(kv.put("app", "a", 1, metadata={"n": 1}, ttl=600))
    await done(kv.put("app", "b", 2))
    await done(kv.put("app", "b", 3))
    plain = await done(kv.list("app"))
    assert plain.items is None
    page = await done(kv.list("app", details=True))
    assert page.keys == ["a", "b"]
    first, second = page.items
    assert (first.key, first.version, first.metadata) == ("a", 1, {"n": 1})
    assert first.expires_at is not None
    assert (second.key, second.version, second.expires_at, second.metadata) == ("b", 2, None, None)
    assert second.updated_at
    infos = await collect(kv.iter_key_info("app", page_size=1))
    assert infos == page.items
