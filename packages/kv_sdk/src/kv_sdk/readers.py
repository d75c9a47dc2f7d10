"""How the clients read each answer into the SDK's models: one reader per kind of
answer, shared by every call that gets it (see `kv_sdk.calls`)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from kv_sdk.answer import Answer
from kv_sdk.encoding import etag_header
from kv_sdk.models import (
    ApiKey,
    AtomicResult,
    BulkAnswer,
    Item,
    KeyInfo,
    Namespace,
    NewApiKey,
    Page,
    Session,
    Usage,
    WriteResult,
)


def nothing(answer: Answer) -> None:
    return None


def message(answer: Answer) -> str:
    return str(answer.json()["message"])


def item_of(data: Mapping[str, Any], etag: str | None = None) -> Item:
    """An `Item` from the API's item object; its ETag from the ``ETag`` header when the
    answer is about one item, else from the object's own ``etag`` (a bulk get's)."""
    if etag is None:
        own = data.get("etag")
        etag = etag_header(str(own)) if own else ""
    return Item(
        key=data["key"],
        value=data["value"],
        etag=etag,
        version=data.get("version"),
        updated_at=data.get("updatedAt"),
        expires_at=data.get("expiresAt"),
        metadata=data.get("metadata"),
    )


def item(answer: Answer) -> Item:
    data = answer.json()
    return item_of(data, answer.headers.get("ETag") or None)


def written(answer: Answer) -> WriteResult:
    data = answer.json()
    return WriteResult(
        key=data["key"],
        etag=answer.headers["ETag"],
        created=answer.status_code == 201,
        version=data.get("version"),
        updated_at=data.get("updatedAt"),
        expires_at=data.get("expiresAt"),
    )


def key_info(data: Mapping[str, Any]) -> KeyInfo:
    return KeyInfo(
        key=data["key"],
        version=data.get("version"),
        updated_at=data.get("updatedAt"),
        expires_at=data.get("expiresAt"),
        metadata=data.get("metadata"),
    )


def page(answer: Answer) -> Page:
    data = answer.json()
    details = data.get("items")
    return Page(
        keys=list(data["keys"]),
        cursor=data.get("cursor"),
        items=None if details is None else [key_info(d) for d in details],
    )


def bulk(answer: Answer) -> BulkAnswer:
    data = answer.json()
    items, missing = data.get("items"), data.get("missing")
    return BulkAnswer(
        items=None if items is None else [item_of(i) for i in items],
        missing=None if missing is None else list(missing),
        written=data.get("written"),
        deleted=data.get("deleted"),
        more=data.get("more"),
    )


def atomic(answer: Answer) -> AtomicResult:
    """An atomic operation's ``{ok, items: [{key, version}]}``."""
    return AtomicResult([(entry["key"], entry.get("version")) for entry in answer.json()["items"]])


def count(answer: Answer) -> int:
    """A count's ``{count}``."""
    return int(answer.json()["count"])


def session(answer: Answer) -> Session:
    return Session.from_json(answer.json())


def namespace(answer: Answer) -> Namespace:
    return Namespace.from_json(answer.json()["namespace"])


def namespaces(answer: Answer) -> list[Namespace]:
    return [Namespace.from_json(n) for n in answer.json()["namespaces"]]


def new_api_key(answer: Answer) -> NewApiKey:
    data = answer.json()
    return NewApiKey(secret=str(data["apiKey"]), key=ApiKey.from_json(data["key"]))


def api_keys(answer: Answer) -> list[ApiKey]:
    return [ApiKey.from_json(k) for k in answer.json()["apiKeys"]]


def usage(answer: Answer) -> Usage:
    return Usage.from_json(answer.json())
