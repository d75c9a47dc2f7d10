"""The second round's calls without a server of ours: how bulk calls are split into
requests within the API's limits, and which of the new calls are retried, through
both clients against a local server that fails on purpose."""

from __future__ import annotations

import inspect
import json

import pytest

from kv_sdk import (
    BulkItem,
    Conflict,
    InvalidRequest,
    KVClient,
    NotANumber,
    NumberOutOfRange,
    PatchContended,
    ServerError,
    UnsupportedMediaType,
    calls,
)
from kv_sdk.aio import AsyncKVClient

pytestmark = pytest.mark.anyio

BULK = "/v1/app"
ITEM = "/v1/app/k"
ITEM_BODY = {"key": "k", "value": 2, "version": 2, "updatedAt": "t", "expiresAt": None}


async def done(result):
    return await result if inspect.isawaitable(result) else result


@pytest.fixture(params=["sync", "async"])
async def client(request, flaky):
    if request.param == "sync":
        with KVClient("kv_test", base_url=flaky.url, timeout=2) as kv:
            yield kv
    else:
        async with AsyncKVClient("kv_test", base_url=flaky.url, timeout=2) as kv:
            yield kv


# Splitting.


def test_keys_are_split_in_order_into_runs_of_the_limit():
    keys = [f"k{i}" for i in range(250)]
    runs = list(calls.chunks(keys, calls.MAX_BULK_GET))
    assert [len(run) for run in runs] == [100, 100, 50]
    assert [key for run in runs for key in run] == keys
    assert list(calls.chunks([], 100)) == []


def test_repeated_keys_are_asked_once_in_first_order():
    assert calls.unique(["b", "a", "b", "c", "a"]) == ["b", "a", "c"]
    with pytest.raises(ValueError, match="non-empty"):
        calls.unique(["a", ""])


def test_a_bulk_put_holds_at_most_1000_items():
    items = [BulkItem(f"k{i:04d}", i) for i in range(2500)]
    batches = list(calls.put_batches(items))
    assert [count for count, _ in batches] == [1000, 1000, 500]
    decoded = [json.loads(body)["put"] for _, body in batches]
    assert [entry["key"] for batch in decoded for entry in batch] == [i.key for i in items]


def test_a_bulk_put_stays_within_the_body_limit():
    value = "x" * 200_000  # 200 KB, under the 256 KiB of one value
    items = [BulkItem(f"k{i:03d}", value) for i in range(120)]
    batches = list(calls.put_batches(items))
    assert all(len(body) <= calls.MAX_BULK_BODY for _, body in batches)
    assert sum(count for count, _ in batches) == 120
    assert len(batches) == 3  # 52 items of ~200 KB fill 10 MiB
    assert [count for count, _ in batches][:2] == [52, 52]
    # A batch is as full as the limit lets it be: one more item would not fit.
    first = batches[0][1]
    assert len(first) + len(calls.encode_bulk_item(items[52])) + 1 > calls.MAX_BULK_BODY


def test_bulk_items_carry_expiry_and_metadata_and_refuse_mistakes_before_sending():
    ((_, body),) = calls.put_batches(
        [BulkItem("a", 1, ttl=60), BulkItem("b", 2, expires_at=2_000_000_000, metadata={"m": 1})]
    )
    assert json.loads(body) == {
        "put": [
            {"key": "a", "value": 1, "ttl": 60},
            {"key": "b", "value": 2, "expiresAt": 2_000_000_000, "metadata": {"m": 1}},
        ]
    }
    with pytest.raises(ValueError, match="not both"):
        list(calls.put_batches([BulkItem("a", 1, ttl=1, expires_at=2)]))
    with pytest.raises(ValueError, match="twice"):
        calls.bulk_items([BulkItem("a", 1), BulkItem("a", 2)])
    with pytest.raises(ValueError, match="JSON"):
        list(calls.put_batches([BulkItem("a", float("nan"))]))
    assert calls.bulk_items({"x": 1}) == [BulkItem("x", 1)]


def test_put_options_become_the_query_and_the_metadata_header():
    request = calls.put_item(
        "app", "k", 1, if_match=None, only_if_absent=False, ttl=30, metadata={"ü": 1}
    )
    assert request.params == {"ttl": "30"}
    assert request.headers["KV-Metadata"] == '{"\\u00fc":1}'
    assert json.loads(request.headers["KV-Metadata"]) == {"ü": 1}
    with pytest.raises(ValueError, match="not both"):
        calls.put_item("app", "k", 1, if_match=None, only_if_absent=False, ttl=1, expires_at=2)
    with pytest.raises(TypeError):
        calls.increment_item("app", "k", "1", ttl=None, expires_at=None)  # type: ignore[arg-type]
    patch = calls.patch_item("app", "k", {"a": None}, if_match="e")
    assert patch.headers == {"Content-Type": "application/merge-patch+json", "If-Match": '"e"'}


