"""AccountClient against a live server: sign-up, login, namespaces, keys and usage."""

from __future__ import annotations

import pytest

from kv_sdk import (
    AccountClient,
    AuthenticationError,
    Conflict,
    InvalidRequest,
    KVClient,
    NotFound,
    QuotaExceeded,
    RateLimited,
)

PASSWORD = "correct horse battery"


@pytest.fixture
def email(request) -> str:
    return f"{request.node.name[:40]}-{id(request)}@example.com".lower()


def test_signup_then_login_gives_a_working_token(server, email):
    with AccountClient(server) as first:
        user = first.signup(email, PASSWORD)
        assert (user.email, user.plan) == (email, "free")
        assert user.id
        assert user.created_at
        assert first.token
    with AccountClient(server) as second:
        assert second.login(email, PASSWORD).id == user.id
        assert second.list_namespaces() == []
    with AccountClient(server, token=second.token) as reused:
        assert reused.usage().plan == "free"


def test_signup_mistakes(server, email):
    with AccountClient(server) as client:
        with pytest.raises(InvalidRequest):
            client.signup(email, "short")
        with pytest.raises(InvalidRequest):
            client.signup("not an email", PASSWORD)
        client.signup(email, PASSWORD)
        with pytest.raises(Conflict) as taken:
            client.signup(email, PASSWORD)
        assert taken.value.code == "email_taken"


def test_wrong_password_is_refused(server, email):
    with AccountClient(server) as client:
        client.signup(email, PASSWORD)
    with AccountClient(server) as client:
        with pytest.raises(AuthenticationError) as refused:
            client.login(email, "wrong password")
        assert refused.value.code == "invalid_credentials"
        assert client.token is None


def test_calls_need_a_session(server):
    with AccountClient(server) as client, pytest.raises(AuthenticationError, match="signup"):
        client.list_namespaces()
    with (
        AccountClient(server, token="not-a-token") as client,
        pytest.raises(AuthenticationError) as refused,
    ):
        client.usage()
    assert refused.value.status == 401


def test_namespaces_are_created_listed_and_deleted(fresh_account):
    account = fresh_account()
    made = account.create_namespace("orders")
    assert (made.name, made.item_count, made.size_bytes) == ("orders", 0, 0)
    account.create_namespace("carts")
    assert sorted(n.name for n in account.list_namespaces()) == ["carts", "orders"]
    with pytest.raises(InvalidRequest) as reserved:
        account.create_namespace("usage")
    assert reserved.value.code == "reserved_namespace"
    account.delete_namespace("carts")
    assert [n.name for n in account.list_namespaces()] == ["orders"]
    with pytest.raises(NotFound):
        account.delete_namespace("carts")


def test_namespace_counts_follow_its_items(server, fresh_account):
    account = fresh_account()
    account.create_namespace("app")
    with KVClient(account.create_api_key("app").secret, base_url=server) as kv:
        kv.put("app", "k", "value")
    (listed,) = account.list_namespaces()
    assert listed.item_count == 1
    assert listed.size_bytes == len("k") + len('"value"')


def test_api_keys_are_created_listed_and_revoked(server, fresh_account):
    account = fresh_account()
    account.create_namespace("app")
    account.create_namespace("other")
    writer = account.create_api_key("app", name="backend")
    reader = account.create_api_key("app", access="read-only")
    account.create_api_key("other")
    assert writer.secret.startswith("kv_")
    assert writer.key.name == "backend"
    assert writer.key.prefix
    assert writer.secret.startswith(writer.key.prefix)
    assert (writer.key.access, reader.key.access) == ("read-write", "read-only")
    assert len(account.list_api_keys()) == 3
    assert writer.key.requests_this_month == 0
    listed = account.list_api_keys("app")
    assert {k.id for k in listed} == {writer.key.id, reader.key.id}
    assert all(writer.secret not in repr(k) for k in listed)
    with pytest.raises(NotFound):
        account.create_api_key("nowhere")
    account.revoke_api_key(reader.key.id)
    assert [k.id for k in account.list_api_keys("app")] == [writer.key.id]
    with pytest.raises(NotFound):
        account.revoke_api_key(reader.key.id)
    with KVClient(writer.secret, base_url=server) as kv:
        kv.put("app", "k", 1)
        with pytest.raises(NotFound):  # a 404 counts too
            kv.get("app", "nope")
    [used] = account.list_api_keys("app")
    assert used.last_used_at is not None
    assert used.requests_this_month == 2


def test_usage_counts_requests_and_storage(server, fresh_account):
    account = fresh_account()
    account.create_namespace("app")
    before = account.usage()
    assert (before.requests.used, before.requests.limit) == (0, 10_000)
    assert before.storage.limit == 100_000_000
    assert before.status == "ok"
    assert len(before.month) == 7
    with KVClient(account.create_api_key("app").secret, base_url=server) as kv:
        kv.put("app", "k", [1, 2])
        kv.get("app", "k")
        with pytest.raises(NotFound):
            kv.get("app", "nope")
    after = account.usage()
    assert after.requests.used == 3
    assert after.storage.used == len("k") + len("[1,2]")


def test_too_many_failed_logins_is_rate_limited_not_a_quota(server, email):
    with AccountClient(server) as client:
        client.signup(email, PASSWORD)
    with AccountClient(server) as client:
        failures = 0
        while failures < 20:
            try:
                client.login(email, "wrong password")
            except AuthenticationError:
                failures += 1
                continue
            except RateLimited as limited:
                error = limited
                break
        else:
            pytest.fail("20 failed logins were never throttled")
    assert not isinstance(error, QuotaExceeded)
    assert error.status == 429
    assert error.retry_after is not None
    assert error.retry_after > 0
    assert failures >= 1
