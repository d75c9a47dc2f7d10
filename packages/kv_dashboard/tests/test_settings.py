"""Forgotten and changed passwords, and leaving, in the dashboard."""

from __future__ import annotations

import re
from urllib.parse import urlsplit

PASSWORD = "s3cret-pass"  # what the conftest signs Ann up with

LINK = re.compile(r"http://localhost(/reset-password\?token=\S+)")


def mailed_link(services) -> str:
    found = LINK.search(services.notifier.sent[-1][2])
    assert found, services.notifier.sent[-1]
    return found.group(1)


def test_a_forgotten_password_is_reset_through_the_mailed_link(browser, ann, services):
    browser.post("/logout")
    assert "Forgot your password?" in browser.get("/login").text
    asked = browser.post("/forgot-password", {"email": "ann@example.com"}, follow_redirects=True)
    assert "a link to reset its password is on its way" in asked.text
    page = browser.get(mailed_link(services))
    assert page.status_code == 200
    assert "Choose a new password" in page.text
    done = browser.post(mailed_link(services), {"password": "a new password"})
    assert urlsplit(done.headers["Location"]).path == "/login"
    assert browser.login("ann@example.com", "a new password").status_code == 302


def test_the_same_page_whether_or_not_the_address_has_an_account(browser, services):
    answer = browser.post("/forgot-password", {"email": "nobody@example.com"})
    assert answer.status_code == 302
    assert services.notifier.sent == []


def test_a_used_link_gives_a_clear_page_and_changes_nothing(browser, ann, services):
    browser.post("/logout")
    browser.post("/forgot-password", {"email": "ann@example.com"})
    link = mailed_link(services)
    browser.post(link, {"password": "a new password"})
    again = browser.post(link, {"password": "yet another one"})
    assert again.status_code == 400
    assert "This link does not work" in again.text
    assert browser.login("ann@example.com", "a new password").status_code == 302


def test_changing_the_password_signs_out_every_other_browser(browser, ann, new_browser):
    elsewhere = new_browser()
    assert elsewhere.login("ann@example.com").status_code == 302
    wrong = browser.post("/settings/password", {"current": "guess", "new": "a new password"})
    assert wrong.status_code == 403
    assert "The current password is wrong." in wrong.text
    done = browser.post("/settings/password", {"current": PASSWORD, "new": "a new password"})
    assert done.status_code == 302
    assert browser.get("/").status_code == 200  # this browser stays in
    assert elsewhere.get("/").status_code == 302  # the other is out
    browser.post("/logout")
    assert browser.login("ann@example.com", "a new password").status_code == 302


def test_deleting_the_account_needs_its_email_typed(browser, ann, services):
    refused = browser.post("/settings/delete", {"confirm": "someone@else.com"})
    assert refused.status_code == 400
    assert services.store.get_user(ann) is not None
    done = browser.post("/settings/delete", {"confirm": "ann@example.com"})
    assert urlsplit(done.headers["Location"]).path == "/signup"
    assert services.store.get_user(ann) is None
    assert browser.get("/").status_code == 302
    assert browser.login("ann@example.com").status_code == 401
