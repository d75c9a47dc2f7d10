"""This month's usage of the signed-in user against their plan."""

from __future__ import annotations

from flask import Blueprint, g, jsonify
from flask.typing import ResponseReturnValue

from kv_api.context import services
from kv_api.shapes import usage_json
from kv_api.tokens import signed_in

bp = Blueprint("usage", __name__, url_prefix="/v1/usage")


@bp.get("")
@signed_in
def usage() -> ResponseReturnValue:
    report = services().usage.report(g.user)
    return jsonify(usage_json(report))
