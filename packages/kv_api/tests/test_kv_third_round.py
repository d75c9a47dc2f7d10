"""The data plane's third round over HTTP: atomic operations, counts, prefix deletion
and ranges. Every refusal is checked for its status, its code and that nothing was
written."""

from __future__ import annotations

import json
from typing import Any

import pytest

from kv_api.openapi import openapi_document
from kv_core import plans
from kv_core.limits import LIMITS
from kv_core.plans import Plan


def post(account, body: Any, api_key: str | None = None):
    return account.client.post(
        f"/v1/{account.namespace}",
        data=body if isinstance(body, bytes) else json.dumps(body),
        content_type="application/json",
        headers={"x-api-key": api_key or account.api_key},
    )


def listing(account, query: str = "", api_key: str | None = None):
    return account.client.get(
        f"/v1/{account.namespace}{query}", headers={"x-api-key": api_key or account.api_key}
    )


def refused(response, status: int, code: str) -> dict[str, Any]:
    assert response.status_code == status, response.get_data(as_text=True)
    body = response.get_json()
    assert body["code"] == code, body
    assert isinstance(body["error"], str)
    assert body["error"]
    return dict(body)


def snapshot(account) -> tuple[dict[str, Any], int]:
    """Every item's version and the stored bytes, to show that nothing was written."""
    page = listing(account, "?limit=1000&details=true").json
    versions = {item["key"]: item["version"] for item in page["items"]}
    return versions, int(account.usage()["storage"]["usedBytes"])


def scoped_key(account, prefix: str) -> str:
    response = account.client.post(
        "/v1/api-keys",
        json={"namespace": account.namespace, "keyPrefix": prefix},
        headers=account.auth,
    )
    assert response.status_code == 201, response.json
    return str(response.json["apiKey"])


# --- atomic ----------------------------------------------------------------------------


def test_an_atomic_transfer(account):
    account.put("alice", 10)
    account.put("bob", 0)
    before = account.usage()["requests"]["used"]
    response = post(
        account,
        {
            "atomic": {
                "checks": [{"key": "alice", "version": 1}, {"key": "bob", "version": 1}],
                "ops": [
                    {"op": "increment", "key": "alice", "by": -4},
                    {"op": "increment", "key": "bob", "by": 4},
                    {"op": "put", "key": "log/1", "value": {"from": "alice", "n": 4}, "ttl": 60},
                ],
            }
        },
    )
    assert response.status_code == 200, response.json
    assert response.json == {
        "ok": True,
        "items": [
            {"key": "alice", "version": 2},
            {"key": "bob", "version": 2},
            {"key": "log/1", "version": 1},
        ],
    }
    assert (account.get("alice").json["value"], account.get("bob").json["value"]) == (6, 4)
    assert account.get("log/1").json["expiresAt"] is not None
    assert account.usage()["requests"]["used"] == before + 3 + 3


def test_a_failed_check_is_412_naming_the_keys_and_writes_nothing(account):
    account.put("a", 1)
    before = snapshot(account)
    body = refused(
        post(
            account,
            {
                "atomic": {
                    "checks": [{"key": "a", "version": 7}, {"key": "b", "version": 1}],
                    "ops": [{"op": "put", "key": "c", "value": 1}],
                }
            },
        ),
        412,
        "check_failed",
    )
    assert set(body) == {"error", "code", "failed"}
    assert sorted(body["failed"]) == ["a", "b"]
    assert snapshot(account) == before


def test_an_atomic_increment_of_text_is_409_and_writes_nothing(account):
    account.put("t", "text")
    before = snapshot(account)
    body = {
        "atomic": {"ops": [{"op": "delete", "key": "t"}, {"op": "increment", "key": "t", "by": 1}]}
    }
    refused(post(account, body), 400, "duplicate_key")
    body = {
        "atomic": {
            "ops": [{"op": "put", "key": "n", "value": 1}, {"op": "increment", "key": "t", "by": 1}]
        }
    }
    refused(post(account, body), 409, "not_a_number")
    assert snapshot(account) == before


