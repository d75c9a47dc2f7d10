"""The account's own care: a forgotten password, a changed one, and leaving."""

from __future__ import annotations

from urllib.parse import quote

from flask import Blueprint, current_app, g, jsonify, request
from flask.typing import ResponseReturnValue

from kv_api.bodies import json_object, required_string
from kv_api.context import services
from kv_api.tokens import signed_in

bp = Blueprint("account", __name__, url_prefix="/v1")

RESET_PAGE = "dashboard/reset-password"
RESET_REQUESTED = "If an account has this email, a link to reset its password is on its way."


def reset_link(token: str) -> str:
    """The dashboard's reset page with the token, on the deployment's public address
    (``KV_PUBLIC_URL``) or the one this request came to."""
    base = current_app.extensions["kv_settings"].public_url or request.host_url.rstrip("/")
    return f"{base}/{RESET_PAGE}?token={quote(token)}"


@bp.post("/auth/password-reset")
def request_reset() -> ResponseReturnValue:
    email = required_string(json_object(), "email")
    services().passwords.request_reset(email, reset_link)
    return jsonify(message=RESET_REQUESTED), 202


@bp.post("/auth/password-reset/confirm")
def confirm_reset() -> ResponseReturnValue:
    body = json_object()
    services().passwords.reset(required_string(body, "token"), required_string(body, "password"))
    return "", 204


@bp.post("/auth/password")
@signed_in
def change_password() -> ResponseReturnValue:
    body = json_object()
    services().passwords.change(
        g.user,
        required_string(body, "currentPassword"),
        required_string(body, "newPassword"),
        client=request.remote_addr or "",
    )
    return "", 204


@bp.delete("/account")
@signed_in
def delete_account() -> ResponseReturnValue:
    services().accounts.delete(g.user.id)
    return "", 204
