"""Sign up and log in: both answer with a session token and the user, never cached."""

from __future__ import annotations

from flask import Blueprint, jsonify, request
from flask.typing import ResponseReturnValue

from kv_api.bodies import json_object, required_string
from kv_api.context import services
from kv_api.headers import no_store
from kv_api.shapes import user_json
from kv_api.tokens import issue_token

bp = Blueprint("auth", __name__, url_prefix="/v1/auth")


@bp.post("/signup")
def signup() -> ResponseReturnValue:
    body = json_object()
    user = services().accounts.signup(
        required_string(body, "email"), required_string(body, "password")
    )
    return no_store(jsonify(token=issue_token(user), user=user_json(user))), 201


@bp.post("/login")
def login() -> ResponseReturnValue:
    body = json_object()
    user = services().accounts.login(
        required_string(body, "email"),
        required_string(body, "password"),
        client=request.remote_addr or "",
    )
    return no_store(jsonify(token=issue_token(user), user=user_json(user)))