BAD_ATOMICS = [
    ({"atomic": []}, "invalid_atomic"),
    ({"atomic": {"ops": []}}, "invalid_atomic"),
    ({"atomic": {"ops": [{"op": "move", "key": "a"}]}}, "invalid_op"),
    (
        {"atomic": {"checks": [{"key": "a"}], "ops": [{"op": "delete", "key": "a"}]}},
        "invalid_check",
    ),
    (
        {"atomic": {"ops": [{"op": "delete", "key": "a"}, {"op": "put", "key": "a", "value": 1}]}},
        "duplicate_key",
    ),
    (
        {
            "atomic": {
                "ops": [{"op": "delete", "key": f"k{n}"} for n in range(LIMITS.atomic_max_keys + 1)]
            }
        },
        "too_many_keys",
    ),
    (
        {"atomic": {"ops": [{"op": "put", "key": "a", "value": 1, "metadata": 3}]}},
        "invalid_metadata",
    ),
    ({"atomic": {"ops": [{"op": "put", "key": "a", "value": 1, "ttl": -1}]}}, "invalid_ttl"),
    ({"atomic": {"ops": [{"op": "put", "key": "a", "value": 1}]}, "limit": 3}, "invalid_bulk"),
]


@pytest.mark.parametrize(("body", "code"), BAD_ATOMICS)
def test_a_bad_atomic_request_is_400_and_writes_nothing(account, body, code):
    account.put("a", "kept")
    before = snapshot(account)
    refused(post(account, body), 400, code)
    assert snapshot(account) == before


def test_an_atomic_body_over_its_limit_is_400_and_writes_nothing(account):
    raw = json.dumps({"atomic": {"ops": [{"op": "put", "key": "a", "value": 1}]}}).encode()
    padded = raw + b" " * (LIMITS.atomic_body_max_bytes + 1 - len(raw))
    refused(post(account, padded), 400, "atomic_too_large")
    assert snapshot(account) == ({}, 0)


def test_an_atomic_over_the_storage_quota_is_429_and_writes_nothing(account, monkeypatch):
    monkeypatch.setitem(plans.PLANS, "free", Plan("free", "Free", 0, 1000, 100))
    ops = [{"op": "put", "key": f"k{n}", "value": "x" * 20} for n in range(5)]
    refused(post(account, {"atomic": {"ops": ops}}), 429, "storage_quota_exceeded")
    assert snapshot(account) == ({}, 0)


def test_an_atomic_over_the_request_quota_is_refused_whole(account, monkeypatch):
    used = account.usage()["requests"]["used"]
    monkeypatch.setitem(plans.PLANS, "free", Plan("free", "Free", 0, used + 2, 10**6))
    ops = [{"op": "put", "key": f"k{n}", "value": n} for n in range(3)]
    refused(post(account, {"atomic": {"ops": ops}}), 429, "request_quota_exceeded")
    monkeypatch.setitem(plans.PLANS, "free", Plan("free", "Free", 0, 10**6, 10**6))
    assert snapshot(account) == ({}, 0)


def test_read_only_keys_may_not_use_atomic_or_delete_prefix(account):
    account.put("a", 1)
    reader = account.new_key(access="read-only")
    before = snapshot(account)
    refused(
        post(account, {"atomic": {"ops": [{"op": "delete", "key": "a"}]}}, reader),
        403,
        "read_only_key",
    )
    refused(post(account, {"deletePrefix": "a"}, reader), 403, "read_only_key")
    assert snapshot(account) == before
    assert listing(account, "?count=true", reader).json == {"count": 1}


def test_a_prefix_scoped_key_is_refused_whole_outside_its_prefix(account):
    account.put("mine/a", 1)
    account.put("other", 1)
    scoped = scoped_key(account, "mine/")
    before = snapshot(account)
    ops = [{"op": "delete", "key": "mine/a"}, {"op": "delete", "key": "other"}]
    refused(post(account, {"atomic": {"ops": ops}}, scoped), 403, "outside_key_prefix")
    refused(post(account, {"deletePrefix": "o"}, scoped), 403, "outside_key_prefix")
    refused(listing(account, "?count=true&prefix=o", scoped), 403, "outside_key_prefix")
    assert snapshot(account) == before
    assert listing(account, "?count=true", scoped).json == {"count": 1}
    assert listing(account, "?reverse=true&start=a", scoped).json["keys"] == ["mine/a"]
    assert post(account, {"deletePrefix": "mine/"}, scoped).json == {"deleted": 1, "more": False}
    assert account.list_keys() == ["other"]


