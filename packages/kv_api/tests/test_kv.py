import json
from urllib.parse import quote

import pytest

from kv_core import plans
from kv_core.plans import Plan


@pytest.fixture
def tiny_plan(monkeypatch):
    """The free plan shrunk to 5 requests and 100 bytes, to reach quotas quickly."""
    monkeypatch.setitem(plans.PLANS, "free", Plan("free", "Free", 0, 5, 100))


def test_put_get_replace_delete(account, assert_error):
    created = account.put("user:123", {"name": "Ann"})
    assert created.status_code == 201
    etag = created.headers["ETag"]
    got = account.get("user:123")
    assert got.status_code == 200
    assert got.json["key"] == "user:123"
    assert got.json["value"] == {"name": "Ann"}
    assert got.json["updatedAt"].endswith("Z")
    assert got.headers["ETag"] == etag
    replaced = account.put("user:123", {"name": "Bo"})
    assert replaced.status_code == 200
    assert replaced.headers["ETag"] != etag
    assert account.get("user:123").json["value"] == {"name": "Bo"}
    deleted = account.client.delete("/v1/app/user:123", headers=account.key_header)
    assert deleted.status_code == 204
    assert_error(account.get("user:123"), 404, "item_not_found")
    again = account.client.delete("/v1/app/user:123", headers=account.key_header)
    assert_error(again, 404, "item_not_found")


@pytest.mark.parametrize("value", [None, 0, -1.5, "text", True, [], {}, {"a": [1, {"b": None}]}])
def test_any_json_value(account, value):
    assert account.put("k", value).status_code == 201
    assert account.get("k").json["value"] == value


@pytest.mark.parametrize(
    "key",
    ["a/b/c", "with space", "ключ", "100%", "a#b", "x" * 512, "trail/", "/lead", "a//b", "//"],
)
def test_awkward_keys(account, key):
    path = f"/v1/app/{quote(key, safe='')}"
    assert account.client.put(path, json=1, headers=account.key_header).status_code == 201
    got = account.client.get(path, headers=account.key_header)
    assert got.json["key"] == key
    assert key in account.list_keys()


def test_slashes_in_a_key_need_no_encoding(account):
    account.client.put("/v1/app/a/b/c", json=1, headers=account.key_header)
    assert account.client.get("/v1/app/a%2Fb%2Fc", headers=account.key_header).status_code == 200
    account.client.put("/v1/app//lead", json=2, headers=account.key_header)
    assert account.client.get("/v1/app/%2Flead", headers=account.key_header).json["value"] == 2
    assert account.list_keys() == ["/lead", "a/b/c"]


def test_conditional_writes(account, assert_error):
    first = account.put("doc", {"v": 1}, **{"If-None-Match": "*"})
    assert first.status_code == 201
    assert_error(account.put("doc", {"v": 2}, **{"If-None-Match": "*"}), 412, "precondition_failed")
    etag = first.headers["ETag"]
    second = account.put("doc", {"v": 2}, **{"If-Match": etag})
    assert second.status_code == 200
    assert_error(account.put("doc", {"v": 3}, **{"If-Match": etag}), 412, "precondition_failed")
    assert account.get("doc").json["value"] == {"v": 2}
    stale = account.client.delete("/v1/app/doc", headers={**account.key_header, "If-Match": etag})
    assert_error(stale, 412, "precondition_failed")
    assert account.put("doc", {"v": 4}, **{"If-Match": "*"}).status_code == 200
    assert_error(account.put("nothing", 1, **{"If-Match": "*"}), 412, "precondition_failed")
    assert "nothing" not in account.list_keys()
    current = account.get("doc").headers["ETag"]
    ok = account.client.delete("/v1/app/doc", headers={**account.key_header, "If-Match": current})
    assert ok.status_code == 204


def test_not_modified(account):
    etag = account.put("doc", 1).headers["ETag"]
    response = account.get("doc", **{"If-None-Match": etag})
    assert response.status_code == 304
    assert account.get("doc", **{"If-None-Match": '"other"'}).status_code == 200


def test_list_pages_in_key_order(account):
    keys = [f"k{i:03d}" for i in range(25)] + ["other"]
    for key in keys:
        account.put(key, key)
    seen, cursor = [], None
    while True:
        query = "prefix=k&limit=10" + (f"&cursor={cursor}" if cursor else "")
        page = account.client.get(f"/v1/app?{query}", headers=account.key_header).json
        seen += page["keys"]
        cursor = page["cursor"]
        if cursor is None:
            break
    assert seen == sorted(keys[:-1])
    assert account.list_keys() == sorted(keys)


# --- bad input: each one a 4xx JSON error, and nothing written ---------------------


