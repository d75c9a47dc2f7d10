"""A forgotten password, a changed one, and leaving, over HTTP on both engines."""

from __future__ import annotations

import re

import pytest

LINK = re.compile(r"(http://localhost/dashboard/reset-password\?token=)(\S+)")


@pytest.fixture
def mail(app):
    return app.extensions["kv_services"].notifier


def login(client, password, email="ann@example.com"):
    return client.post("/v1/auth/login", json={"email": email, "password": password})


def reset_token(mail) -> str:
    found = LINK.search(mail.sent[-1][2])
    assert found, mail.sent[-1]
    return found.group(2)


def test_a_forgotten_password_is_reset_through_the_emailed_link(client, account, mail):
    asked = client.post("/v1/auth/password-reset", json={"email": "ann@example.com"})
    assert asked.status_code == 202
    unknown = client.post("/v1/auth/password-reset", json={"email": "nobody@example.com"})
    assert (unknown.status_code, unknown.json) == (202, asked.json)
    assert len(mail.sent) == 1
    token = reset_token(mail)
    done = client.post(
        "/v1/auth/password-reset/confirm", json={"token": token, "password": "brand-new-pw"}
    )
    assert done.status_code == 204
    assert login(client, "brand-new-pw").status_code == 200
    assert login(client, "s3cret-pass").status_code == 401


def test_a_used_or_made_up_token_changes_nothing(client, account, mail, assert_error):
    client.post("/v1/auth/password-reset", json={"email": "ann@example.com"})
    token = reset_token(mail)
    confirm = "/v1/auth/password-reset/confirm"
    assert client.post(confirm, json={"token": token, "password": "first-new"}).status_code == 204
    for bad in (token, "made-up", ""):
        response = client.post(confirm, json={"token": bad, "password": "second-new"})
        assert_error(response, 400, "invalid_reset_token")
    assert login(client, "first-new").status_code == 200


@pytest.mark.parametrize(
    ("body", "code"),
    [
        ({"email": "not-an-email"}, "invalid_email"),
        ({}, "invalid_body"),
        ({"email": 5}, "invalid_body"),
    ],
)
def test_bad_reset_requests(client, account, mail, assert_error, body, code):
    assert_error(client.post("/v1/auth/password-reset", json=body), 400, code)
    assert mail.sent == []


def test_changing_the_password(client, account, assert_error):
    change = "/v1/auth/password"
    wrong = client.post(
        change, json={"currentPassword": "guess", "newPassword": "new-pass-1"}, headers=account.auth
    )
    assert_error(wrong, 403, "wrong_password")
    short = client.post(
        change,
        json={"currentPassword": "s3cret-pass", "newPassword": "short"},
        headers=account.auth,
    )
    assert_error(short, 400, "invalid_password")
    assert login(client, "s3cret-pass").status_code == 200
    done = client.post(
        change,
        json={"currentPassword": "s3cret-pass", "newPassword": "new-pass-1"},
        headers=account.auth,
    )
    assert done.status_code == 204
    assert login(client, "new-pass-1").status_code == 200
    anonymous = client.post(change, json={"currentPassword": "a", "newPassword": "bbbbbbbb"})
    assert_error(anonymous, 401, "invalid_token")


def test_deleting_the_account_takes_everything_with_it(client, account, other, assert_error):
    assert account.put("k", {"v": 1}).status_code == 201
    assert client.delete("/v1/account", headers=account.auth).status_code == 204
    assert_error(account.get("k"), 401, "invalid_api_key")
    assert_error(client.get("/v1/namespaces", headers=account.auth), 401, "invalid_token")
    assert login(client, "s3cret-pass").status_code == 401
    assert other.put("k", 2).status_code == 201  # another account is untouched
    again = client.post(
        "/v1/auth/signup", json={"email": "ann@example.com", "password": "a fresh start"}
    )
    assert again.status_code == 201


def test_account_is_a_reserved_namespace_name(client, account, assert_error):
    response = client.post("/v1/namespaces", json={"name": "account"}, headers=account.auth)
    assert_error(response, 400, "reserved_namespace")