async def test_get_many_splits_by_100_and_keeps_the_order_asked(flaky, client):
    keys = [f"k{i:03d}" for i in range(250)]
    # The server answers every chunk alike; the SDK keeps only the keys it asked for.
    found = [{"key": k, "value": k, "version": 1} for k in keys if k.endswith("7")]
    flaky.script("POST", BULK, flaky.reply(200, {"items": found[::-1], "missing": []}))
    many = await done(client.get_many("app", [*keys, "k007"]))
    assert flaky.count("POST", BULK) == 3
    assert [item.key for item in many] == [k for k in keys if k.endswith("7")]
    assert many.missing == [k for k in keys if not k.endswith("7")]


async def test_put_many_and_delete_many_add_up_the_counts(flaky, client):
    flaky.script("POST", BULK, flaky.reply(200, {"written": 1000}))
    assert await done(client.put_many("app", {f"k{i}": i for i in range(2000)})) == 2000
    assert flaky.count("POST", BULK) == 2
    flaky.script("POST", BULK, flaky.reply(200, {"deleted": 7}))
    assert await done(client.delete_many("app", [f"k{i}" for i in range(1001)])) == 14
    assert flaky.count("POST", BULK) == 4


async def test_a_refused_entry_is_named_by_its_index_in_the_whole_call(flaky, client):
    refusal = {"error": "put[3]: bad ttl", "code": "invalid_ttl", "index": 3}
    flaky.script("POST", BULK, flaky.reply(200, {"written": 1000}), flaky.reply(400, refusal))
    with pytest.raises(InvalidRequest) as refused:
        await done(client.put_many("app", {f"k{i}": i for i in range(1500)}))
    assert (refused.value.index, refused.value.code) == (1003, "invalid_ttl")


# Retry decisions: POST and PATCH are not retried once they may have reached the server.


@pytest.mark.parametrize(
    ("method", "path", "call"),
    [
        ("POST", ITEM, lambda kv: kv.increment("app", "k")),
        ("PATCH", ITEM, lambda kv: kv.patch("app", "k", {"a": 1})),
        ("POST", BULK, lambda kv: kv.get_many("app", ["k"])),
        ("POST", BULK, lambda kv: kv.put_many("app", {"k": 1})),
        ("POST", BULK, lambda kv: kv.delete_many("app", ["k"])),
    ],
)
async def test_new_calls_are_not_retried_after_reaching_the_server(
    flaky, client, method, path, call
):
    flaky.script(method, path, flaky.reply(503), flaky.reply(200, ITEM_BODY, {"ETag": '"e"'}))
    with pytest.raises(ServerError):
        await done(call(client))
    assert flaky.count(method, path) == 1


async def test_a_put_with_expiry_is_retried_like_any_put(flaky, client):
    path = f"{ITEM}?ttl=60"
    flaky.script("PUT", path, flaky.reply(503), flaky.reply(201, ITEM_BODY, {"ETag": '"e"'}))
    written = await done(client.put("app", "k", 2, ttl=60, metadata={"a": 1}))
    assert written.created
    assert flaky.count("PUT", path) == 2
    *_, headers = flaky.attempts[-1]
    assert headers["KV-Metadata"] == '{"a":1}'


async def test_increment_answers_its_item_and_created(flaky, client):
    flaky.script("POST", f"{ITEM}?ttl=10", flaky.reply(201, ITEM_BODY, {"ETag": '"e2"'}))
    item = await done(client.increment("app", "k", 2, ttl=10))
    assert (item.value, item.etag, item.version) == (2, '"e2"', 2)
    *_, headers = flaky.attempts[-1]
    assert headers["Content-Type"] == "application/json"


@pytest.mark.parametrize(
    ("status", "code", "error"),
    [
        (409, "not_a_number", NotANumber),
        (409, "number_out_of_range", NumberOutOfRange),
        (409, "patch_contended", PatchContended),
        (409, "namespace_exists", Conflict),
        (415, "unsupported_media_type", UnsupportedMediaType),
    ],
)
async def test_new_refusals_have_their_own_errors(flaky, client, status, code, error):
    flaky.script("POST", ITEM, flaky.reply(status, {"error": "No.", "code": code}))
    with pytest.raises(error) as raised:
        await done(client.increment("app", "k"))
    assert raised.type is error
    assert raised.value.code == code
    assert issubclass(NotANumber, Conflict)
    assert issubclass(PatchContended, Conflict)
