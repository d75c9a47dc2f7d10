"""The data plane's second round over HTTP: expiry, metadata, increment, merge patch,
bulk and detailed lists. Every refusal is checked to write nothing."""

from __future__ import annotations

import dataclasses
import json
import threading
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from kv_api.openapi import openapi_document
from kv_core import plans
from kv_core.limits import LIMITS
from kv_core.plans import Plan

MERGE_PATCH = "application/merge-patch+json"


class Clock:
    """The services' clock, moved by hand."""

    def __init__(self) -> None:
        # Just after the start of a second, so that a test's own steps stay in it.
        self.now = datetime.now(UTC).replace(microsecond=1000) + timedelta(seconds=1)

    def __call__(self) -> datetime:
        return self.now

    @property
    def second(self) -> int:
        return int(self.now.timestamp())

    def advance(self, seconds: float) -> None:
        self.now += timedelta(seconds=seconds)


@pytest.fixture
def clock(app, monkeypatch) -> Clock:
    clock = Clock()
    services = app.extensions["kv_services"]
    for service in (services.items, services.api_keys):
        monkeypatch.setattr(service, "config", dataclasses.replace(service.config, clock=clock))
    return clock


def refused(response, status: int, code: str, index: int | None = None) -> None:
    """A JSON error with that status and code (and the bulk entry's index, if any)."""
    assert response.status_code == status, response.get_data(as_text=True)
    body = response.get_json()
    assert body["code"] == code, body
    assert isinstance(body["error"], str)
    assert body["error"]
    expected = {"error", "code"} | ({"index"} if index is not None else set())
    assert set(body) == expected, body
    if index is not None:
        assert body["index"] == index


def stored_bytes(account) -> int:
    return int(account.usage()["storage"]["usedBytes"])


def put(account, key: str, value: Any, query: str = "", **headers: str):
    return account.client.put(
        f"/v1/{account.namespace}/{key}{query}",
        data=json.dumps(value),
        content_type="application/json",
        headers={**account.key_header, **headers},
    )


def increment(account, key: str, body: Any, query: str = ""):
    return account.client.post(
        f"/v1/{account.namespace}/{key}{query}",
        data=body if isinstance(body, bytes) else json.dumps(body),
        content_type="application/json",
        headers=account.key_header,
    )


def patch(account, key: str, body: Any, content_type: str | None = MERGE_PATCH, **headers: str):
    return account.client.patch(
        f"/v1/{account.namespace}/{key}",
        data=body if isinstance(body, bytes) else json.dumps(body),
        headers={
            **account.key_header,
            **headers,
            **({"Content-Type": content_type} if content_type else {}),
        },
    )


def bulk(account, body: Any, api_key: str | None = None):
    return account.client.post(
        f"/v1/{account.namespace}",
        data=body if isinstance(body, bytes) else json.dumps(body),
        content_type="application/json",
        headers={"x-api-key": api_key or account.api_key},
    )


def listing(account, query: str = ""):
    return account.client.get(f"/v1/{account.namespace}{query}", headers=account.key_header)


# --- PUT with expiry and metadata ------------------------------------------------


def test_put_with_ttl_and_metadata_shows_both(account, clock):
    written = put(account, "s", {"cart": ["tea"]}, "?ttl=60", **{"KV-Metadata": '{"user": 42}'})
    assert written.status_code == 201, written.json
    assert set(written.json) == {"key", "version", "updatedAt", "expiresAt"}
    assert written.json["expiresAt"] == clock.second + 60
    got = account.get("s")
    assert got.status_code == 200
    assert got.json == {
        "key": "s",
        "value": {"cart": ["tea"]},
        "version": 1,
        "updatedAt": got.json["updatedAt"],
        "expiresAt": clock.second + 60,
        "metadata": {"user": 42},
    }
    assert got.headers["ETag"] == written.headers["ETag"]


