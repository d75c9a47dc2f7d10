import dataclasses
from datetime import timedelta

import pytest


def test_create_shows_the_raw_key_once(account):
    response = account.client.post(
        "/v1/api-keys",
        json={"namespace": "app", "name": "CI", "access": "read-only"},
        headers=account.auth,
    )
    assert response.status_code == 201
    raw = response.json["apiKey"]
    assert raw.startswith("kv_")
    key = response.json["key"]
    assert key["name"] == "CI"
    assert key["access"] == "read-only"
    assert raw.startswith(key["prefix"])
    listed = account.client.get("/v1/api-keys", headers=account.auth)
    assert raw not in listed.get_data(as_text=True)
    assert {k["name"] for k in listed.json["apiKeys"]} == {"app key", "CI"}
    for k in listed.json["apiKeys"]:
        assert set(k) == {
            "id",
            "name",
            "namespace",
            "access",
            "prefix",
            "createdAt",
            "lastUsedAt",
            "keyPrefix",
            "expiresAt",
            "requestsThisMonth",
        }
    assert key["requestsThisMonth"] == 0


def test_last_used_is_recorded(account):
    account.get("anything")
    listed = account.client.get("/v1/api-keys", headers=account.auth).json["apiKeys"]
    assert listed[0]["lastUsedAt"] is not None


def test_list_filtered_by_namespace(account):
    account.new_namespace("second")
    account.new_key("second")
    response = account.client.get("/v1/api-keys?namespace=second", headers=account.auth)
    assert [k["namespace"] for k in response.json["apiKeys"]] == ["second"]


def test_revoked_key_stops_working(account, assert_error):
    assert account.put("a", 1).status_code == 201
    key_id = account.client.get("/v1/api-keys", headers=account.auth).json["apiKeys"][0]["id"]
    assert account.client.delete(f"/v1/api-keys/{key_id}", headers=account.auth).status_code == 204
    assert_error(account.get("a"), 401, "invalid_api_key")
    assert_error(account.put("b", 2), 401, "invalid_api_key")
    response = account.client.delete(f"/v1/api-keys/{key_id}", headers=account.auth)
    assert_error(response, 404, "api_key_not_found")


@pytest.mark.parametrize(
    ("body", "status", "code"),
    [
        ({"namespace": "nope"}, 404, "namespace_not_found"),
        ({"namespace": "app", "access": "admin"}, 400, "invalid_access"),
        ({"namespace": "app", "name": "x" * 101}, 400, "invalid_name"),
        ({"namespace": 1}, 400, "invalid_body"),
        ({"namespace": "app", "access": True}, 400, "invalid_body"),
        ({}, 400, "invalid_body"),
    ],
)
def test_bad_key_requests(account, assert_error, body, status, code):
    response = account.client.post("/v1/api-keys", json=body, headers=account.auth)
    assert_error(response, status, code)
    assert len(account.client.get("/v1/api-keys", headers=account.auth).json["apiKeys"]) == 1


@pytest.mark.parametrize(
    ("raw", "code"),
    [
        (b'{"namespace": "app", "name": "prod\\ud800"}', "invalid_json"),
        (b'{"namespace": "app", "namespace": "app"}', "invalid_json"),
        ('{"namespace": "app"}'.encode("utf-16"), "invalid_json"),
        (b'{"namespace": "app", "name": ' + b"[" * 65 + b"]" * 65 + b"}", "too_deep"),
    ],
)
def test_bodies_that_are_not_strict_json_create_no_key(account, assert_error, raw, code):
    response = account.client.post(
        "/v1/api-keys", data=raw, headers={**account.auth, "Content-Type": "application/json"}
    )
    assert_error(response, 400, code)
    assert len(account.client.get("/v1/api-keys", headers=account.auth).json["apiKeys"]) == 1


def test_the_answer_with_a_raw_key_is_never_cached(account):
    response = account.client.post("/v1/api-keys", json={"namespace": "app"}, headers=account.auth)
    assert response.status_code == 201
    assert response.headers["Cache-Control"] == "no-store"
    listed = account.client.get("/v1/api-keys", headers=account.auth)
    assert "no-store" not in listed.headers.get("Cache-Control", "")


def scoped_key(account, **fields):
    response = account.client.post(
        "/v1/api-keys", json={"namespace": account.namespace, **fields}, headers=account.auth
    )
    assert response.status_code == 201, response.json
    return response.json


