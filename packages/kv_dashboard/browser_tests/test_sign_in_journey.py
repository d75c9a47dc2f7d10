"""Signing in through an OpenID provider, and back in through a reset link, in a real
browser against a real server.

A real OpenID provider (oidc-provider-mock) runs on a loopback port, and a real SMTP
server (``smtp_server``) takes the dashboard's mail. The visitor refuses consent at
the provider, then tries an address the provider has not verified, then comes back
with a tampered ``state``, then signs in with a verified address, which makes the
account; that account, made without a password, gets
one through the emailed reset link and logs in with it; and the provider still signs
it in after. Every dashboard page on the way is saved at desktop and phone widths.
Nothing leaves the machine: the browser may reach only loopback addresses (the
provider's pages ask for a stylesheet on the internet, which is refused).
"""

from __future__ import annotations

import re
import warnings
from collections.abc import Iterator
from email import message_from_bytes
from pathlib import Path

import pytest
import requests

from kv_api.testing import serving

with warnings.catch_warnings():  # the provider's own use of Authlib's older modules
    import authlib.deprecate  # noqa: F401 (its "always" filter first, then ours over it)

    warnings.simplefilter("ignore", DeprecationWarning)
    from oidc_provider_mock import run_server_in_thread

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")

DESKTOP = {"width": 1280, "height": 860}
PHONE = {"width": 390, "height": 844}
EMAIL = "oidc-journey@example.com"
PASSWORD = "chosen-after-1"  # noqa: S105 (a test account's)
LOOPBACK_ONLY = re.compile(r"^(?!https?://(127\.0\.0\.1|localhost)[:/])")
RESET_LINK = re.compile(r"http://127\.0\.0\.1:\d+/dashboard/reset-password\?token=\S+")


@pytest.fixture
def issuer() -> Iterator[str]:
    with run_server_in_thread(require_nonce=True) as provider:
        yield f"http://127.0.0.1:{provider.server_port}"


@pytest.fixture
def site(tmp_path: Path, issuer: str, smtp_server) -> Iterator[tuple[str, object]]:
    """``kv-storage serve`` with the provider configured and mail through SMTP; its
    base URL and the SMTP server's inbox."""
    inbox, port = smtp_server
    env = {
        "KV_OIDC_PROVIDERS": "local",
        "KV_OIDC_LOCAL_ISSUER": issuer,
        "KV_OIDC_LOCAL_CLIENT_ID": "kv-dashboard",
        "KV_OIDC_LOCAL_CLIENT_SECRET": "client-secret",
        "KV_OIDC_LOCAL_LABEL": "Local ID",
        "KV_SMTP_URL": f"smtp://127.0.0.1:{port}",
        "KV_ALERT_FROM": "kv@example.com",
    }
    with serving(tmp_path / "data", env=env, options=["--workers", "1", "--threads", "4"]) as base:
        yield base, inbox


def person(issuer: str, sub: str, email: str, *, verified: bool) -> str:
    """A user at the provider, vouched for with these claims."""
    claims = {"email": email, "email_verified": verified, "name": "Olive"}
    assert requests.put(f"{issuer}/users/{sub}", json=claims, timeout=5).status_code == 204
    return sub


