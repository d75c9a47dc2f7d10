"""The data plane: items of one namespace, with a namespace-scoped ``x-api-key``.

Keys are the rest of the path, URL-decoded, so ``a/b/c``, ``user:123`` and ``/lead``
are keys.
"""

from __future__ import annotations

from typing import cast

from flask import Blueprint, Response, current_app, g, jsonify, request
from flask.blueprints import BlueprintSetupState
from flask.json.provider import JSONProvider
from flask.typing import ResponseReturnValue
from werkzeug.routing import PathConverter

from kv_api.bodies import parse_json
from kv_api.context import services
from kv_api.headers import quota_headers
from kv_core.errors import InvalidInput, NotFound
from kv_core.model import Item
from kv_core.names import RESERVED_NAMESPACES
from kv_core.services import Principal

bp = Blueprint("kv", __name__, url_prefix="/v1")


class KeyConverter(PathConverter):
    """The rest of the path, whatever it holds: unlike ``path``, a key may start with
    ``/`` (which arrives as ``//`` or ``/%2F`` after the namespace)."""

    regex = ".+"
    part_isolating = False  # spans slashes (werkzeug would guess otherwise from regex)


@bp.record_once
def _register_key_converter(state: BlueprintSetupState) -> None:
    state.app.url_map.converters.setdefault("key", KeyConverter)


def _principal(namespace: str, *, write: bool) -> Principal:
    if namespace in RESERVED_NAMESPACES:
        # /v1/auth/..., /v1/usage/... are account addresses, never namespaces.
        raise NotFound("There is nothing at this address.", code="not_found")
    principal = services().items.authorize(request.headers.get("x-api-key"), namespace, write=write)
    g.principal = principal
    return principal


def quote_etag(item: Item) -> str:
    return f'"{item.etag}"'


def item_response(json: JSONProvider, item: Item) -> Response:
    """A GET's answer (the Flask view's and the fast path's)."""
    response = cast(
        Response,
        json.response(
            key=item.key, value=item.value, version=item.version, updatedAt=item.updated_at
        ),
    )
    response.headers["ETag"] = quote_etag(item)
    return response


def written_response(json: JSONProvider, item: Item, created: bool) -> Response:
    """A PUT's answer (the Flask view's and the fast path's)."""
    response = cast(
        Response, json.response(key=item.key, version=item.version, updatedAt=item.updated_at)
    )
    response.status_code = 201 if created else 200
    response.headers["ETag"] = quote_etag(item)
    return response


def parse_etag(header: str | None) -> str | None:
    """An ``If-Match`` value as the store compares it: ``*`` or a bare etag."""
    if header is None:
        return None
    value = header.strip()
    if value.startswith("W/"):
        value = value[2:]
    return value.strip('"') if value != "*" else "*"


@bp.get("/<namespace>/<key:key>")
def get_item(namespace: str, key: str) -> ResponseReturnValue:
    item = services().items.get(_principal(namespace, write=False), key)
    if parse_etag(request.headers.get("If-None-Match")) in {item.etag, "*"}:
        return Response(status=304, headers={"ETag": quote_etag(item)})
    return item_response(current_app.json, item)


@bp.put("/<namespace>/<key:key>")
def put_item(namespace: str, key: str) -> ResponseReturnValue:
    principal = _principal(namespace, write=True)
    value = parse_json(request.get_data(cache=False))
    if_none_match = request.headers.get("If-None-Match")
    if if_none_match is not None and if_none_match.strip() != "*":
        raise InvalidInput(
            "On PUT, If-None-Match only takes '*' (create only).", code="invalid_precondition"
        )
    item, created = services().items.put(
        principal,
        key,
        value,
        if_match=parse_etag(request.headers.get("If-Match")),
        if_absent=if_none_match is not None,
    )
    return written_response(current_app.json, item, created)


@bp.delete("/<namespace>/<key:key>")
def delete_item(namespace: str, key: str) -> ResponseReturnValue:
    services().items.delete(
        _principal(namespace, write=True), key, if_match=parse_etag(request.headers.get("If-Match"))
    )
    return "", 204


@bp.get("/<namespace>")
def list_keys(namespace: str) -> ResponseReturnValue:
    principal = _principal(namespace, write=False)
    raw_limit = request.args.get("limit")
    limit: int | None = None
    if raw_limit is not None:
        try:
            limit = int(raw_limit)
        except ValueError:
            raise InvalidInput("limit must be a whole number.", code="invalid_limit") from None
    page = services().items.list(
        principal,
        prefix=request.args.get("prefix", ""),
        limit=limit,
        cursor=request.args.get("cursor") or None,
    )
    return jsonify(keys=page.keys, cursor=page.cursor)


@bp.after_request
def rate_limit_headers(response: Response) -> Response:
    """Monthly request quota on every data-plane answer that reached a namespace."""
    response.headers.update(quota_headers(g.get("principal")))
    return response
