"""Signing up, logging in and out: guards, cookies, CSRF, throttling and form errors."""

from dataclasses import replace

import pytest

from kv_dashboard import create_app

PASSWORD = "s3cret-pass"


def session_cookie(response) -> str:
    (cookie,) = [c for c in response.headers.getlist("Set-Cookie") if c.startswith("kv_dashboard=")]
    return cookie


PAGES = [
    "/",
    "/namespaces",
    "/namespaces/app",
    "/namespaces/app/items",
    "/namespaces/app/item?key=a",
    "/namespaces/app/tester",
    "/namespaces/app/delete",
    "/billing",
]


@pytest.mark.parametrize("path", PAGES)
def test_every_page_sends_anonymous_visitors_to_login(browser, path):
    response = browser.get(path)
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/login?next=")


@pytest.mark.parametrize(
    "path", ["/logout", "/namespaces", "/namespaces/app/keys", "/namespaces/app/delete"]
)
def test_anonymous_posts_go_to_login_too(browser, path):
    response = browser.post(path, {"name": "x"})
    assert response.status_code == 302
    assert "/login" in response.headers["Location"]


def test_signup_logs_in_with_a_safe_session_cookie(browser):
    response = browser.signup("ann@example.com")
    assert response.status_code == 302
    assert response.headers["Location"] == "/namespaces"
    cookie = session_cookie(response)
    assert "HttpOnly" in cookie
    assert "SameSite=Lax" in cookie
    assert browser.get("/").status_code == 200


def test_cookies_are_secure_outside_local_runs(services, settings):
    app = create_app(services=services, settings=replace(settings, secure_cookies=True))
    client = app.test_client()
    page = client.get("/signup").text
    token = page.split('name="csrf-token" content="')[1].split('"')[0]
    response = client.post(
        "/signup", data={"email": "ann@example.com", "password": PASSWORD, "csrf_token": token}
    )
    assert "Secure" in session_cookie(response)


def test_a_form_without_the_csrf_token_is_refused(browser, services):
    response = browser.client.post(
        "/signup", data={"email": "ann@example.com", "password": PASSWORD}
    )
    assert response.status_code == 400
    assert "expired" in response.text
    assert services.store.get_user_by_email("ann@example.com") is None


def test_a_forged_csrf_token_is_refused(browser, ann, services):
    response = browser.client.post("/namespaces", data={"name": "other", "csrf_token": "forged"})
    assert response.status_code == 400
    assert [ns.name for ns in services.namespaces.list(ann)] == ["app"]


def test_signup_errors_keep_the_email_but_not_the_password(browser):
    response = browser.signup("ann@example.com", "short")
    page = response.text
    assert response.status_code == 400
    assert "at least 8 characters" in page
    assert 'value="ann@example.com"' in page
    assert "short" not in page
    assert 'aria-invalid="true"' in page


def test_signup_refuses_a_bad_email_with_core_message(browser):
    response = browser.signup("not-an-email")
    assert response.status_code == 400
    assert "not a valid email address" in response.text


def test_signup_refuses_a_taken_email(ann, new_browser):
    other = new_browser()
    response = other.signup("ann@example.com")
    assert response.status_code == 400
    assert "already an account" in response.text


def test_login_logout_and_back(browser, ann):
    assert browser.post("/logout").status_code == 302
    assert browser.get("/").status_code == 302
    response = browser.login("ann@example.com")
    assert response.status_code == 302
    assert browser.get("/").status_code == 200


def cookie(client, name: str) -> str:
    found = client.get_cookie(name)
    assert found is not None, f"no {name} cookie"
    return found.value


def test_logging_out_ends_the_session_on_the_server(browser, ann, new_browser):
    """A copy of the session cookie taken before logout does not sign in after it."""
    stolen = cookie(browser.client, "kv_dashboard")
    assert browser.post("/logout").status_code == 302
    thief = new_browser()
    thief.client.set_cookie("kv_dashboard", stolen)
    assert thief.get("/").status_code == 302
    assert "/login" in thief.get("/").headers["Location"]


def test_the_remember_cookie_dies_with_logout(browser, ann, new_browser):
    browser.post("/logout")
    browser.post("/login", {"email": "ann@example.com", "password": PASSWORD, "remember": "y"})
    remember = cookie(browser.client, "remember_token")
    returning = new_browser()  # the browser came back later: no session cookie, only this
    returning.client.set_cookie("remember_token", remember)
    assert returning.get("/").status_code == 200
    browser.post("/logout")
    again = new_browser()
    again.client.set_cookie("remember_token", remember)
    assert again.get("/").status_code == 302


def test_keep_me_logged_in_sets_a_remember_cookie(browser, ann):
    browser.post("/logout")
    response = browser.post("/login", {"email": "ann@example.com", "password": PASSWORD})
    cookies = response.headers.getlist("Set-Cookie")
    assert not [c for c in cookies if c.startswith("remember_token=") and "Max-Age=0" not in c]
    browser.post("/logout")
    response = browser.post(
        "/login", {"email": "ann@example.com", "password": PASSWORD, "remember": "y"}
    )
    cookies = response.headers.getlist("Set-Cookie")
    remember = [c for c in cookies if c.startswith("remember_token=") and "Max-Age=0" not in c]
    assert len(remember) == 1
    assert "HttpOnly" in remember[0]
    assert "SameSite=Lax" in remember[0]


def test_login_goes_back_to_the_page_asked_for_but_never_off_site(browser, ann):
    browser.post("/logout")
    token = browser.token()
    response = browser.client.post(
        "/login?next=/billing",
        data={"email": "ann@example.com", "password": PASSWORD, "csrf_token": token},
    )
    assert response.headers["Location"] == "/billing"
    browser.post("/logout")
    token = browser.token()
    response = browser.client.post(
        "/login?next=//evil.example/",
        data={"email": "ann@example.com", "password": PASSWORD, "csrf_token": token},
    )
    assert response.headers["Location"] == "/"


def test_wrong_password_keeps_the_email(browser, ann):
    browser.post("/logout")
    response = browser.login("ann@example.com", "wrong-password")
    assert response.status_code == 401
    page = response.text
    assert "The email or the password is wrong." in page
    assert 'value="ann@example.com"' in page
    assert "wrong-password" not in page


def test_login_is_throttled(browser, ann, services):
    browser.post("/logout")
    for _ in range(services.config.login_max_failures):
        assert browser.login("ann@example.com", "wrong-password").status_code == 401
    response = browser.login("ann@example.com")
    assert response.status_code == 429
    assert "Too many failed logins" in response.text
    assert browser.get("/").status_code == 302


def test_pages_allow_only_their_own_scripts(browser, ann):
    response = browser.get("/")
    policy = response.headers["Content-Security-Policy"]
    assert "script-src 'self';" in policy
    assert "https://" not in response.text


def test_a_disabled_account_is_logged_out_and_cannot_log_in(browser, new_browser, ann, services):
    services.admin.disable("ann@example.com")
    assert browser.get("/").status_code == 302  # the open session ends
    other = new_browser()
    response = other.login("ann@example.com")
    assert response.status_code == 403
    assert "This account is disabled" in response.text
    assert not other.logged_in()
    services.admin.enable("ann@example.com")
    assert other.login("ann@example.com").status_code == 302
