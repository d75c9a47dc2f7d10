"""The items tab's live refresh: a long poll, signed in by the session, that answers
when something in the namespace changed, for the page's script to show the list again."""

from __future__ import annotations

from flask import Blueprint, current_app, jsonify, request
from flask.typing import ResponseReturnValue
from flask_login import current_user

from kv_core.errors import InvalidInput, NotFound
from kv_dashboard.context import services, user_id

bp = Blueprint("live", __name__, url_prefix="/namespaces")
# How long one poll is held while nothing changes: well inside API Gateway's 30 s, and
# short enough that a closed tab frees its worker soon.
WAIT_SECONDS = 10.0


def refusal(status: int, message: str, code: str) -> ResponseReturnValue:
    response = jsonify({"error": message, "code": code})
    response.headers["Cache-Control"] = "no-store"
    return response, status


@bp.get("/<name>/changes")
def changes(name: str) -> ResponseReturnValue:
    """``{"changed": bool, "since": N}``: whether an item under ``prefix`` changed
    after position ``since`` (held up to the app's ``LIVE_WAIT_SECONDS`` until one
    does), and the position to ask from next. A GET that changes nothing, so no CSRF
    token; a signed-out caller gets a 401 rather than the login page."""
    if not current_user.is_authenticated:
        return refusal(401, "Sign in to follow this namespace.", "not_signed_in")
    try:
        since = int(request.args.get("since", ""))
    except ValueError:
        return refusal(400, "since is a position in the change feed.", "invalid_cursor")
    wait = float(current_app.config.get("LIVE_WAIT_SECONDS", WAIT_SECONDS))
    prefix = request.args.get("prefix", "")
    try:
        watched = services().browse.watch(user_id(), name, since, prefix=prefix, wait=wait)
    except NotFound as missing:
        return refusal(404, missing.message, missing.code)
    except InvalidInput as bad:
        return refusal(400, bad.message, bad.code)
    response = jsonify({"changed": watched.changed, "since": watched.after})
    response.headers["Cache-Control"] = "no-store"
    return response
