"""A signed-in user's namespaces."""

from __future__ import annotations

from flask import Blueprint, g, jsonify
from flask.typing import ResponseReturnValue

from kv_api.bodies import json_object, required_string
from kv_api.context import services
from kv_api.shapes import namespace_json
from kv_api.tokens import signed_in

bp = Blueprint("namespaces", __name__, url_prefix="/v1/namespaces")


@bp.post("")
@signed_in
def create() -> ResponseReturnValue:
    name = required_string(json_object(), "name")
    namespace = services().namespaces.create(g.user.id, name)
    return jsonify(namespace=namespace_json(namespace)), 201


@bp.get("")
@signed_in
def list_() -> ResponseReturnValue:
    namespaces = services().namespaces.list(g.user.id)
    return jsonify(namespaces=[namespace_json(n) for n in namespaces])


@bp.delete("/<name>")
@signed_in
def delete(name: str) -> ResponseReturnValue:
    services().namespaces.delete(g.user.id, name)
    return "", 204