# --- counts and prefix deletion --------------------------------------------------------


def test_count_with_and_without_a_prefix(account):
    for key in ["a/1", "a/2", "b/1"]:
        account.put(key, 1)
    assert listing(account, "?count=true").json == {"count": 3}
    assert listing(account, "?count=true&prefix=a/").json == {"count": 2}
    assert listing(account, "?count=false&limit=1").json["keys"] == ["a/1"]
    refused(listing(account, "?count=yes"), 400, "invalid_count")


def test_delete_prefix_pages(account):
    post(account, {"put": [{"key": f"log/{n:02}", "value": n} for n in range(5)]})
    account.put("logo", 1)
    first = post(account, {"deletePrefix": "log/", "limit": 3})
    assert (first.status_code, first.json) == (200, {"deleted": 3, "more": True})
    assert post(account, {"deletePrefix": "log/"}).json == {"deleted": 2, "more": False}
    assert account.list_keys() == ["logo"]
    assert snapshot(account)[1] == len("logo") + 1


@pytest.mark.parametrize(
    ("body", "code"),
    [
        ({"deletePrefix": ""}, "invalid_prefix"),
        ({"deletePrefix": None}, "invalid_prefix"),
        ({"deletePrefix": 3}, "invalid_prefix"),
        ({"deletePrefix": "a", "limit": 0}, "invalid_limit"),
        ({"deletePrefix": "a", "limit": LIMITS.delete_prefix_max_items + 1}, "invalid_limit"),
        ({"deletePrefix": "a", "limit": "5"}, "invalid_limit"),
        ({"deletePrefix": "a", "other": 1}, "invalid_bulk"),
        ({"limit": 5}, "invalid_bulk"),
        ({"deletePrefix": "a", "delete": ["a"]}, "invalid_bulk"),
    ],
)
def test_a_bad_prefix_deletion_is_400_and_deletes_nothing(account, body, code):
    account.put("a", 1)
    before = snapshot(account)
    refused(post(account, body), 400, code)
    assert snapshot(account) == before


# --- ranges ----------------------------------------------------------------------------


def walk(account, query: str) -> list[str]:
    keys: list[str] = []
    cursor = ""
    while True:
        page = listing(account, f"?limit=2{query}{cursor}")
        assert page.status_code == 200, page.json
        keys += page.json["keys"]
        if page.json["cursor"] is None:
            return keys
        cursor = f"&cursor={page.json['cursor']}"


def test_ranges_in_either_direction(account):
    post(account, {"put": [{"key": key, "value": 1} for key in "abcdefg"]})
    assert walk(account, "&reverse=true") == list("gfedcba")
    assert walk(account, "&start=b&end=e") == list("bcd")
    assert walk(account, "&start=b&end=e&reverse=true") == list("dcb")
    assert walk(account, "&end=c&reverse=true&details=true") == list("ba")
    cursor = listing(account, "?limit=2&start=b").json["cursor"]
    refused(listing(account, f"?limit=2&start=c&cursor={cursor}"), 400, "invalid_cursor")
    refused(
        listing(account, f"?limit=2&reverse=true&start=b&cursor={cursor}"), 400, "invalid_cursor"
    )


@pytest.mark.parametrize(
    ("query", "code"),
    [
        ("?start=d&end=b", "invalid_range"),
        ("?reverse=maybe", "invalid_reverse"),
        (f"?start={'x' * (LIMITS.key_max_bytes + 1)}", "invalid_start"),
        (f"?end={'x' * (LIMITS.key_max_bytes + 1)}", "invalid_end"),
    ],
)
def test_a_bad_range_is_400(account, query, code):
    refused(listing(account, query), 400, code)


def test_the_document_describes_the_third_round():
    document = openapi_document()
    route = document["paths"]["/v1/{namespace}"]
    names = {parameter["name"] for parameter in route["get"]["parameters"]}
    assert {"start", "end", "reverse", "count"} <= names
    bulk = document["components"]["schemas"]["BulkRequest"]["properties"]
    assert bulk["atomic"]["properties"]["ops"]["items"]["oneOf"]
    assert bulk["limit"]["maximum"] == LIMITS.delete_prefix_max_items
    assert {"409", "412"} <= set(route["post"]["responses"])
    assert "failed" in document["components"]["schemas"]["Error"]["properties"]