def test_a_plain_put_is_permanent_and_replaces_expiry_and_metadata(account, clock):
    put(account, "s", 1, f"?expiresAt={clock.second + 100}", **{"KV-Metadata": '{"a": 1}'})
    assert account.get("s").json["expiresAt"] == clock.second + 100
    assert put(account, "s", 2).status_code == 200  # the fast path's plain PUT
    got = account.get("s").json
    assert (got["value"], got["expiresAt"], got["metadata"]) == (2, None, None)


def test_metadata_counts_in_storage(account):
    put(account, "k", 1)
    plain = stored_bytes(account)
    put(account, "k", 1, **{"KV-Metadata": '{ "a" : 1 }'})  # compact: {"a":1}, 7 bytes
    assert stored_bytes(account) == plain + 7


def test_metadata_of_exactly_the_limit_is_kept(account):
    filler = "x" * (LIMITS.metadata_max_bytes - len('{"a":""}'))
    response = put(
        account,
        "k",
        1,
        **{"KV-Metadata": "  " + json.dumps({"a": filler}, separators=(" , ", " : "))},
    )
    assert response.status_code == 201, response.json
    assert account.get("k").json["metadata"] == {"a": filler}


def deep(levels: int) -> str:
    return '{"a":' * levels + "1" + "}" * levels


BAD_PUT_QUERIES = [
    ("?ttl=10&expiresAt={future}", "ttl_and_expires_at"),
    ("?ttl=abc", "invalid_ttl"),
    ("?ttl=", "invalid_ttl"),
    ("?ttl=1.5", "invalid_ttl"),
    ("?ttl=%2B5", "invalid_ttl"),
    ("?ttl=%205", "invalid_ttl"),
    ("?ttl=1_0", "invalid_ttl"),
    ("?ttl=0", "invalid_ttl"),
    ("?ttl=-1", "invalid_ttl"),
    (f"?ttl={LIMITS.ttl_max_seconds + 1}", "invalid_ttl"),
    ("?ttl=99999999999999999999999999", "invalid_ttl"),
    ("?ttl=5&ttl=6", "invalid_ttl"),
    ("?expiresAt=soon", "invalid_expires_at"),
    ("?expiresAt={past}", "invalid_expires_at"),
    ("?expiresAt={now}", "invalid_expires_at"),
    ("?expiresAt={too_far}", "invalid_expires_at"),
]


@pytest.mark.parametrize(("query", "code"), BAD_PUT_QUERIES)
def test_a_bad_expiry_is_refused_and_writes_nothing(account, clock, query, code):
    query = query.format(
        future=clock.second + 10,
        past=clock.second - 1,
        now=clock.second,
        too_far=clock.second + LIMITS.ttl_max_seconds + 1,
    )
    before = stored_bytes(account)
    refused(put(account, "k", "v", query), 400, code)
    assert account.get("k").status_code == 404
    assert stored_bytes(account) == before


@pytest.mark.parametrize(
    ("header", "code"),
    [
        ("[1]", "invalid_metadata"),
        ("1", "invalid_metadata"),
        ('"text"', "invalid_metadata"),
        ("null", "invalid_metadata"),
        ("", "invalid_metadata"),
        ("{", "invalid_metadata"),
        ('{"a": 1, "a": 2}', "invalid_metadata"),
        ('{"a": NaN}', "invalid_metadata"),
        ('{"a": "\\ud800"}', "invalid_metadata"),
        ('{"a": "\xff"}', "invalid_metadata"),  # the byte 0xff: not UTF-8
        (json.dumps({"a": "x" * LIMITS.metadata_max_bytes}), "metadata_too_large"),
        (" " * (4 * LIMITS.metadata_max_bytes) + "{}", "metadata_too_large"),
        (deep(LIMITS.json_max_depth + 1), "too_deep"),
    ],
)
def test_bad_metadata_is_refused_and_writes_nothing(account, header, code):
    before = stored_bytes(account)
    refused(put(account, "k", "v", **{"KV-Metadata": header}), 400, code)
    assert account.get("k").status_code == 404
    assert stored_bytes(account) == before


