"""Signing in with OpenID Connect against a real provider running on loopback
(oidc-provider-mock): the dashboard's test client and the provider meet over HTTP, the
redirects between them followed by hand, and the provider chooses who signs in, with
which claims, or refuses.
"""

from __future__ import annotations

import itertools
import time
import warnings
from dataclasses import replace
from urllib.parse import parse_qs, urlencode, urlsplit, urlunsplit

import pytest
import requests
from authlib.oidc.core import CodeIDToken
from joserfc.errors import JoseError

with warnings.catch_warnings():  # the provider's own use of Authlib's older modules
    import authlib.deprecate  # noqa: F401 (its "always" filter first, then ours over it)

    warnings.simplefilter("ignore", DeprecationWarning)
    from oidc_provider_mock import run_server_in_thread

from kv_api.testing import free_port
from kv_core.services.accounts import NO_PASSWORD
from kv_core.settings import OidcProvider
from kv_dashboard import create_app
from kv_dashboard.blueprints.oidc import id_token_checks

SUBJECTS = itertools.count(1)
pytestmark = pytest.mark.filterwarnings("ignore:get_jwt_config:DeprecationWarning")


@pytest.fixture(scope="module")
def issuer():
    """A real OpenID provider on a loopback port for this module; its issuer URL."""
    with run_server_in_thread(require_nonce=True) as server:
        yield f"http://127.0.0.1:{server.server_port}"


@pytest.fixture
def provider(issuer):
    return OidcProvider("local", issuer, "kv-dashboard", "client-secret", label="Local ID")


@pytest.fixture
def settings(settings, provider):
    return replace(settings, oidc_providers=(provider,))


class Identity:
    """A user at the provider, with the claims it will vouch for."""

    def __init__(self, issuer: str, email: str, *, verified: bool = True) -> None:
        self.sub = f"user-{next(SUBJECTS)}"
        claims = {"email": email, "email_verified": verified, "name": "Ann"}
        answer = requests.put(f"{issuer}/users/{self.sub}", json=claims, timeout=5)
        assert answer.status_code == 204


def start(browser, name: str = "local", **query) -> str:
    """Click "Continue with ...": the provider's authorization URL it sends us to."""
    response = browser.get(f"/login/{name}", query_string=query)
    assert response.status_code == 302, response.text
    return response.headers["Location"]


def at_provider(authorize_url: str, form: dict) -> str:
    """Answer the provider's consent page; the callback URL it sends the browser back
    to."""
    answer = requests.post(authorize_url, data=form, allow_redirects=False, timeout=5)
    assert answer.status_code == 302, answer.text
    return answer.headers["Location"]


def back(browser, callback_url: str):
    """Follow the provider's redirect back into the dashboard."""
    parts = urlsplit(callback_url)
    assert parts.path == "/login/local/callback", callback_url
    return browser.get(f"{parts.path}?{parts.query}")


def sign_in_through_provider(browser, identity: Identity, **query):
    return back(browser, at_provider(start(browser, **query), {"sub": identity.sub}))


def with_query(url: str, **changes: str) -> str:
    parts = urlsplit(url)
    query = {k: v[0] for k, v in parse_qs(parts.query).items()}
    query.update(changes)
    return urlunsplit(parts._replace(query=urlencode(query)))


def test_the_login_and_signup_pages_offer_each_provider(browser, provider):
    for path in ("/login", "/signup"):
        page = browser.get(path).text
        assert "Continue with Local ID" in page
        assert 'href="/login/local"' in page


def test_google_is_named_google_and_no_provider_means_no_button(services, settings):
    google = OidcProvider("google", "https://accounts.google.com", "id", "secret")
    app = create_app(services=services, settings=replace(settings, oidc_providers=(google,)))
    assert "Continue with Google" in app.test_client().get("/login").text
    bare = create_app(services=services, settings=replace(settings, oidc_providers=()))
    for path in ("/login", "/signup"):
        assert "Continue with" not in bare.test_client().get(path).text


def test_the_provider_is_asked_for_a_code_with_state_nonce_and_pkce(browser, issuer):
    url = start(browser)
    assert url.startswith(f"{issuer}/oauth2/authorize?")
    query = parse_qs(urlsplit(url).query)
    assert query["response_type"] == ["code"]
    assert query["client_id"] == ["kv-dashboard"]
    assert query["redirect_uri"] == ["http://localhost/login/local/callback"]
    assert set(query["scope"][0].split()) == {"openid", "email", "profile"}
    assert query["code_challenge_method"] == ["S256"]
    for name in ("state", "nonce", "code_challenge"):
        assert len(query[name][0]) >= 20


def test_the_callback_is_on_the_public_address_when_one_is_set(services, settings, new_browser):
    public = replace(settings, public_url="https://kv.example")
    url = start(new_browser(create_app(services=services, settings=public)))
    redirect_uri = parse_qs(urlsplit(url).query)["redirect_uri"]
    assert redirect_uri == ["https://kv.example/login/local/callback"]


def test_a_verified_email_without_an_account_makes_one_without_a_password(
    browser, services, issuer
):
    answer = sign_in_through_provider(browser, Identity(issuer, "New@Example.com"))
    assert answer.status_code == 302
    assert answer.headers["Location"] == "/namespaces"
    assert "Welcome!" in browser.get("/namespaces").text
    assert browser.logged_in()
    user = services.store.get_user_by_email("new@example.com")
    assert (user.plan, user.password_hash) == ("free", NO_PASSWORD)
    # No password logs in to it, until a reset sets one.
    stranger = browser.__class__(browser.client.application.test_client())
    assert stranger.login("new@example.com", NO_PASSWORD).status_code == 401
    assert not stranger.logged_in()
    # The settings offer a link to set one, not a form that asks for the current one.
    settings_page = browser.get("/settings").text
    assert "Set a password" in settings_page
    assert "Current password" not in settings_page


