"""Resetting and changing passwords: single-use links, the same answer for everyone,
and sessions that end with the old password."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest

from kv_core.errors import Forbidden, InvalidInput, TooManyAttempts, Unauthorized
from kv_core.notify import LogNotifier
from kv_core.services import CoreConfig, Services
from kv_core.services.passwords import RESETS_PER_HOUR

NOW = datetime(2026, 11, 25, 12, tzinfo=UTC)
LINK = re.compile(r"https://kv\.example/reset\?token=(\S+)")


@pytest.fixture
def clock():
    return [NOW]


@pytest.fixture
def mail():
    return LogNotifier()


@pytest.fixture
def services(store, clock, mail):
    services = Services(store, CoreConfig(secret=b"s" * 32, clock=lambda: clock[0]), mail)
    yield services
    services.items.meter.close()


@pytest.fixture
def ann(services):
    return services.accounts.signup("ann@example.com", "old-password")


def link(token: str) -> str:
    return f"https://kv.example/reset?token={token}"


def mailed_token(mail: LogNotifier) -> str:
    found = LINK.search(mail.sent[-1][2])
    assert found, mail.sent[-1]
    return found.group(1)


def test_a_reset_link_sets_a_new_password_once(services, ann, mail):
    services.passwords.request_reset("Ann@Example.com", link)
    [(to, subject, body)] = mail.sent
    assert (to, subject) == ("ann@example.com", "KV Storage: reset your password")
    assert "60 minutes" in body
    token = mailed_token(mail)
    services.passwords.reset(token, "new-password")
    assert services.accounts.login("ann@example.com", "new-password").id == ann.id
    with pytest.raises(Unauthorized):
        services.accounts.login("ann@example.com", "old-password")
    with pytest.raises(InvalidInput) as used:
        services.passwords.reset(token, "third-password")
    assert used.value.code == "invalid_reset_token"
    assert services.accounts.login("ann@example.com", "new-password").id == ann.id


def test_nothing_tells_whether_an_address_has_an_account(services, ann, mail):
    assert services.passwords.request_reset("nobody@example.com", link) is None
    assert mail.sent == []


def test_a_link_expires_after_an_hour(services, ann, mail, clock):
    services.passwords.request_reset("ann@example.com", link)
    clock[0] = NOW + timedelta(minutes=61)
    with pytest.raises(InvalidInput) as expired:
        services.passwords.reset(mailed_token(mail), "new-password")
    assert expired.value.code == "invalid_reset_token"
    assert services.accounts.login("ann@example.com", "old-password").id == ann.id


@pytest.mark.parametrize("token", ["", "made-up", "x" * 500])
def test_a_made_up_token_changes_nothing(services, ann, token):
    with pytest.raises(InvalidInput) as refused:
        services.passwords.reset(token, "new-password")
    assert refused.value.code == "invalid_reset_token"
    assert services.accounts.login("ann@example.com", "old-password").id == ann.id


def test_a_bad_new_password_keeps_the_link(services, ann, mail):
    services.passwords.request_reset("ann@example.com", link)
    with pytest.raises(InvalidInput) as short:
        services.passwords.reset(mailed_token(mail), "short")
    assert short.value.code == "invalid_password"
    services.passwords.reset(mailed_token(mail), "long-enough")


def test_an_address_gets_a_few_links_an_hour(services, ann, mail, clock):
    for _ in range(RESETS_PER_HOUR + 4):
        services.passwords.request_reset("ann@example.com", link)
    assert len(mail.sent) == RESETS_PER_HOUR
    clock[0] = NOW + timedelta(hours=1, seconds=1)
    services.passwords.request_reset("ann@example.com", link)
    assert len(mail.sent) == RESETS_PER_HOUR + 1


def test_a_reset_ends_every_session(services, ann, mail):
    sessions = [services.sessions.start(ann) for _ in range(2)]
    services.passwords.request_reset("ann@example.com", link)
    services.passwords.reset(mailed_token(mail), "new-password")
    assert [services.sessions.resolve(s) for s in sessions] == [None, None]


def test_changing_the_password_ends_the_other_sessions(services, ann):
    here, elsewhere = services.sessions.start(ann), services.sessions.start(ann, remember=True)
    services.passwords.change(ann, "old-password", "new-password", keep_session=here)
    assert services.sessions.resolve(here) is not None
    assert services.sessions.resolve(elsewhere) is None
    assert services.accounts.login("ann@example.com", "new-password").id == ann.id


def test_a_change_needs_the_current_password_and_is_throttled(services, ann):
    for _ in range(services.config.login_max_failures):
        with pytest.raises(Forbidden) as wrong:
            services.passwords.change(ann, "guess", "new-password", client="10.0.0.3")
        assert wrong.value.code == "wrong_password"
    with pytest.raises(TooManyAttempts):
        services.passwords.change(ann, "old-password", "new-password", client="10.0.0.3")
    assert services.accounts.login("ann@example.com", "old-password").id == ann.id
    with pytest.raises(InvalidInput):
        services.passwords.change(ann, "old-password", "short")


def test_leaving_deletes_the_account_and_stops_its_keys(services, ann):
    services.namespaces.create(ann.id, "app")
    raw = services.api_keys.create(ann.id, "app").raw
    services.accounts.delete(ann.id)
    with pytest.raises(Unauthorized):
        services.api_keys.resolve(raw)
    with pytest.raises(Unauthorized):
        services.accounts.login("ann@example.com", "old-password")
    assert services.accounts.signup("ann@example.com", "fresh-start").id != ann.id
