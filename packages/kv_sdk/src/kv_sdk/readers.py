"""How the clients read each answer into the SDK's models: one reader per kind of
answer, shared by every call that gets it (see `kv_sdk.calls`)."""

from __future__ import annotations

from kv_sdk.answer import Answer
from kv_sdk.models import ApiKey, Item, Namespace, NewApiKey, Page, Session, Usage, WriteResult


def nothing(answer: Answer) -> None:
    return None


def message(answer: Answer) -> str:
    return str(answer.json()["message"])


def item(answer: Answer) -> Item:
    data = answer.json()
    return Item(
        key=data["key"],
        value=data["value"],
        etag=answer.headers["ETag"],
        version=data.get("version"),
        updated_at=data.get("updatedAt"),
    )


def written(answer: Answer) -> WriteResult:
    data = answer.json()
    return WriteResult(
        key=data["key"],
        etag=answer.headers["ETag"],
        created=answer.status_code == 201,
        version=data.get("version"),
        updated_at=data.get("updatedAt"),
    )


def page(answer: Answer) -> Page:
    data = answer.json()
    return Page(keys=list(data["keys"]), cursor=data.get("cursor"))


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
