"""flask-login's view of a KV Storage account, and the loader that finds it.

flask-login keeps whatever ``get_id`` returns in the session cookie and in the
remember cookie. Here that is the id of a server-side session
(:mod:`kv_core.services.sessions`), not the user's id, so logging out, which ends the
session on the server, makes every copy of either cookie worthless.
"""

from __future__ import annotations

from flask import Flask
from flask_login import LoginManager, UserMixin, login_user, logout_user

from kv_core.model import User
from kv_core.services.accounts import NO_PASSWORD
from kv_dashboard.context import services


class Account(UserMixin):  # type: ignore[misc]
    """The signed-in account holder, wrapping the domain's :class:`User` and the
    session it signed in with."""

    def __init__(self, user: User, session_id: str) -> None:
        self.user = user
        self.session_id = session_id

    def get_id(self) -> str:
        return self.session_id

    @property
    def id(self) -> str:
        return self.user.id

    @property
    def email(self) -> str:
        return self.user.email

    @property
    def plan(self) -> str:
        return self.user.plan

    @property
    def has_password(self) -> bool:
        """False for an account made through a sign-in provider, until a reset sets
        its first password."""
        return self.user.password_hash != NO_PASSWORD


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


def load_account(session_id: str) -> Account | None:
    """The account a session names, or ``None`` once the session or the account is
    gone, or an operator disabled it."""
    user = services().sessions.resolve(session_id)
    return Account(user, session_id) if user is not None and not user.disabled else None


def sign_in(user: User, *, remember: bool = False) -> None:
    """Start a server-side session for ``user`` and hand it to flask-login."""
    login_user(Account(user, services().sessions.start(user, remember=remember)), remember=remember)


def sign_out(account: Account) -> None:
    """End the session on the server, then in this browser."""
    services().sessions.end(account.session_id)
    logout_user()
