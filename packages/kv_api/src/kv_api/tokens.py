"""Account sessions for the API: HS256 JWTs signed with the deployment's secret."""

from __future__ import annotations

from datetime import timedelta
from functools import wraps
from typing import Any

import jwt
from flask import current_app, g, request

from kv_api.context import services
from kv_core.errors import Unauthorized
from kv_core.model import User
from kv_core.services.accounts import account_disabled

TOKEN_LIFETIME = timedelta(days=7)
ISSUER = "kv-storage"
SIGN_IN_AGAIN = "Sign in again: the session token is missing, invalid or expired."


def issue_token(user: User) -> str:
    now = services().config.clock()
    claims = {"sub": user.id, "iss": ISSUER, "iat": now, "exp": now + TOKEN_LIFETIME}
    return jwt.encode(claims, current_app.config["JWT_SECRET"], algorithm="HS256")


def user_from_token(token: str) -> User:
    try:
        claims = jwt.decode(
            token,
            current_app.config["JWT_SECRET"],
            algorithms=["HS256"],
            issuer=ISSUER,
            options={"require": ["sub", "exp", "iat"]},
        )
    except jwt.PyJWTError:
        raise Unauthorized(SIGN_IN_AGAIN, code="invalid_token") from None
    user = services().store.get_user(str(claims["sub"]))
    if user is None:
        raise Unauthorized(SIGN_IN_AGAIN, code="invalid_token")
    if user.disabled:
        raise account_disabled()
    return user


def signed_in(view: Any) -> Any:
    """Require ``Authorization: Bearer <token>``; the user is in ``g.user``."""

    @wraps(view)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        scheme, _, token = request.headers.get("Authorization", "").partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            raise Unauthorized(SIGN_IN_AGAIN, code="invalid_token")
        g.user = user_from_token(token.strip())
        return view(*args, **kwargs)

    return wrapper
