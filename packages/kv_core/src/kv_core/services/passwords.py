"""Passwords after sign-up: a reset by emailed link, and a change by the signed-in user.

A reset link's token is single use, lasts :data:`RESET_LIFETIME`, and only its SHA-256
is stored. Asking for a reset answers the same whether or not the email has an account,
and sends at most :data:`RESETS_PER_HOUR` links to one address an hour. Setting a new
password, either way, ends the account's dashboard sessions (all of them after a
reset; all but the one that changed it after a change).
"""

from __future__ import annotations

import secrets
from collections.abc import Callable
from datetime import timedelta

from kv_core.errors import Forbidden, InvalidInput, TooManyAttempts
from kv_core.hashing import digest, hash_password, verify_password
from kv_core.model import ResetToken, User, isoformat
from kv_core.names import normalize_email
from kv_core.notify import Notifier
from kv_core.services.accounts import check_password, login_subject
from kv_core.services.config import CoreConfig
from kv_core.store import Store

RESET_LIFETIME = timedelta(hours=1)
RESETS_PER_HOUR = 3
_TOKEN_BYTES = 32
UNUSABLE_RESET_LINK = "This reset link is not valid: it was used already, has expired, or is wrong."


class Passwords:
    def __init__(self, store: Store, config: CoreConfig, notifier: Notifier) -> None:
        self.store = store
        self.config = config
        self.notifier = notifier

    def request_reset(self, email: str, link: Callable[[str], str]) -> None:
        """Email a reset link (``link(token)`` makes it) if the address has an account."""
        email = normalize_email(email)
        now = self.config.clock()
        window = int(timedelta(hours=1).total_seconds())
        if self.store.count_login_attempt(f"reset {email}", isoformat(now), window) > (
            RESETS_PER_HOUR
        ):
            return  # the same answer: nobody learns whether the address has an account
        user = self.store.get_user_by_email(email)
        if user is None:
            return
        token = secrets.token_urlsafe(_TOKEN_BYTES)
        expires = isoformat(now + RESET_LIFETIME)
        self.store.create_reset_token(ResetToken(user.id, digest(token), expires))
        minutes = int(RESET_LIFETIME.total_seconds() // 60)
        self.notifier.send(
            user.email,
            "KV Storage: reset your password",
            f"Someone asked to reset the password of your KV Storage account.\n\n"
            f"To choose a new one, open this link within {minutes} minutes:\n\n"
            f"{link(token)}\n\n"
            "It works once. If it was not you, ignore this email: your password stays.",
        )

    def reset(self, token: str, password: str) -> User:
        """Set a new password with a reset token; ``InvalidInput``
        (``invalid_reset_token``) for a used, expired or made-up one, changing nothing."""
        check_password(password)
        now = isoformat(self.config.clock())
        user_id = self.store.consume_reset_token(digest(token), now) if token else None
        user = self.store.get_user(user_id) if user_id else None
        if user is None:
            raise InvalidInput(UNUSABLE_RESET_LINK, code="invalid_reset_token")
        self.store.set_password(user.id, hash_password(password), now)
        self.store.delete_sessions(user.id)
        self.store.clear_login_attempts(f"reset {user.email}")
        return user

    def change(
        self,
        user: User,
        current: str,
        new: str,
        *,
        client: str = "",
        keep_session: str | None = None,
    ) -> None:
        """Change a signed-in user's password, which they must give again (throttled as
        logins are); ends their other dashboard sessions. ``keep_session`` is the
        session id (:mod:`kv_core.services.sessions`) of the browser that asked."""
        check_password(new)
        now = isoformat(self.config.clock())
        subject = login_subject(user.email, client)
        window = self.config.login_window_seconds
        if self.store.count_login_attempt(subject, now, window) > self.config.login_max_failures:
            raise TooManyAttempts(
                "Too many wrong passwords. Wait a few minutes and try again.",
                retry_after=window,
            )
        if not verify_password(current, user.password_hash):
            raise Forbidden("The current password is wrong.", code="wrong_password")
        self.store.clear_login_attempts(subject)
        self.store.set_password(user.id, hash_password(new), now)
        _, _, secret = (keep_session or "").partition(".")
        self.store.delete_sessions(user.id, keep=digest(secret) if secret else None)