def test_an_existing_account_is_found_by_its_verified_email(browser, new_browser, services, issuer):
    assert browser.signup("ann@example.com").status_code == 302
    ann = services.store.get_user_by_email("ann@example.com")
    elsewhere = new_browser()
    answer = sign_in_through_provider(
        elsewhere, Identity(issuer, "ann@example.com"), next="/billing"
    )
    assert answer.status_code == 302
    assert answer.headers["Location"] == "/billing"
    assert "ann@example.com" in elsewhere.get("/").text
    assert [u.id for u in services.admin.users()] == [ann.id]


def test_an_unverified_email_signs_nobody_in(browser, services, issuer):
    answer = sign_in_through_provider(browser, Identity(issuer, "eve@example.com", verified=False))
    assert answer.status_code == 403
    assert "has not verified this email address" in answer.text
    assert not browser.logged_in()
    assert services.store.get_user_by_email("eve@example.com") is None


def test_an_unverified_email_does_not_open_an_existing_account(browser, new_browser, issuer):
    assert browser.signup("ann@example.com").status_code == 302
    intruder = new_browser()
    answer = sign_in_through_provider(intruder, Identity(issuer, "ann@example.com", verified=False))
    assert answer.status_code == 403
    assert not intruder.logged_in()


def test_a_refused_consent_signs_nobody_in(browser, services):
    answer = back(browser, at_provider(start(browser), {"action": "deny"}))
    assert answer.status_code == 403
    assert "Sign-in cancelled" in answer.text
    assert "Local ID did not sign you in" in answer.text
    assert not browser.logged_in()
    assert services.admin.users() == []


def test_a_tampered_or_missing_state_signs_nobody_in(browser, issuer):
    identity = Identity(issuer, "ann@example.com")
    callback = at_provider(start(browser), {"sub": identity.sub})
    tampered = back(browser, with_query(callback, state="forged-state-value"))
    assert tampered.status_code == 400
    assert "did not start in this browser" in tampered.text
    parts = urlsplit(callback)
    code = parse_qs(parts.query)["code"][0]
    missing = browser.get(f"{parts.path}?code={code}")
    assert missing.status_code == 400
    assert not browser.logged_in()


def test_a_callback_carried_to_another_browser_signs_nobody_in(browser, new_browser, issuer):
    """A victim's browser handed an attacker's callback (login CSRF): its state was
    never this browser's."""
    attacker_identity = Identity(issuer, "mallory@example.com")
    callback = at_provider(start(browser), {"sub": attacker_identity.sub})
    victim = new_browser()
    start(victim)  # even with a sign-in of its own under way
    answer = back(victim, callback)
    assert answer.status_code == 400
    assert not victim.logged_in()


def test_a_used_callback_does_not_sign_in_twice(browser, new_browser, issuer):
    identity = Identity(issuer, "ann@example.com")
    callback = at_provider(start(browser), {"sub": identity.sub})
    assert back(browser, callback).status_code == 302
    browser.post("/logout")
    assert not browser.logged_in()
    again = back(browser, callback)
    assert again.status_code == 400
    assert not browser.logged_in()


def test_a_provider_error_signs_nobody_in(browser, services):
    callback = with_query(
        "http://localhost/login/local/callback", error="server_error", state="whatever"
    )
    answer = back(browser, callback)
    assert answer.status_code == 400
    assert "Local ID could not sign you in" in answer.text
    assert not browser.logged_in()


def test_a_code_the_provider_did_not_issue_signs_nobody_in(browser, issuer):
    callback = at_provider(start(browser), {"sub": Identity(issuer, "ann@example.com").sub})
    answer = back(browser, with_query(callback, code="made-up-code"))
    assert answer.status_code == 400
    assert not browser.logged_in()


def test_an_unknown_provider_is_not_found(browser):
    for path in ("/login/nope", "/login/nope/callback?code=x&state=y"):
        answer = browser.get(path)
        assert answer.status_code == 404
        assert "no such way to sign in" in answer.text


def test_a_disabled_account_is_refused_as_at_password_login(browser, services, issuer):
    assert browser.signup("ann@example.com").status_code == 302
    browser.post("/logout")
    services.admin.disable("ann@example.com")
    answer = sign_in_through_provider(browser, Identity(issuer, "ann@example.com"))
    assert answer.status_code == 403
    assert "disabled" in answer.text
    assert not browser.logged_in()


def test_a_provider_that_cannot_be_reached_is_a_page(services, settings, new_browser):
    down = OidcProvider("local", f"http://127.0.0.1:{free_port()}", "id", "secret")
    app = create_app(services=services, settings=replace(settings, oidc_providers=(down,)))
    answer = new_browser(app).get("/login/local")
    assert answer.status_code == 502
    assert "cannot be reached" in answer.text


def test_the_library_checks_the_id_tokens_issuer_audience_nonce_and_expiry(provider):
    """What the callback asks Authlib to check, applied to claims that break each."""
    now = int(time.time())
    good = {
        "iss": provider.issuer,
        "sub": "user-1",
        "aud": provider.client_id,
        "exp": now + 300,
        "iat": now,
        "nonce": "n0nce",
    }

    def check(claims):
        CodeIDToken(
            claims,
            {"alg": "RS256"},
            id_token_checks(provider),
            {"nonce": "n0nce", "client_id": provider.client_id},
        ).validate(leeway=120)

    check(good)
    for bad in (
        {"aud": "another-client"},
        {"aud": "another-client", "azp": provider.client_id},
        {"iss": "https://elsewhere.example"},
        {"exp": now - 600},
        {"nonce": "replayed"},
    ):
        with pytest.raises(JoseError):
            check({**good, **bad})
