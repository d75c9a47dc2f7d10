"""The data plane: items of one namespace, with a namespace-scoped ``x-api-key``.

Keys are the rest of the path, URL-decoded, so ``a/b/c``, ``user:123`` and ``/lead``
are keys.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from flask import Blueprint, Response, current_app, g, jsonify, request
from flask.blueprints import BlueprintSetupState
from flask.typing import ResponseReturnValue
from werkzeug.routing import PathConverter, UnicodeConverter, ValidationError

from kv_api.answers import (
    item_json,
    item_response,
    parse_etag,
    quote_etag,
    written_response,
)
from kv_api.bodies import parse_json, read_body, request_body
from kv_api.context import services
from kv_api.errors import UnsupportedMediaType
from kv_api.feed import changes_answer
from kv_api.headers import quota_headers
from kv_api.item_options import boolean_arg, expiry_args, metadata_header
from kv_api.raw_path import require_utf8_path
from kv_core.errors import InvalidInput, NotFound
from kv_core.limits import LIMITS
from kv_core.names import RESERVED_NAMESPACES
from kv_core.services import Principal

bp = Blueprint("kv", __name__, url_prefix="/v1")
DIGITS = re.compile(r"[0-9]+")
MERGE_PATCH = "application/merge-patch+json"


class KeyConverter(PathConverter):
    """The rest of the path, whatever it holds: unlike ``path``, a key may start with
    ``/`` (which arrives as ``//`` or ``/%2F`` after the namespace)."""

    regex = ".+"
    part_isolating = False  # spans slashes (werkzeug would guess otherwise from regex)


class NamespaceConverter(UnicodeConverter):
    """A namespace name where an address of the account API could be: a reserved name
    does not match, so that ``POST /v1/health`` stays the 405 of ``/v1/health``."""

    def to_python(self, value: str) -> str:
        if value in RESERVED_NAMESPACES:
            raise ValidationError
        return value


@bp.record_once
def _register_key_converter(state: BlueprintSetupState) -> None:
    state.app.url_map.converters.setdefault("key", KeyConverter)
    state.app.url_map.converters.setdefault("namespace", NamespaceConverter)


def _principal(namespace: str, *, write: bool) -> Principal:
    if namespace in RESERVED_NAMESPACES:
        # /v1/auth/..., /v1/usage/... are account addresses, never namespaces.
        raise NotFound("There is nothing at this address.", code="not_found")
    principal = services().items.authorize(request.headers.get("x-api-key"), namespace, write=write)
    g.principal = principal
    require_utf8_path(request.environ)
    return principal


def parse_limit(raw: str | None) -> int | None:
    """``limit`` as plain ASCII digits: ``int()`` would also take ``1_0``, ``+5``, `` 5``
    and other scripts' digits."""
    if raw is None:
        return None
    if not DIGITS.fullmatch(raw):
        raise InvalidInput("limit must be a whole number.", code="invalid_limit")
    return int(raw)


@bp.get("/<namespace>/<key:key>")
def get_item(namespace: str, key: str) -> ResponseReturnValue:
    item = services().items.get(_principal(namespace, write=False), key)
    if parse_etag(request.headers.get("If-None-Match")) in {item.etag, "*"}:
        return Response(status=304, headers={"ETag": quote_etag(item)})
    return item_response(current_app.json, item)


@bp.put("/<namespace>/<key:key>")
def put_item(namespace: str, key: str) -> ResponseReturnValue:
    principal = _principal(namespace, write=True)
    expiry = expiry_args(request.args)
    metadata = metadata_header(request.headers)
    value = parse_json(request_body())
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
        metadata=metadata,
        **expiry,
    )
    return written_response(current_app.json, item, created)


@bp.post("/<namespace>/<key:key>")
def increment_item(namespace: str, key: str) -> ResponseReturnValue:
    """``{"increment": n}``: add ``n`` to a number item atomically."""
    principal = _principal(namespace, write=True)
    expiry = expiry_args(request.args)
    body = parse_json(request_body())
    if not isinstance(body, dict) or set(body) != {"increment"}:
        raise InvalidInput('The body is {"increment": n}, with nothing else.', code="invalid_body")
    item, created = services().items.increment(principal, key, body["increment"], **expiry)
    return item_response(current_app.json, item, 201 if created else 200)