def put_raw(account, key, data, **headers):
    return account.client.put(
        f"/v1/app/{key}",
        data=data,
        headers={**account.key_header, "Content-Type": "application/json", **headers},
    )


# Conditional writes go through the Flask view, the others through the fast path.
PATHS = pytest.mark.parametrize("headers", [{}, {"If-None-Match": "*"}], ids=["fast", "flask"])
MIB = 1024 * 1024


@PATHS
@pytest.mark.parametrize(
    ("data", "status", "code"),
    [
        (b"{not json", 400, "invalid_json"),
        (b"", 400, "invalid_json"),
        (b"   ", 400, "invalid_json"),
        (b"NaN", 400, "invalid_json"),
        (b"\xff\xfe", 400, "invalid_json"),
        (json.dumps("x" * (256 * 1024)).encode(), 413, "value_too_large"),
        (b"[" + b"1," * (600 * 1024) + b"1]", 413, "payload_too_large"),
        (b"[" * 65 + b"]" * 65, 400, "too_deep"),
        (b"[" * 970 + b"]" * 970, 400, "too_deep"),
        (b"[" * 5000 + b"]" * 5000, 400, "too_deep"),
        (b'{"a":' * 5000 + b"1" + b"}" * 5000, 400, "too_deep"),
        ('{"a": "é"}'.encode("utf-16"), 400, "invalid_json"),
        ('{"a": "é"}'.encode("utf-32-le"), 400, "invalid_json"),
        (b'{"a": 1, "a": 2}', 400, "invalid_json"),
        (b'"\\ud800"', 400, "invalid_json"),
        (b'{"k": ["\\udfff"]}', 400, "invalid_json"),
    ],
)
def test_bad_bodies(account, assert_error, data, status, code, headers):
    assert_error(put_raw(account, "k", data, **headers), status, code)
    assert account.list_keys() == []
    assert account.usage()["storage"]["usedBytes"] == 0


@PATHS
def test_a_chunked_body_over_the_limit_is_refused_not_cut(account, assert_error, chunked, headers):
    """The audit's case: a small value, then spaces and garbage past the 1 MiB limit."""
    data = b'{"a":1}' + b" " * MIB + b"garbage"
    response = chunked("PUT", "/v1/app/k", data, {**account.key_header, **headers})
    assert_error(response, 413, "payload_too_large")
    assert account.list_keys() == []
    assert account.usage()["storage"]["usedBytes"] == 0


@PATHS
def test_a_chunked_body_within_the_limit_is_read_whole(account, chunked, headers):
    value = {"a": 1, "pad": "x" * 1000}
    data = json.dumps(value).encode() + b" " * (MIB - 2000)
    assert chunked("PUT", "/v1/app/k", data, {**account.key_header, **headers}).status_code == 201
    assert account.get("k").json["value"] == value


def test_as_deep_as_the_limit_is_stored_read_and_deleted(account):
    value = json.loads("[" * 64 + "]" * 64)
    assert account.put("deep", value).status_code == 201
    assert account.get("deep").json["value"] == value
    deleted = account.client.delete("/v1/app/deep", headers=account.key_header)
    assert deleted.status_code == 204


def test_largest_value_fits(account):
    value = "x" * (256 * 1024 - 2)  # the quotes make it exactly 256 KiB
    assert account.put("big", value).status_code == 201


@PATHS
@pytest.mark.parametrize(
    "key",
    ["x" * 513, "é" * 257, "a%00b", "tab%09", "del%7F", "bad%FF", "bad%FE", "%C3%28", "%ED%A0%80"],
)
def test_bad_keys(account, assert_error, key, headers):
    assert_error(put_raw(account, key, b"1", **headers), 400, "invalid_key")
    assert account.list_keys() == []
    assert account.usage()["storage"]["usedBytes"] == 0


@pytest.mark.parametrize("key", ["bad%FF", "bad%FE", "x%80y"])
def test_invalid_utf8_keys_are_refused_by_every_method(account, assert_error, key):
    account.put("bad\ufffd", 1)
    for method in ("get", "delete"):
        response = getattr(account.client, method)(f"/v1/app/{key}", headers=account.key_header)
        assert_error(response, 400, "invalid_key")
    assert_error(account.get(key, **{"If-None-Match": "*"}), 400, "invalid_key")
    assert account.get("bad%EF%BF%BD").json["value"] == 1  # a real U+FFFD is a key


@PATHS
def test_a_real_replacement_character_is_a_valid_key(account, headers):
    assert put_raw(account, "ok%EF%BF%BD", b"1", **headers).status_code == 201
    assert account.list_keys() == ["ok\ufffd"]


