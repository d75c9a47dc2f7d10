"""Signing in with an identity an OpenID Connect provider vouched for, on every engine:
matched by verified email, made on the free plan without a password, refused when
unverified or disabled; and the password an account made so can still get by reset."""

from __future__ import annotations

import re
from datetime import UTC, datetime

import pytest

from kv_core.errors import Forbidden, InvalidInput, Unauthorized
from kv_core.notify import LogNotifier
from kv_core.plans import DEFAULT_PLAN
from kv_core.services import CoreConfig, Services
from kv_core.services.accounts import NO_PASSWORD

NOW = datetime(2026, 11, 25, 12, tzinfo=UTC)


@pytest.fixture
def mail():
    return LogNotifier()


@pytest.fixture
def services(store, mail):
    services = Services(store, CoreConfig(secret=b"s" * 32, clock=lambda: NOW), mail)
    yield services
    services.items.meter.close()


def test_a_verified_email_without_an_account_gets_a_free_one(services):
    user, created = services.accounts.sign_in_with_identity(" New@Example.com", True)
    assert created
    assert (user.email, user.plan, user.password_hash) == (
        "new@example.com",
        DEFAULT_PLAN,
        NO_PASSWORD,
    )
    assert services.store.get_user_by_email("new@example.com") == user
    again, created = services.accounts.sign_in_with_identity("new@example.com", True)
    assert (again.id, created) == (user.id, False)


def test_an_existing_account_is_found_by_its_email(services):
    ann = services.accounts.signup("ann@example.com", "s3cret-pass")
    user, created = services.accounts.sign_in_with_identity("ANN@example.com", True)
    assert (user.id, created) == (ann.id, False)
    # Her password still works: signing in elsewhere changes nothing of the account.
    assert services.accounts.login("ann@example.com", "s3cret-pass").id == ann.id


def test_an_unverified_email_signs_nobody_in_and_makes_nothing(services):
    services.accounts.signup("ann@example.com", "s3cret-pass")
    for email in ("ann@example.com", "new@example.com"):
        with pytest.raises(Forbidden) as refused:
            services.accounts.sign_in_with_identity(email, False)
        assert refused.value.code == "email_not_verified"
    assert services.store.get_user_by_email("new@example.com") is None


def test_a_disabled_account_is_refused_as_at_login(services):
    services.accounts.signup("ann@example.com", "s3cret-pass")
    services.admin.disable("ann@example.com")
    with pytest.raises(Forbidden) as refused:
        services.accounts.sign_in_with_identity("ann@example.com", True)
    assert refused.value.code == "account_disabled"


def test_a_malformed_email_is_refused(services):
    with pytest.raises(InvalidInput):
        services.accounts.sign_in_with_identity("not an address", True)


def test_no_password_opens_an_account_made_by_a_provider_until_a_reset_sets_one(services, mail):
    user, _ = services.accounts.sign_in_with_identity("new@example.com", True)
    for guess in ("", "!", NO_PASSWORD, "s3cret-pass"):
        with pytest.raises(Unauthorized):
            services.accounts.login("new@example.com", guess)
    services.passwords.request_reset("new@example.com", lambda token: f"https://kv/r?t={token}")
    token = re.search(r"t=(\S+)", mail.sent[-1][2]).group(1)
    services.passwords.reset(token, "chosen-later")
    assert services.accounts.login("new@example.com", "chosen-later").id == user.id
    again, created = services.accounts.sign_in_with_identity("new@example.com", True)
    assert (again.id, created) == (user.id, False)