def test_a_bad_expiry_on_a_replace_leaves_the_item_as_it_was(account, clock):
    put(account, "k", "old", **{"KV-Metadata": '{"a": 1}'})
    before = account.get("k").json
    refused(put(account, "k", "new", "?ttl=0", **{"KV-Metadata": '{"b": 2}'}), 400, "invalid_ttl")
    refused(put(account, "k", "new", **{"KV-Metadata": "[]"}), 400, "invalid_metadata")
    assert account.get("k").json == before


# --- expiry to the second ----------------------------------------------------------


def test_an_item_is_gone_for_every_reader_in_its_expiry_second(account, clock):
    assert put(account, "s", "v", "?ttl=2").status_code == 201
    etag = account.get("s").headers["ETag"]
    clock.advance(1.9)  # still the second before
    assert account.get("s").status_code == 200
    assert listing(account).json["keys"] == ["s"]
    clock.advance(0.1)  # the expiry second
    assert account.get("s").status_code == 404
    assert listing(account).json["keys"] == []
    assert listing(account, "?details=true").json["items"] == []
    assert bulk(account, {"get": ["s"]}).json == {"items": [], "missing": ["s"]}
    refused(patch(account, "s", {"a": 1}), 404, "item_not_found")
    refused(put(account, "s", "w", **{"If-Match": etag}), 412, "precondition_failed")
    assert put(account, "s", "w", **{"If-None-Match": "*"}).status_code == 201


def test_increment_and_patch_keep_the_expiry_unless_told(account, clock):
    put(account, "n", 1, "?ttl=100", **{"KV-Metadata": '{"m": true}'})
    expires = clock.second + 100
    assert increment(account, "n", {"increment": 1}).json["expiresAt"] == expires
    assert increment(account, "n", {"increment": 1}, "?ttl=5").json["expiresAt"] == (
        clock.second + 5
    )
    put(account, "p", {"a": 1}, "?ttl=100")
    patched = patch(account, "p", {"b": 2})
    assert patched.status_code == 200
    assert patched.json["expiresAt"] == expires
    assert account.get("n").json["metadata"] == {"m": True}


# --- increment ---------------------------------------------------------------------


def test_increment_creates_at_zero_then_adds(account):
    first = increment(account, "c", {"increment": 1})
    assert first.status_code == 201
    assert first.json["value"] == 1
    assert first.json["expiresAt"] is None
    assert first.headers["ETag"]
    second = increment(account, "c", {"increment": 41})
    assert second.status_code == 200
    assert second.json["value"] == 42
    assert second.headers["ETag"] != first.headers["ETag"]
    assert second.headers["ETag"] == account.get("c").headers["ETag"]
    assert increment(account, "c", {"increment": -2.5}).json["value"] == 39.5


def test_increment_adds_decimals(account):
    increment(account, "b", {"increment": 0.1})
    assert increment(account, "b", {"increment": 0.2}).json["value"] == 0.3


def test_increment_with_ttl_on_a_new_counter(account, clock):
    response = increment(account, "r", {"increment": 1}, "?ttl=60")
    assert response.status_code == 201
    assert response.json["expiresAt"] == clock.second + 60


@pytest.mark.parametrize(
    ("body", "code"),
    [
        (b"", "invalid_json"),
        (b"{", "invalid_json"),
        (b'{"increment": 1, "increment": 2}', "invalid_json"),
        ([1], "invalid_body"),
        (1, "invalid_body"),
        ({}, "invalid_body"),
        ({"by": 1}, "invalid_body"),
        ({"increment": 1, "ttl": 5}, "invalid_body"),
        ({"increment": "1"}, "invalid_increment"),
        ({"increment": True}, "invalid_increment"),
        ({"increment": None}, "invalid_increment"),
        ({"increment": [1]}, "invalid_increment"),
    ],
)
def test_a_bad_increment_body_is_refused_and_writes_nothing(account, body, code):
    refused(increment(account, "c", body), 400, code)
    assert account.get("c").status_code == 404
    assert stored_bytes(account) == 0