def test_signing_in_through_a_provider_and_back_in_by_a_reset_link(
    site, issuer, browser, screenshots
):
    server, inbox = site
    dashboard = f"{server}/dashboard"
    context = browser.new_context(viewport=DESKTOP)
    context.route(LOOPBACK_ONLY, lambda route: route.abort())
    page = context.new_page()
    problems: list[str] = []

    def watch(tab) -> None:
        """Script errors and refusals by the content security policy, on our pages."""
        tab.on(
            "console",
            lambda m: (
                problems.append(f"{tab.url}: {m.text}")
                if m.type == "error"
                and tab.url.startswith(server)
                and not m.text.startswith("Failed to load resource")
                else None
            ),
        )
        tab.on("pageerror", lambda e: problems.append(str(e)))

    watch(page)

    def shot(name: str) -> None:
        """This page at desktop width and at a phone's, where it must not scroll
        sideways (the same page resized: a callback's page cannot be loaded twice)."""
        page.screenshot(path=screenshots / f"{name}-desktop.png", full_page=True)
        page.set_viewport_size(PHONE)
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= PHONE["width"], f"{name} is {width}px wide"
        page.screenshot(path=screenshots / f"{name}-phone.png", full_page=True)
        page.set_viewport_size(DESKTOP)

    def continue_with_provider() -> None:
        page.goto(f"{dashboard}/login")
        page.get_by_role("link", name="Continue with Local ID").click()
        page.wait_for_url(f"{issuer}/oauth2/authorize?*")

    def anonymous() -> bool:
        page.goto(f"{dashboard}/namespaces")
        return "/dashboard/login" in page.url

    # The login and sign-up pages offer the provider beside the password.
    page.goto(f"{dashboard}/signup")
    assert page.get_by_role("link", name="Continue with Local ID").is_visible()
    shot("21-signup-with-provider")
    page.goto(f"{dashboard}/login")
    shot("22-login-with-provider")

    # Consent refused at the provider: a page says so, and nobody is signed in.
    continue_with_provider()
    page.screenshot(path=screenshots / "23-provider-consent-desktop.png", full_page=True)
    page.get_by_role("button", name="Deny").click()
    page.wait_for_url(f"{dashboard}/login/local/callback?*")
    assert page.get_by_role("heading", name="Sign-in cancelled").is_visible()
    assert page.get_by_text("Local ID did not sign you in").is_visible()
    shot("24-provider-consent-refused")
    assert anonymous()

    # An address the provider has not verified opens nothing.
    continue_with_provider()
    page.get_by_placeholder("sub").fill(person(issuer, "olive-1", EMAIL, verified=False))
    page.get_by_role("button", name="Authorize").click()
    page.wait_for_url(f"{dashboard}/login/local/callback?*")
    assert page.get_by_text("has not verified this email address").is_visible()
    shot("25-provider-email-unverified")
    assert anonymous()

    # A state that this browser did not send (tampered with on the way) opens nothing.
    continue_with_provider()
    page.goto(re.sub(r"state=[^&]+", "state=tampered", page.url))
    page.get_by_placeholder("sub").fill(person(issuer, "olive-3", EMAIL, verified=True))
    page.get_by_role("button", name="Authorize").click()
    page.wait_for_url(f"{dashboard}/login/local/callback?*")
    assert page.get_by_role("heading", name="Sign-in expired").is_visible()
    shot("26-provider-state-tampered")
    assert anonymous()

    # A verified address makes the account and signs it in.
    continue_with_provider()
    page.get_by_placeholder("sub").fill(person(issuer, "olive-2", EMAIL, verified=True))
    page.get_by_role("button", name="Authorize").click()
    page.wait_for_url(f"{dashboard}/namespaces")
    assert page.get_by_text("Welcome!").is_visible()
    assert page.get_by_text(EMAIL).first.is_visible()
    shot("27-signed-in-through-provider")

    # That account has no password: the settings say how to get one.
    page.get_by_role("link", name="Settings").click()
    assert page.get_by_role("heading", name="Set a password").is_visible()
    assert page.get_by_label("Current password").count() == 0
    shot("28-settings-without-password")

    # No password opens it; the emailed reset link gives it one.
    page.get_by_role("button", name="Log out").click()
    page.wait_for_url(re.compile(r".*/dashboard/login"))
    page.get_by_label("Email").fill(EMAIL)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.get_by_text("The email or the password is wrong.").wait_for()
    page.get_by_role("link", name="Forgot your password?").click()
    page.get_by_label("Email").fill(EMAIL)
    page.get_by_role("button", name="Email me a link").click()
    page.get_by_text("a link to reset its password is on its way").wait_for()
    [(_, recipients, content)] = inbox.messages
    assert recipients == [EMAIL]
    body = message_from_bytes(content).get_payload(decode=True).decode()
    link = RESET_LINK.search(body)
    assert link, body
    page.goto(link.group(0))
    shot("29-reset-password")
    page.get_by_label("New password").fill(PASSWORD)
    page.get_by_role("button", name="Set the new password").click()
    page.get_by_text("Your password is changed. Log in with it.").wait_for()
    page.get_by_label("Email").fill(EMAIL)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url(f"{dashboard}/")

    # The link works once.
    page.goto(link.group(0))
    page.get_by_label("New password").fill("another-pass-1")
    page.get_by_role("button", name="Set the new password").click()
    assert page.get_by_text("This reset link is not valid").is_visible()
    shot("30-reset-link-used")

    # And the provider still signs the same account in.
    page.goto(f"{dashboard}/namespaces")
    page.get_by_role("button", name="Log out").click()
    page.wait_for_url(re.compile(r".*/dashboard/login"))
    continue_with_provider()
    page.get_by_role("button", name="olive-2").click()  # the provider remembers her
    page.wait_for_url(f"{dashboard}/")
    assert page.get_by_text(EMAIL).first.is_visible()

    context.close()
    assert problems == [], problems
