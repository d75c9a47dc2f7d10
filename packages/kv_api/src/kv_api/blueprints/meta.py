"""Health and the API's own description."""

from __future__ import annotations

import logging

from flask import Blueprint, current_app, jsonify, request
from flask.typing import ResponseReturnValue

from kv_api.context import services
from kv_api.errors import error_response
from kv_api.openapi import openapi_document
from kv_core.settings import Settings

bp = Blueprint("meta", __name__, url_prefix="/v1")
log = logging.getLogger(__name__)


def store_name(settings: Settings) -> str:
    """The store as an operator names it, without a path or an account."""
    if settings.store == "dynamodb":
        return f"the DynamoDB table {settings.table}"
    return "the SQLite database"


@bp.get("/health")
def health() -> ResponseReturnValue:
    """Up, cheaply; with ``?deep=1``, and whether the store answers (503 if not)."""
    if request.args.get("deep") not in ("1", "true"):
        return jsonify(status="ok")
    settings: Settings = current_app.extensions["kv_settings"]
    try:
        services().store.ping()
    except Exception as error:
        log.warning("deep health check: %s does not answer", settings.store, exc_info=True)
        reason = getattr(error, "cause_response_code", None) or type(error).__name__
        return error_response(
            503, f"{store_name(settings)} does not answer ({reason}).", "store_unavailable"
        )
    return jsonify(status="ok", store=settings.store)


@bp.get("/openapi.json")
def openapi() -> ResponseReturnValue:
    return jsonify(openapi_document())
