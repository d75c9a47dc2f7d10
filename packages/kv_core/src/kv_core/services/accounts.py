"""Signing up, logging in (throttled) by password or through an identity provider,
changing plans, and leaving."""

from __future__ import annotations

import functools

from kv_core.errors import (
    Conflict,
    Forbidden,
    InvalidInput,
    NotFound,
    TooManyAttempts,
    Unauthorized,
)
from kv_core.hashing import hash_password, new_id, verify_password
from kv_core.model import User, isoformat
from kv_core.names import normalize_email
from kv_core.plans import DEFAULT_PLAN, get_plan
from kv_core.services.api_keys import ApiKeys
from kv_core.services.config import CoreConfig
from kv_core.store import Store

PASSWORD_MIN_CHARS = 8
PASSWORD_MAX_CHARS = 1024
WRONG_CREDENTIALS = "The email or the password is wrong."
# The password hash of an account made through an identity provider: no password
# matches it (it is not a hash), until its owner sets one through a reset.
NO_PASSWORD = "!"  # noqa: S105 (a marker, not a password)


def account_disabled() -> Forbidden:
    """The refusal of a disabled account, to its API keys and at login."""
    return Forbidden(
        "This account is disabled. Contact the operator of this service.",
        code="account_disabled",
    )


def check_password(password: str) -> str:
    """``password`` if its length is within the rule, else ``InvalidInput``."""
    if not PASSWORD_MIN_CHARS <= len(password) <= PASSWORD_MAX_CHARS:
        raise InvalidInput(
            f"A password is {PASSWORD_MIN_CHARS} to {PASSWORD_MAX_CHARS} characters long.",
            code="invalid_password",
        )
    return password


def login_subject(email: str, client: str) -> str:
    """What logins (and password changes) are throttled by: an email and an address."""
    return f"{email} {client}"


@functools.cache
def _dummy_hash() -> str:
    """A real hash to verify against for unknown emails, so that login takes as long
    whether or not the email has an account. Made on first use: hashing is slow on
    purpose, and a cold start should not pay for it."""
    return hash_password("not a real password")


class Accounts:
    def __init__(self, store: Store, config: CoreConfig, api_keys: ApiKeys) -> None:
        self.store = store
        self.config = config
        self.api_keys = api_keys

    def signup(self, email: str, password: str) -> User:
        """Create an account on the free plan; ``Conflict`` if the email is taken."""
        email = normalize_email(email)
        check_password(password)
        now = isoformat(self.config.clock())
        user = User(new_id(), email, hash_password(password), DEFAULT_PLAN, now, now)
        self.store.create_user(user)
        return user

    def login(self, email: str, password: str, client: str = "") -> User:
        """The account for these credentials; ``Forbidden`` (``account_disabled``)
        when they are right but an operator disabled the account.

        Attempts are throttled per email and client address: each is counted before its
        password is checked (so racing attempts check no more than the limit), and a
        success clears the count. After ``login_max_failures`` attempts in the window,
        this address is refused with ``TooManyAttempts`` for this email until the window
        ends; the owner, from another address, is not locked out by it.
        """
        email = email.strip().lower()
        now = isoformat(self.config.clock())
        window = self.config.login_window_seconds
        subject = login_subject(email, client)
        if self.store.count_login_attempt(subject, now, window) > self.config.login_max_failures:
            raise TooManyAttempts(
                "Too many failed logins. Wait a few minutes and try again.", retry_after=window
            )
        user = self.store.get_user_by_email(email)
        matches = verify_password(password, user.password_hash if user else _dummy_hash())
        if user is None or not matches:
            raise Unauthorized(WRONG_CREDENTIALS, code="invalid_credentials")
        self.store.clear_login_attempts(subject)
        if user.disabled_at is not None:
            raise account_disabled()
        return user

    def sign_in_with_identity(self, email: str, email_verified: bool) -> tuple[User, bool]:
        """The account of an identity an OpenID Connect provider vouched for, and
        whether it was made just now.

        Accounts are matched by email, and only by an address the provider says it
        verified (``Forbidden``, ``email_not_verified``, otherwise: anyone may claim an
        unverified address). An existing account signs in, unless an operator disabled
        it (``Forbidden``, ``account_disabled``, as at login); otherwise a new account
        is made on the free plan with no password (:data:`NO_PASSWORD`), which its
        owner may set later through a password reset.
        """
        if not email_verified:
            raise Forbidden(
                "Your sign-in provider has not verified this email address, so it cannot"
                " sign you in here. Verify it with the provider, or sign up with a password.",
                code="email_not_verified",
            )
        email = normalize_email(email)
        user = self.store.get_user_by_email(email)
        created = False
        if user is None:
            now = isoformat(self.config.clock())
            try:
                user = User(new_id(), email, NO_PASSWORD, DEFAULT_PLAN, now, now)
                self.store.create_user(user)
                created = True
            except Conflict:  # made by a racing sign-in (or sign-up) meanwhile
                user = self.store.get_user_by_email(email)
                if user is None:  # made and deleted again: nothing to sign in to
                    raise
        if user.disabled_at is not None:
            raise account_disabled()
        return user, created

    def get(self, user_id: str) -> User:
        user = self.store.get_user(user_id)
        if user is None:
            raise NotFound("There is no such account.", code="user_not_found")
        return user

    def delete(self, user_id: str) -> User:
        """Delete an account and everything that is its own; its keys stop working in
        this instance at once (in others within the key cache's bound)."""
        deleted = self.store.delete_user(user_id)
        if deleted is None:
            raise NotFound("There is no such account.", code="user_not_found")
        self.api_keys.forget_user(user_id)
        return deleted

    def change_plan(self, user_id: str, plan: str) -> User:
        """Move an account to ``plan`` (validated against the plan table)."""
        get_plan(plan)
        self.store.set_plan(user_id, plan, isoformat(self.config.clock()))
        self.api_keys.forget_user(user_id)
        return self.get(user_id)
