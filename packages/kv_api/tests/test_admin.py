"""``kv-storage admin``: accounts re-planned, given their own limits, disabled and
enabled on both engines, seen by the API that serves them."""

from __future__ import annotations

import types

import pytest

from kv_api.cli import main
from kv_core.services import api_keys as api_keys_module


@pytest.fixture
def admin(settings, monkeypatch, capsys):
    """``admin(*args)``: run ``kv-storage admin ARGS`` on the API's store; returns its
    exit status and what it printed to stdout and to stderr."""
    if settings.store == "dynamodb":
        for name, value in {
            "KV_STORE": "dynamodb",
            "KV_TABLE": settings.table,
            "AWS_REGION": "us-east-1",
        }.items():
            monkeypatch.setenv(name, value)
    else:
        monkeypatch.delenv("KV_STORE", raising=False)

    def run(*args: str) -> tuple[int, str, str]:
        capsys.readouterr()
        status = main(["admin", *args, "--data", str(settings.data_dir)])
        printed = capsys.readouterr()
        return status, printed.out, printed.err

    return run


@pytest.fixture
def past_key_cache(app, monkeypatch):
    """``past_key_cache()``: let the key cache's bound pass (DynamoDB caches resolved
    keys; SQLite sees changes at once and needs no wait)."""
    cache = app.extensions["kv_services"].api_keys.cache

    def wait() -> None:
        if cache is not None:
            later = api_keys_module.time.monotonic() + cache.ttl + 1
            monkeypatch.setattr(
                api_keys_module, "time", types.SimpleNamespace(monotonic=lambda: later)
            )

    return wait


def test_own_limits_reach_quotas_usage_and_headers(account, admin, past_key_cache, assert_error):
    assert account.get("warm").status_code == 404  # the key is resolved, and cached
    status, out, err = admin(
        "set-plan", "ann@example.com", "business", "--requests", "3", "--storage-bytes", "40"
    )
    assert (status, err) == (0, "")
    assert out.startswith("ann@example.com\tbusiness\t3 requests, 40 B (own limits)")
    past_key_cache()
    response = account.put("k", "v")
    assert response.status_code == 201
    assert response.headers["X-RateLimit-Limit"] == "3"
    assert response.headers["X-RateLimit-Remaining"] == "1"  # the warm-up counted too
    assert_error(account.put("big", "x" * 40), 429, "storage_quota_exceeded")
    assert_error(account.get("k"), 429, "request_quota_exceeded")
    usage = account.usage()
    assert usage["plan"] == "business"
    assert usage["requests"]["limit"] == 3
    assert usage["storage"]["limitBytes"] == 40


def test_a_plan_without_limits_takes_the_plans_own(account, admin, past_key_cache):
    admin("set-plan", "ann@example.com", "business", "--requests", "3")
    status, out, _ = admin("set-plan", "Ann@Example.com", "pro")
    assert status == 0
    assert out == "ann@example.com\tpro\t1M requests, 10 GB\tenabled\n"
    past_key_cache()
    assert account.put("k", 1).headers["X-RateLimit-Limit"] == "1000000"
    assert account.usage()["storage"]["limitBytes"] == 10_000_000_000


def test_disabled_accounts_are_refused_until_enabled(
    client, account, admin, past_key_cache, assert_error
):
    assert account.get("k").status_code == 404
    status, out, _ = admin("disable", "ann@example.com")
    assert status == 0
    assert "\tdisabled since " in out
    past_key_cache()
    assert_error(account.put("k", 1), 403, "account_disabled")
    assert_error(account.get("k"), 403, "account_disabled")
    assert_error(client.get("/v1/usage", headers=account.auth), 403, "account_disabled")
    login = {"email": "ann@example.com", "password": "s3cret-pass"}
    assert_error(client.post("/v1/auth/login", json=login), 403, "account_disabled")
    assert admin("enable", "ann@example.com")[0] == 0
    past_key_cache()
    assert account.put("k", 1).status_code == 201
    assert client.post("/v1/auth/login", json=login).status_code == 200


def test_users_lists_every_account_and_user_shows_one(account, new_account, admin):
    new_account("bob@example.com", "bobs")
    account.put("k", "v")
    status, out, _ = admin("users")
    assert status == 0
    assert [line.split("\t")[:2] for line in out.splitlines()] == [
        ["ann@example.com", "free"],
        ["bob@example.com", "free"],
    ]
    status, out, _ = admin("user", "ann@example.com")
    assert status == 0
    shown = dict(line.split(": ", 1) for line in out.splitlines())
    assert shown["plan"] == "free"
    assert shown["namespaces"] == "1"
    assert shown["api keys"] == "1"
    assert shown["status"] == "enabled"
    assert shown["storage"].startswith("4 bytes of ")  # len('k') + len('"v"')


@pytest.mark.parametrize(
    ("args", "says"),
    [
        (("user", "nobody@example.com"), "no account"),
        (("set-plan", "nobody@example.com", "pro"), "no account"),
        (("set-plan", "ann@example.com", "platinum"), "no plan"),
        (("set-plan", "ann@example.com", "business", "--requests", "-1"), "0 or more"),
        (("set-plan", "ann@example.com", "business", "--storage-bytes", "-5"), "0 or more"),
        (("disable", "nobody@example.com"), "no account"),
        (("enable", "nobody@example.com"), "no account"),
    ],
)
def test_refusals_are_one_line_and_change_nothing(app, account, admin, args, says):
    store = app.extensions["kv_services"].store
    before = store.get_user(account.user_id)
    status, out, err = admin(*args)
    assert status == 2
    assert out == ""
    assert err.count("\n") == 1
    assert err.startswith("kv-storage: ")
    assert says in err
    assert store.get_user(account.user_id) == before


def test_a_limit_that_is_not_a_number_is_refused_by_the_parser(account, admin):
    with pytest.raises(SystemExit) as refused:
        admin("set-plan", "ann@example.com", "business", "--requests", "lots")
    assert refused.value.code == 2


def test_on_sqlite_a_data_directory_without_a_database_is_refused(tmp_path, monkeypatch, capsys):
    monkeypatch.delenv("KV_STORE", raising=False)
    missing = tmp_path / "typo"
    status = main(["admin", "users", "--data", str(missing)])
    assert status == 2
    assert capsys.readouterr().err == f"kv-storage: there is no database in {missing}\n"
    assert not missing.exists()
