"""The SDK held to the live server's OpenAPI document: every operation of the data plane
and the account API has a call in ``kv_sdk.calls``, wrapped by both its sync and its
async client, and every field of every answer reaches the SDK's models."""

from __future__ import annotations

import dataclasses
import inspect
import itertools
from collections.abc import Iterator, Mapping
from typing import Any

import pytest
import requests

from kv_sdk import AccountClient, KVClient
from kv_sdk.aio import AsyncAccountClient, AsyncKVClient
from kv_sdk.calls import CALLS, Call
from kv_sdk.changes import batch_of

# What the SDK deliberately does not wrap: Paddle calls the webhook, and health and the
# document itself are for operators and tools.
NOT_WRAPPED = {"paddleWebhook", "health", "openapi"}
# Headers that no result carries: the quota's (read with AccountClient.usage() instead)
# and the caches' (no-store on answers that hold a secret).
NOT_CARRIED_HEADERS = {"X-RateLimit-Limit", "X-RateLimit-Remaining", "Cache-Control"}
CLIENTS = {"data": (KVClient, AsyncKVClient), "account": (AccountClient, AsyncAccountClient)}
BY_ID = {call.operation_id: call for call in CALLS}


@pytest.fixture(scope="module")
def document(server: str) -> dict[str, Any]:
    response = requests.get(f"{server}/v1/openapi.json", timeout=10)
    response.raise_for_status()
    return response.json()


def operations(document: Mapping[str, Any]) -> Iterator[tuple[str, str, dict[str, Any]]]:
    for path, item in document["paths"].items():
        for method, operation in item.items():
            yield method.upper(), path, operation


def resolve(document: Mapping[str, Any], schema: Mapping[str, Any]) -> Mapping[str, Any]:
    while "$ref" in schema:
        schema = document["components"]["schemas"][schema["$ref"].rsplit("/", 1)[-1]]
    return schema


def success(operation: Mapping[str, Any]) -> tuple[int, Mapping[str, Any]]:
    (status,) = [s for s in operation["responses"] if s.startswith("2")][:1]
    return int(status), operation["responses"][status]


def test_every_operation_has_a_call_and_nothing_else_does(document):
    ids = {operation["operationId"] for _, _, operation in operations(document)}
    assert ids >= NOT_WRAPPED, "an operation listed as not wrapped is gone from the API"
    assert set(BY_ID) == ids - NOT_WRAPPED
    assert len(BY_ID) == len(CALLS)


@pytest.mark.parametrize("operation_id", sorted(BY_ID))
def test_each_call_is_the_documents_operation(document, operation_id):
    (method, path, operation) = next(
        (m, p, o) for m, p, o in operations(document) if o["operationId"] == operation_id
    )
    call = BY_ID[operation_id]
    assert (call.method, call.path) == (method, path)
    query = {p["name"] for p in operation.get("parameters", []) if p["in"] == "query"}
    assert set(call.query) == query
    content = operation.get("requestBody", {}).get("content", {})
    schema = content.get("application/json") or content.get("application/merge-patch+json")
    if schema is None:
        assert call.body is None
    else:
        fields = resolve(document, schema["schema"]).get("properties")
        assert call.body == ("any" if fields is None else tuple(fields))
    assert call.plane == ("data" if "apiKey" in str(operation.get("security")) else "account")


@pytest.mark.parametrize("operation_id", sorted(BY_ID))
def test_both_clients_wrap_each_call_alike(operation_id):
    call = BY_ID[operation_id]
    sync_client, async_client = CLIENTS[call.plane]
    for wrapper in call.wrappers:
        sync_method = getattr(sync_client, wrapper, None)
        async_method = getattr(async_client, wrapper, None)
        assert sync_method is not None, f"{sync_client.__name__} misses {wrapper}"
        assert async_method is not None, f"{async_client.__name__} misses {wrapper}"
        assert not inspect.iscoroutinefunction(sync_method)
        assert inspect.iscoroutinefunction(async_method)
        assert inspect.signature(sync_method) == inspect.signature(async_method)


def test_both_clients_offer_the_same_methods():
    for sync_client, async_client in CLIENTS.values():
        public = {name for name in dir(sync_client) if not name.startswith("_")}
        assert public == {name for name in dir(async_client) if not name.startswith("_")}
        init = inspect.signature(sync_client.__init__).parameters
        async_init = inspect.signature(async_client.__init__).parameters
        assert [*init][:-1] == [*async_init][:-1]
        assert ([*init][-1], [*async_init][-1]) == ("session", "http_client")


class Sample:
    """A value of each schema in which every string and integer is unique, so that each
    can be looked for in what the SDK made of it."""

    def __init__(self, document: Mapping[str, Any]) -> None:
        self.document = document
        self.numbers = itertools.count(1_000_001)
        self.leaves: set[object] = set()

    def of(self, schema: Mapping[str, Any]) -> Any:
        schema = resolve(self.document, schema)
        if "oneOf" in schema:  # an answer of several shapes: the first, the usual one
            return self.of(schema["oneOf"][0])
        kind = schema.get("type")
        if isinstance(kind, list):
            kind = next(k for k in kind if k != "null")
        if kind == "object":
            return {name: self.of(sub) for name, sub in schema.get("properties", {}).items()}
        if kind == "array":
            return [self.of(schema["items"])]
        if kind == "boolean":
            return True
        value: object = next(self.numbers)
        if kind != "integer":
            value = f"s{value}"
        self.leaves.add(value)
        return value


@dataclasses.dataclass
class FakeAnswer:
    status_code: int
    headers: dict[str, str]
    body: Any
    text: str = ""

    def json(self) -> Any:
        return self.body


def carried(result: object) -> Iterator[object]:
    """Every string and integer in a result, however deep."""
    if dataclasses.is_dataclass(result) and not isinstance(result, type):
        for field in dataclasses.fields(result):
            yield from carried(getattr(result, field.name))
    elif isinstance(result, Mapping):
        for value in result.values():
            yield from carried(value)
    elif isinstance(result, list | tuple):
        for value in result:
            yield from carried(value)
    else:
        yield result


@pytest.mark.parametrize("operation_id", sorted(BY_ID))
def test_every_field_of_the_answer_reaches_the_result(document, operation_id):
    call: Call[Any] = BY_ID[operation_id]
    operation = next(o for _, _, o in operations(document) if o["operationId"] == operation_id)
    status, response = success(operation)
    sample = Sample(document)
    headers = {
        name: str(sample.of(header["schema"]))
        for name, header in response.get("headers", {}).items()
        if name not in NOT_CARRIED_HEADERS
    }
    content = response.get("content", {}).get("application/json")
    body = sample.of(content["schema"]) if content else None
    result = call.read(FakeAnswer(status, headers, body))
    if content is None:
        assert result is None
    missing = {leaf for leaf in sample.leaves if str(leaf) not in set(map(str, carried(result)))}
    assert missing == set(), f"{operation_id}: answer fields the SDK drops"


def test_every_field_of_a_change_reaches_the_change(document):
    sample = Sample(document)
    page = sample.of({"$ref": "#/components/schemas/ChangePage"})
    (entry,) = page["changes"]
    assert isinstance(entry["value"], str)  # a sample leaf: carried whole
    batch = batch_of(page, None)
    assert sample.leaves <= set(carried(batch))
