"""flask-login's view of a KV Storage account, and the loader that finds it."""

from __future__ import annotations

from flask import Flask
from flask_login import LoginManager, UserMixin

from kv_core.errors import NotFound
from kv_core.model import User
from kv_dashboard.context import services


class Account(UserMixin):  # type: ignore[misc]
    """The signed-in account holder, wrapping the domain's :class:`User`."""

    def __init__(self, user: User) -> None:
        self.user = user

    def get_id(self) -> str:
        return self.user.id

    @property
    def id(self) -> str:
        return self.user.id

    @property
    def email(self) -> str:
        return self.user.email

    @property
    def plan(self) -> str:
        return self.user.plan


def init_login(app: Flask) -> LoginManager:
    """Sessions by flask-login, with "strong" protection: a session cookie replayed
    from another browser or address is dropped."""
    manager = LoginManager(app)
    manager.login_view = "accounts.login"
    manager.login_message = "Log in to see that page."
    manager.login_message_category = "info"
    manager.session_protection = "strong"

    manager.user_loader(load_account)
    return manager


def load_account(user_id: str) -> Account | None:
    """The account a session names, or ``None`` once it is gone or disabled."""
    try:
        user = services().accounts.get(user_id)
    except NotFound:
        return None
    return None if user.disabled else Account(user)