def test_a_prefix_scoped_key_touches_only_its_prefix(account, assert_error):
    account.put("user:1/name", "Ann")
    account.put("other", 1)
    created = scoped_key(account, keyPrefix="user:1/")
    assert created["key"]["keyPrefix"] == "user:1/"
    headers = {"x-api-key": created["apiKey"]}
    client, ns = account.client, account.namespace
    assert client.get(f"/v1/{ns}/user:1/name", headers=headers).json["value"] == "Ann"
    assert client.put(f"/v1/{ns}/user:1/age", json=36, headers=headers).status_code == 201
    for method, key in [("get", "other"), ("put", "other"), ("delete", "other"), ("put", "user:2")]:
        response = getattr(client, method)(f"/v1/{ns}/{key}", json=0, headers=headers)
        assert_error(response, 403, "outside_key_prefix")
    assert account.get("other").json["value"] == 1
    assert account.get("user:2").status_code == 404
    listed = client.get(f"/v1/{ns}", headers=headers).json["keys"]
    assert listed == ["user:1/age", "user:1/name"]
    assert client.get(f"/v1/{ns}?prefix=user:1/a", headers=headers).json["keys"] == ["user:1/age"]
    assert_error(client.get(f"/v1/{ns}?prefix=user", headers=headers), 403, "outside_key_prefix")


def test_an_expired_key_answers_401(account, app, assert_error, monkeypatch):
    services = app.extensions["kv_services"]
    now = services.config.clock().timestamp()
    created = scoped_key(account, expiresAt=int(now) + 2)
    headers = {"x-api-key": created["apiKey"]}
    assert account.client.get(f"/v1/{account.namespace}", headers=headers).status_code == 200
    later = services.config.clock() + timedelta(seconds=3)
    monkeypatch.setattr(
        services.api_keys, "config", dataclasses.replace(services.config, clock=lambda: later)
    )
    expired = account.client.get(f"/v1/{account.namespace}", headers=headers)
    assert_error(expired, 401, "api_key_expired")
    listed = account.client.get("/v1/api-keys", headers=account.auth).json["apiKeys"]
    assert [k["expiresAt"] for k in listed if k["id"] == created["key"]["id"]] == [int(now) + 2]


@pytest.mark.parametrize(
    ("fields", "code"),
    [
        ({"expiresAt": 1}, "invalid_expiry"),
        ({"expiresAt": 99_999_999_999}, "invalid_expiry"),
        ({"expiresAt": "tomorrow"}, "invalid_body"),
        ({"expiresAt": True}, "invalid_body"),
        ({"expiresAt": 1.5}, "invalid_body"),
        ({"keyPrefix": "x" * 513}, "invalid_key"),
        ({"keyPrefix": "bad\u0007"}, "invalid_key"),
        ({"keyPrefix": 5}, "invalid_body"),
    ],
)
def test_bad_scopes_are_refused_and_nothing_is_made(account, assert_error, fields, code):
    before = account.client.get("/v1/api-keys", headers=account.auth).json["apiKeys"]
    response = account.client.post(
        "/v1/api-keys", json={"namespace": account.namespace, **fields}, headers=account.auth
    )
    assert_error(response, 400, code)
    assert account.client.get("/v1/api-keys", headers=account.auth).json["apiKeys"] == before


def test_an_empty_prefix_is_the_whole_namespace(account):
    created = scoped_key(account, keyPrefix="")
    account.put("anything", 1)
    headers = {"x-api-key": created["apiKey"]}
    assert (
        account.client.get(f"/v1/{account.namespace}/anything", headers=headers).status_code == 200
    )


def listed_requests(account) -> dict[str, int]:
    """Each key's requests this month, by key id."""
    listed = account.client.get("/v1/api-keys", headers=account.auth).json["apiKeys"]
    return {k["id"]: k["requestsThisMonth"] for k in listed}


def test_each_key_lists_its_requests_this_month(account, assert_error):
    (writer_id,) = listed_requests(account)
    created = scoped_key(account, access="read-only")
    reader_id, reader_headers = created["key"]["id"], {"x-api-key": created["apiKey"]}
    ns = account.namespace
    assert account.put("a", 1).status_code == 201
    assert account.get("missing").status_code == 404  # a 404 counts
    assert account.client.get(f"/v1/{ns}/a", headers=reader_headers).status_code == 200
    # Refusals count against no key: read-only, another namespace, a bad key.
    assert_error(
        account.client.put(f"/v1/{ns}/b", json=2, headers=reader_headers), 403, "read_only_key"
    )
    account.new_namespace("second")
    assert_error(account.client.get("/v1/second/a", headers=reader_headers), 403, "wrong_namespace")
    bad = {"x-api-key": "kv_" + "x" * 40}
    assert_error(account.client.get(f"/v1/{ns}/a", headers=bad), 401, "invalid_api_key")
    assert listed_requests(account) == {writer_id: 2, reader_id: 1}
    assert account.usage()["requests"]["used"] == 3
    response = account.client.get(f"/v1/api-keys?namespace={ns}", headers=account.auth)
    assert [k["requestsThisMonth"] for k in response.json["apiKeys"]] == [2, 1]


def test_a_request_refused_by_the_quota_counts_against_no_key(account, app, assert_error):
    services = app.extensions["kv_services"]
    limit = services.usage.report(services.store.get_user(account.user_id)).requests_limit
    month = account.usage()["month"]
    services.store.add_requests(account.user_id, month, limit - 1)
    assert account.get("a").status_code == 404
    assert_error(account.get("a"), 429, "request_quota_exceeded")
    assert list(listed_requests(account).values()) == [1]
