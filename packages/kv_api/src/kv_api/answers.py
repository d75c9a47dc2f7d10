"""The data plane's answers about one item and the validators they carry, built once
for the ``kv`` blueprint and for the fast path (:mod:`kv_api.fast_path`), so that the
two answer alike."""

from __future__ import annotations

from typing import Any, cast

from flask import Response
from flask.json.provider import JSONProvider

from kv_core.model import Item


def quote_etag(item: Item) -> str:
    """The ``ETag`` header of ``item``: its etag as a quoted string."""
    return f'"{item.etag}"'


def parse_etag(header: str | None) -> str | None:
    """An ``If-Match`` or ``If-None-Match`` value as the store compares it: ``*`` or a
    bare etag (weak or strong)."""
    if header is None:
        return None
    value = header.strip()
    if value.startswith("W/"):
        value = value[2:]
    return value.strip('"') if value != "*" else "*"


def item_json(item: Item) -> dict[str, Any]:
    """An item as every answer shows it (GET, increment, patch, bulk get)."""
    return {
        "key": item.key,
        "value": item.value,
        "version": item.version,
        "updatedAt": item.updated_at,
        "expiresAt": item.expires_at,
        "metadata": item.metadata,
    }


def item_response(json: JSONProvider, item: Item, status: int = 200) -> Response:
    """A GET's answer (and an increment's or a patch's): the item, and its ``ETag``."""
    response = cast(Response, json.response(item_json(item)))
    response.status_code = status
    response.headers["ETag"] = quote_etag(item)
    return response


def written_response(json: JSONProvider, item: Item, created: bool) -> Response:
    """A PUT's answer: 201 when created, 200 when replaced, with the new ``ETag``."""
    response = cast(
        Response,
        json.response(
            key=item.key,
            version=item.version,
            updatedAt=item.updated_at,
            expiresAt=item.expires_at,
        ),
    )
    response.status_code = 201 if created else 200
    response.headers["ETag"] = quote_etag(item)
    return response