@pytest.mark.parametrize(
    ("query", "code"),
    [("?ttl=0", "invalid_ttl"), ("?ttl=1&expiresAt=2", "ttl_and_expires_at")],
)
def test_a_bad_increment_expiry_is_refused_and_writes_nothing(account, query, code):
    refused(increment(account, "c", {"increment": 1}, query), 400, code)
    assert account.get("c").status_code == 404
    assert stored_bytes(account) == 0


def test_increment_of_a_non_number_is_a_conflict(account):
    put(account, "t", "text")
    before = account.get("t").json
    refused(increment(account, "t", {"increment": 1}), 409, "not_a_number")
    assert account.get("t").json == before


def test_increment_out_of_range_is_a_conflict(account):
    put(account, "big", 10**37)
    before = account.get("big").json
    refused(increment(account, "big", {"increment": 10**38}), 409, "number_out_of_range")
    assert account.get("big").json == before


def test_increment_needs_a_writing_key(account):
    reader = account.new_key(access="read-only")
    response = account.client.post(
        f"/v1/{account.namespace}/c", json={"increment": 1}, headers={"x-api-key": reader}
    )
    refused(response, 403, "read_only_key")
    assert account.get("c").status_code == 404


def test_eight_threads_of_500_increments_end_at_4000(app, account, atomic_moto):
    errors: list[Any] = []

    def count() -> None:
        client = app.test_client()
        for _ in range(500):
            response = client.post(
                f"/v1/{account.namespace}/hits", json={"increment": 1}, headers=account.key_header
            )
            if response.status_code not in (200, 201):
                errors.append(response.json)

    threads = [threading.Thread(target=count) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    got = account.get("hits").json
    assert got["value"] == 4000
    assert got["version"] == 4000


# --- merge patch -------------------------------------------------------------------


def test_a_merge_patch_changes_only_what_it_names(account):
    put(account, "p", {"name": "Ada", "theme": "dark", "beta": True, "deep": {"a": 1, "b": 2}})
    etag = account.get("p").headers["ETag"]
    patched = patch(account, "p", {"theme": "light", "beta": None, "deep": {"b": None}})
    assert patched.status_code == 200
    assert patched.json["value"] == {"name": "Ada", "theme": "light", "deep": {"a": 1}}
    assert patched.json["version"] == 2
    assert patched.headers["ETag"] != etag
    assert account.get("p").json["value"] == patched.json["value"]


def test_a_merge_patch_with_charset_is_taken(account):
    put(account, "p", {"a": 1})
    response = patch(account, "p", {"b": 2}, content_type=f"{MERGE_PATCH}; charset=utf-8")
    assert response.status_code == 200
    assert response.json["value"] == {"a": 1, "b": 2}


def test_a_merge_patch_honours_if_match(account):
    put(account, "p", {"a": 1})
    etag = account.get("p").headers["ETag"]
    assert patch(account, "p", {"b": 2}, **{"If-Match": etag}).status_code == 200
    before = account.get("p").json
    refused(patch(account, "p", {"c": 3}, **{"If-Match": etag}), 412, "precondition_failed")
    assert account.get("p").json == before
    assert patch(account, "p", {"c": 3}, **{"If-Match": "*"}).status_code == 200


@pytest.mark.parametrize("content_type", ["application/json", "text/plain", None])
def test_a_patch_of_another_type_is_415_and_writes_nothing(account, content_type):
    put(account, "p", {"a": 1})
    before = account.get("p").json
    response = patch(account, "p", {"a": 2}, content_type=content_type)
    refused(response, 415, "unsupported_media_type")
    assert response.headers["Accept-Patch"] == MERGE_PATCH
    assert account.get("p").json == before


def test_a_patch_of_a_missing_item_is_404_and_creates_nothing(account):
    refused(patch(account, "nothing", {"a": 1}), 404, "item_not_found")
    assert account.get("nothing").status_code == 404
    assert stored_bytes(account) == 0


@pytest.mark.parametrize(
    ("body", "status", "code"),
    [
        (b"", 400, "invalid_json"),
        (b"{", 400, "invalid_json"),
        (b'{"a": 1, "a": 2}', 400, "invalid_json"),
        (deep(LIMITS.json_max_depth + 1).encode(), 400, "too_deep"),
        ({"big": "x" * LIMITS.value_max_bytes}, 413, "value_too_large"),
        (b" " * (4 * LIMITS.value_max_bytes + 1), 413, "payload_too_large"),
    ],
)
def test_a_bad_patch_is_refused_and_writes_nothing(account, body, status, code):
    put(account, "p", {"a": 1})
    before, size = account.get("p").json, stored_bytes(account)
    refused(patch(account, "p", body), status, code)
    assert account.get("p").json == before
    assert stored_bytes(account) == size


def test_a_patch_that_makes_the_value_too_large_is_413(account):
    put(account, "p", {"a": "x" * (LIMITS.value_max_bytes - 100)})
    before = account.get("p").json
    refused(patch(account, "p", {"b": "y" * 200}), 413, "value_too_large")
    assert account.get("p").json == before


def test_a_patch_over_the_storage_quota_is_429(account, monkeypatch):
    monkeypatch.setitem(plans.PLANS, "free", Plan("free", "Free", 0, 1000, 100))
    put(account, "p", {"a": 1})
    before = account.get("p").json
    refused(patch(account, "p", {"b": "x" * 100}), 429, "storage_quota_exceeded")
    assert account.get("p").json == before


def test_concurrent_patches_of_different_fields_all_survive(app, account, atomic_moto):
    put(account, "doc", {})
    errors: list[Any] = []

    def write(field: str) -> None:
        client = app.test_client()
        for n in range(20):
            for _ in range(5):  # a client resends a patch_contended patch
                response = client.patch(
                    f"/v1/{account.namespace}/doc",
                    data=json.dumps({f"{field}-{n}": n}),
                    headers={**account.key_header, "Content-Type": MERGE_PATCH},
                )
                if response.status_code != 409:
                    break
            if response.status_code != 200:
                errors.append(response.json)

    fields = [f"f{i}" for i in range(6)]
    threads = [threading.Thread(target=write, args=(field,)) for field in fields]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    # Every patch lands, none undoes another's field.
    assert errors == []
    value = account.get("doc").json["value"]
    assert value == {f"{field}-{n}": n for field in fields for n in range(20)}


# --- bulk --------------------------------------------------------------------------


def test_bulk_put_get_and_delete(account, clock):
    written = bulk(
        account,
        {
            "put": [
                {"key": "a", "value": 1},
                {"key": "b", "value": {"x": 2}, "metadata": {"m": 1}},
                {"key": "c", "value": 3, "ttl": 60},
                {"key": "d", "value": 4, "expiresAt": clock.second + 10},
            ]
        },
    )
    assert (written.status_code, written.json) == (200, {"written": 4})
    got = bulk(account, {"get": ["c", "zz", "b", "a", "zz"]})
    assert got.status_code == 200
    assert [item["key"] for item in got.json["items"]] == ["c", "b", "a"]
    assert got.json["missing"] == ["zz", "zz"]
    by_key = {item["key"]: item for item in got.json["items"]}
    assert by_key["b"] == {**account.get("b").json}
    assert by_key["b"]["metadata"] == {"m": 1}
    assert by_key["c"]["expiresAt"] == clock.second + 60
    assert account.get("d").json["expiresAt"] == clock.second + 10
    deleted = bulk(account, {"delete": ["a", "b", "nope"]})
    assert (deleted.status_code, deleted.json) == (200, {"deleted": 2})
    assert account.list_keys() == ["c", "d"]


def test_a_read_only_key_may_only_bulk_get(account):
    put(account, "a", 1)
    reader = account.new_key(access="read-only")
    assert bulk(account, {"get": ["a"]}, api_key=reader).status_code == 200
    refused(bulk(account, {"put": [{"key": "b", "value": 1}]}, reader), 403, "read_only_key")
    refused(bulk(account, {"delete": ["a"]}, reader), 403, "read_only_key")
    assert account.list_keys() == ["a"]


def test_each_bulk_key_counts_as_a_request(account):
    before = account.usage()["requests"]["used"]
    bulk(account, {"put": [{"key": str(n), "value": n} for n in range(5)]})
    bulk(account, {"get": ["0", "1", "9"]})
    assert account.usage()["requests"]["used"] == before + 5 + 3


def entries(count: int) -> list[dict[str, Any]]:
    return [{"key": f"k{n}", "value": n} for n in range(count)]


BAD_BULKS = [
    ([1], "invalid_bulk", None),
    ("get", "invalid_bulk", None),
    ({}, "invalid_bulk", None),
    ({"get": ["a"], "delete": ["a"]}, "invalid_bulk", None),
    ({"get": ["a"], "put": entries(1)}, "invalid_bulk", None),
    ({"GET": ["a"]}, "invalid_bulk", None),
    ({"get": []}, "invalid_bulk", None),
    ({"get": "a"}, "invalid_bulk", None),
    ({"get": [f"k{n}" for n in range(LIMITS.bulk_get_max_keys + 1)]}, "invalid_bulk", None),
    ({"get": ["a", 1]}, "invalid_key", 1),
    ({"get": ["a", ""]}, "invalid_key", 1),
    ({"put": []}, "invalid_bulk", None),
    ({"put": {"key": "a", "value": 1}}, "invalid_bulk", None),
    ({"put": entries(LIMITS.bulk_write_max_items + 1)}, "invalid_bulk", None),
    ({"put": [*entries(2), "k"]}, "invalid_entry", 2),
    ({"put": [*entries(1), {"key": "x"}]}, "invalid_entry", 1),
    ({"put": [*entries(1), {"value": 1}]}, "invalid_entry", 1),
    ({"put": [*entries(1), {"key": "x", "value": 1, "etag": "e"}]}, "invalid_entry", 1),
    ({"put": [*entries(1), {"key": 7, "value": 1}]}, "invalid_key", 1),
    ({"put": [*entries(1), {"key": "a\x00b", "value": 1}]}, "invalid_key", 1),
    ({"put": [*entries(3), {"key": "k1", "value": 1}]}, "duplicate_key", 3),
    ({"put": [*entries(1), {"key": "x", "value": 1, "ttl": 0}]}, "invalid_ttl", 1),
    ({"put": [*entries(1), {"key": "x", "value": 1, "ttl": "5"}]}, "invalid_ttl", 1),
    ({"put": [*entries(1), {"key": "x", "value": 1, "ttl": 1.5}]}, "invalid_ttl", 1),
    ({"put": [*entries(1), {"key": "x", "value": 1, "expiresAt": 1}]}, "invalid_expires_at", 1),
    (
        {"put": [*entries(1), {"key": "x", "value": 1, "ttl": 5, "expiresAt": 2**40}]},
        "ttl_and_expires_at",
        1,
    ),
    ({"put": [*entries(1), {"key": "x", "value": 1, "metadata": [1]}]}, "invalid_metadata", 1),
    (
        {
            "put": [
                *entries(1),
                {"key": "x", "value": 1, "metadata": {"a": "x" * LIMITS.metadata_max_bytes}},
            ]
        },
        "metadata_too_large",
        1,
    ),
    (
        {"put": [*entries(2), {"key": "x", "value": "x" * LIMITS.value_max_bytes}]},
        "value_too_large",
        2,
    ),
    ({"delete": []}, "invalid_bulk", None),
    ({"delete": [f"k{n}" for n in range(LIMITS.bulk_write_max_items + 1)]}, "invalid_bulk", None),
    ({"delete": ["k0", None]}, "invalid_key", 1),
]


@pytest.mark.parametrize(("body", "code", "index"), BAD_BULKS)
def test_a_bad_bulk_request_is_refused_whole_and_writes_nothing(account, body, code, index):
    put(account, "k0", "kept")
    before, size = account.list_keys(), stored_bytes(account)
    refused(bulk(account, body), 400, code, index)
    if index is not None:
        assert f"[{index}]" in bulk(account, body).json["error"]
    assert account.list_keys() == before
    assert stored_bytes(account) == size
    assert account.get("k0").json["value"] == "kept"


@pytest.mark.parametrize(
    ("body", "code"),
    [
        (b"", "invalid_json"),
        (b"{", "invalid_json"),
        (b'{"get": ["a"], "get": ["b"]}', "invalid_json"),
    ],
)
def test_a_bulk_body_that_is_not_strict_json_is_refused(account, body, code):
    refused(bulk(account, body), 400, code)
    assert stored_bytes(account) == 0


def test_a_bulk_body_may_be_larger_than_an_item_body(account):
    value = "x" * (LIMITS.value_max_bytes - 2)  # at the value limit as compact JSON
    count = 4 * 1024 * 1024 // len(value) + 1  # more than PUT's body limit in all
    body = {"put": [{"key": f"k{n}", "value": value} for n in range(count)]}
    response = bulk(account, body)
    assert response.status_code == 200, response.json
    assert response.json == {"written": count}


def test_a_bulk_body_over_its_limit_is_413_and_writes_nothing(account):
    body = json.dumps({"put": entries(1)}).encode()
    padded = body + b" " * (LIMITS.bulk_body_max_bytes + 1 - len(body))
    refused(bulk(account, padded), 413, "payload_too_large")
    assert account.list_keys() == []


def test_a_bulk_put_over_the_storage_quota_writes_nothing(account, monkeypatch):
    monkeypatch.setitem(plans.PLANS, "free", Plan("free", "Free", 0, 1000, 100))
    body = {"put": [{"key": f"k{n}", "value": "x" * 20} for n in range(5)]}  # 5 x 24 bytes
    refused(bulk(account, body), 429, "storage_quota_exceeded")
    assert account.list_keys() == []
    assert stored_bytes(account) == 0


def test_a_bulk_request_over_the_request_quota_is_refused_whole(account, monkeypatch):
    used = account.usage()["requests"]["used"]
    monkeypatch.setitem(plans.PLANS, "free", Plan("free", "Free", 0, used + 3, 10**6))
    refused(bulk(account, {"put": entries(5)}), 429, "request_quota_exceeded")
    assert account.list_keys() == []


# --- detailed lists ----------------------------------------------------------------


def test_a_detailed_list_describes_each_key(account, clock):
    put(account, "a", 1, "?ttl=30", **{"KV-Metadata": '{"m": 1}'})
    put(account, "b", 2)
    page = listing(account, "?details=true")
    assert page.status_code == 200
    assert page.json["keys"] == ["a", "b"]
    assert page.json["cursor"] is None
    first, second = page.json["items"]
    assert first == {
        "key": "a",
        "version": 1,
        "updatedAt": account.get("a").json["updatedAt"],
        "expiresAt": clock.second + 30,
        "metadata": {"m": 1},
    }
    assert (second["key"], second["expiresAt"], second["metadata"]) == ("b", None, None)
    assert set(listing(account, "?details=false").json) == {"keys", "cursor"}
    assert set(listing(account).json) == {"keys", "cursor"}


def test_a_detailed_list_pages_like_a_plain_one(account):
    for key in "abc":
        put(account, key, 1)
    first = listing(account, "?details=true&limit=2").json
    assert [item["key"] for item in first["items"]] == first["keys"] == ["a", "b"]
    rest = listing(account, f"?details=true&cursor={first['cursor']}").json
    assert [item["key"] for item in rest["items"]] == ["c"]


@pytest.mark.parametrize("value", ["yes", "1", "True", "", "true&details=false"])
def test_details_is_true_or_false(account, value):
    refused(listing(account, f"?details={value}"), 400, "invalid_details")


# --- the document ------------------------------------------------------------------


def test_the_document_reads_its_bounds_from_the_limits():
    document = openapi_document()
    item = document["paths"]["/v1/{namespace}/{key}"]
    ttl = next(p for p in item["put"]["parameters"] if p["name"] == "ttl")
    assert (ttl["schema"]["minimum"], ttl["schema"]["maximum"]) == (
        LIMITS.ttl_min_seconds,
        LIMITS.ttl_max_seconds,
    )
    metadata = next(p for p in item["put"]["parameters"] if p["name"] == "KV-Metadata")
    assert f"{LIMITS.metadata_max_bytes} bytes" in metadata["description"]
    assert "application/merge-patch+json" in item["patch"]["requestBody"]["content"]
    assert "415" in item["patch"]["responses"]
    request = document["components"]["schemas"]["BulkRequest"]["properties"]
    assert request["get"]["maxItems"] == LIMITS.bulk_get_max_keys
    assert (
        request["put"]["maxItems"] == request["delete"]["maxItems"] == (LIMITS.bulk_write_max_items)
    )
    bulk_op = document["paths"]["/v1/{namespace}"]["post"]
    assert str(LIMITS.bulk_body_max_bytes) in bulk_op["requestBody"]["description"]


# --- bodies and the fast path ------------------------------------------------------


def test_a_chunked_bulk_body_is_read_to_its_own_limit(account, chunked):
    headers = {**account.key_header, "Content-Type": "application/json"}
    value = "x" * (LIMITS.value_max_bytes - 2)
    count = 4 * 1024 * 1024 // len(value) + 1
    body = json.dumps({"put": [{"key": f"k{n}", "value": value} for n in range(count)]})
    response = chunked("POST", f"/v1/{account.namespace}", body.encode(), headers)
    assert (response.status_code, response.json) == (200, {"written": count})
    over = json.dumps({"put": entries(1)}).encode()
    over += b" " * (LIMITS.bulk_body_max_bytes + 1 - len(over))
    refused(chunked("POST", f"/v1/{account.namespace}", over, headers), 413, "payload_too_large")
    assert len(account.list_keys()) == count


def test_a_chunked_increment_or_patch_over_the_item_limit_is_413(account, chunked):
    put(account, "p", {"a": 1})
    too_big = b" " * (4 * LIMITS.value_max_bytes + 1)
    path = f"/v1/{account.namespace}"
    json_headers = {**account.key_header, "Content-Type": "application/json"}
    patch_headers = {**account.key_header, "Content-Type": MERGE_PATCH}
    refused(chunked("POST", f"{path}/c", too_big, json_headers), 413, "payload_too_large")
    refused(chunked("PATCH", f"{path}/p", too_big, patch_headers), 413, "payload_too_large")
    assert account.get("c").status_code == 404
    assert account.get("p").json["value"] == {"a": 1}


@pytest.fixture
def handed_on(app, monkeypatch) -> list[str]:
    """The requests the fast path handed to Flask, as ``METHOD path?query``."""
    fast = app.wsgi_app
    flask_app = fast.wsgi_app
    seen: list[str] = []

    def recorded(environ, start_response):
        seen.append(f"{environ['REQUEST_METHOD']} {environ['PATH_INFO']}")
        return flask_app(environ, start_response)

    monkeypatch.setattr(fast, "wsgi_app", recorded)
    return seen


def test_the_fast_path_hands_on_expiry_and_metadata(account, handed_on, clock):
    path = f"/v1/{account.namespace}/k"
    assert put(account, "k", 1, "?ttl=30").json["expiresAt"] == clock.second + 30
    assert put(account, "k", 1, f"?expiresAt={clock.second + 5}").status_code == 200
    assert put(account, "k", 1, **{"KV-Metadata": '{"a": 1}'}).status_code == 200
    refused(put(account, "k", 1, "?ttl=0"), 400, "invalid_ttl")
    refused(put(account, "k", 1, **{"KV-Metadata": "[]"}), 400, "invalid_metadata")
    assert handed_on == [f"PUT {path}"] * 5
    assert account.get("k").json["metadata"] == {"a": 1}  # served by the fast path
    assert put(account, "k", 2).status_code == 200
    assert handed_on == [f"PUT {path}"] * 5
    assert account.get("k").json["metadata"] is None
