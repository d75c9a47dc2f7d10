"""A signed-in user's API keys. The raw key is in the creation response only,
which no cache may keep."""

from __future__ import annotations

from flask import Blueprint, g, jsonify, request
from flask.typing import ResponseReturnValue

from kv_api.bodies import json_object, optional_integer, required_string, string_field
from kv_api.context import services
from kv_api.headers import no_store
from kv_api.shapes import api_key_json
from kv_api.tokens import signed_in

bp = Blueprint("api_keys", __name__, url_prefix="/v1/api-keys")


@bp.post("")
@signed_in
def create() -> ResponseReturnValue:
    body = json_object()
    created = services().api_keys.create(
        g.user.id,
        required_string(body, "namespace"),
        name=string_field(body, "name", required=False),
        access=string_field(body, "access", required=False) or "read-write",
        key_prefix=string_field(body, "keyPrefix", required=False) or "",
        expires_at=optional_integer(body, "expiresAt"),
    )
    return no_store(jsonify(apiKey=created.raw, key=api_key_json(created.key))), 201


@bp.get("")
@signed_in
def list_() -> ResponseReturnValue:
    keys = services().api_keys.list(g.user.id, namespace=request.args.get("namespace"))
    used = services().usage.key_requests(g.user.id) if keys else {}
    return jsonify(apiKeys=[api_key_json(k, used.get(k.id, 0)) for k in keys])


@bp.delete("/<key_id>")
@signed_in
def revoke(key_id: str) -> ResponseReturnValue:
    services().api_keys.revoke(g.user.id, key_id)
    return "", 204