@pytest.mark.parametrize(
    ("query", "code"),
    [
        ("limit=0", "invalid_limit"),
        ("limit=1001", "invalid_limit"),
        ("limit=abc", "invalid_limit"),
        ("limit=-5", "invalid_limit"),
        ("limit=1_0", "invalid_limit"),
        ("limit=%2B5", "invalid_limit"),
        ("limit=%205", "invalid_limit"),
        ("limit=5%20", "invalid_limit"),
        ("limit=%EF%BC%95", "invalid_limit"),  # a full-width 5
        ("limit=", "invalid_limit"),
        ("cursor=forged", "invalid_cursor"),
        ("cursor=eyJhIjoxfQ.c2lnbmF0dXJl", "invalid_cursor"),
    ],
)
def test_bad_list_parameters(account, assert_error, query, code):
    account.put("a", 1)
    response = account.client.get(f"/v1/app?{query}", headers=account.key_header)
    assert_error(response, 400, code)


def test_cursor_from_another_listing_is_refused(account, assert_error):
    for key in ("a1", "a2", "b1", "b2"):
        account.put(key, 1)
    cursor = account.client.get("/v1/app?prefix=a&limit=1", headers=account.key_header).json[
        "cursor"
    ]
    tampered = cursor[:-2] + ("AA" if not cursor.endswith("AA") else "BB")
    for query in (f"prefix=b&cursor={cursor}", f"prefix=a&cursor={tampered}"):
        response = account.client.get(f"/v1/app?{query}", headers=account.key_header)
        assert_error(response, 400, "invalid_cursor")


@pytest.mark.parametrize(
    "headers",
    [{}, {"x-api-key": ""}, {"x-api-key": "not-a-key"}, {"x-api-key": "kv_" + "A" * 32}],
)
def test_missing_malformed_or_unknown_keys(account, assert_error, headers):
    for response in (
        account.client.put("/v1/app/k", json=1, headers=headers),
        account.client.get("/v1/app/k", headers=headers),
        account.client.get("/v1/app", headers=headers),
        account.client.delete("/v1/app/k", headers=headers),
    ):
        assert_error(response, 401, "invalid_api_key")
    assert account.list_keys() == []
    assert account.usage()["requests"]["used"] == 1  # only the listing just above


def test_key_of_another_namespace(account, assert_error):
    account.new_namespace("second")
    second_key = account.new_key("second")
    response = account.client.put("/v1/app/k", json=1, headers={"x-api-key": second_key})
    assert_error(response, 403, "wrong_namespace")
    assert_error(
        account.client.get("/v1/app", headers={"x-api-key": second_key}), 403, "wrong_namespace"
    )
    assert account.list_keys() == []


def test_read_only_key(account, assert_error):
    account.put("k", 1)
    read_only = {"x-api-key": account.new_key(access="read-only")}
    assert account.client.get("/v1/app/k", headers=read_only).status_code == 200
    assert account.client.get("/v1/app", headers=read_only).status_code == 200
    assert_error(account.client.put("/v1/app/k", json=2, headers=read_only), 403, "read_only_key")
    assert_error(account.client.put("/v1/app/n", json=2, headers=read_only), 403, "read_only_key")
    assert_error(account.client.delete("/v1/app/k", headers=read_only), 403, "read_only_key")
    assert account.get("k").json["value"] == 1
    assert account.list_keys() == ["k"]


def test_request_quota(account, assert_error, tiny_plan):
    for i in range(5):
        response = account.get(f"k{i}")  # 404s count too
        assert response.status_code == 404
        assert response.headers["X-RateLimit-Limit"] == "5"
        assert response.headers["X-RateLimit-Remaining"] == str(4 - i)
    refused = account.put("k", 1)
    assert_error(refused, 429, "request_quota_exceeded")
    assert int(refused.headers["Retry-After"]) >= 1
    assert refused.headers["X-RateLimit-Remaining"] == "0"
    usage = account.usage()
    assert usage["requests"] == {"used": 5, "limit": 5, "status": "exceeded"}
    assert usage["storage"]["usedBytes"] == 0


def test_storage_quota(account, assert_error, monkeypatch):
    monkeypatch.setitem(plans.PLANS, "free", Plan("free", "Free", 0, 1000, 100))
    assert account.put("a", "x" * 80).status_code == 201  # 1 + 82 bytes
    refused = account.put("b", "x" * 20)
    assert_error(refused, 429, "storage_quota_exceeded")
    assert "Retry-After" not in refused.headers
    assert account.list_keys() == ["a"]
    assert account.put("a", "small").status_code == 200  # shrinking is allowed
    assert account.put("b", "x" * 20).status_code == 201