@bp.patch("/<namespace>/<key:key>")
def patch_item(namespace: str, key: str) -> ResponseReturnValue:
    """An RFC 7396 JSON merge patch of the stored value."""
    principal = _principal(namespace, write=True)
    if request.mimetype != MERGE_PATCH:
        raise UnsupportedMediaType(
            f"A PATCH body is a JSON merge patch, sent as Content-Type: {MERGE_PATCH}.",
            header="Accept-Patch",
            accept=MERGE_PATCH,
        )
    patch = parse_json(request_body())
    item = services().items.patch(
        principal, key, patch, if_match=parse_etag(request.headers.get("If-Match"))
    )
    return item_response(current_app.json, item)


@bp.delete("/<namespace>/<key:key>")
def delete_item(namespace: str, key: str) -> ResponseReturnValue:
    services().items.delete(
        _principal(namespace, write=True), key, if_match=parse_etag(request.headers.get("If-Match"))
    )
    return "", 204


@bp.get("/<namespace>")
def list_keys(namespace: str) -> ResponseReturnValue:
    principal = _principal(namespace, write=False)
    if boolean_arg(request.args, "changes"):
        return changes_answer(principal)
    details = boolean_arg(request.args, "details")
    page = services().items.list(
        principal,
        prefix=request.args.get("prefix", ""),
        limit=parse_limit(request.args.get("limit")),
        cursor=request.args.get("cursor") or None,
        details=details,
    )
    if page.details is None:
        return jsonify(keys=page.keys, cursor=page.cursor)
    items = [
        {
            "key": info.key,
            "version": info.version,
            "updatedAt": info.updated_at,
            "expiresAt": info.expires_at,
            "metadata": info.metadata,
        }
        for info in page.details
    ]
    return jsonify(keys=page.keys, cursor=page.cursor, items=items)


def _bulk_get(principal: Principal, keys: Any) -> dict[str, Any]:
    items, missing = services().items.get_many(principal, keys)
    return {"items": [item_json(item) for item in items], "missing": missing}


def _bulk_put(principal: Principal, entries: Any) -> dict[str, Any]:
    return {"written": services().items.put_many(principal, entries)}


def _bulk_delete(principal: Principal, keys: Any) -> dict[str, Any]:
    return {"deleted": services().items.delete_many(principal, keys)}


# A bulk body names exactly one of these; the services check what it holds (and refuse
# a read-only key's writes). New operations join here.
BULK_OPERATIONS: dict[str, Callable[[Principal, Any], dict[str, Any]]] = {
    "get": _bulk_get,
    "put": _bulk_put,
    "delete": _bulk_delete,
}


@bp.post("/<namespace:namespace>")
def bulk(namespace: str) -> ResponseReturnValue:
    """Many keys in one request: ``{"get": [...]}``, ``{"put": [...]}`` or
    ``{"delete": [...]}``, in a body of at most ``LIMITS.bulk_body_max_bytes``."""
    principal = _principal(namespace, write=False)
    body = parse_json(read_body(request.environ, LIMITS.bulk_body_max_bytes))
    names = ", ".join(BULK_OPERATIONS)
    if not isinstance(body, dict) or len(body) != 1:
        raise InvalidInput(
            f"A bulk request is a JSON object with exactly one of {names}.",
            code="invalid_bulk",
        )
    ((name, argument),) = body.items()
    operation = BULK_OPERATIONS.get(name)
    if operation is None:
        raise InvalidInput(
            f"A bulk request holds one of {names}, not '{name}'.", code="invalid_bulk"
        )
    return jsonify(operation(principal, argument))


@bp.after_request
def rate_limit_headers(response: Response) -> Response:
    """Monthly request quota on every data-plane answer that reached a namespace."""
    response.headers.update(quota_headers(g.get("principal")))
    return response
