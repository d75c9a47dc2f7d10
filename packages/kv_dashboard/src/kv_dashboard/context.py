"""Where a request finds the services and settings its app was built with."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar, cast

import flask_login
from flask import current_app
from flask_login import current_user

from kv_core.services import Services
from kv_core.settings import Settings

View = TypeVar("View", bound=Callable[..., Any])


def login_required(view: View) -> View:
    """flask-login's guard, typed: anonymous visitors go to the login page."""
    return cast(View, flask_login.login_required(view))


def services() -> Services:
    return cast(Services, current_app.extensions["kv_services"])


def settings() -> Settings:
    return cast(Settings, current_app.extensions["kv_settings"])


def user_id() -> str:
    """The signed-in account's id (views that call this are behind login_required)."""
    return str(current_user.id)
