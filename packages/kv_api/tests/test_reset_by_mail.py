"""End to end: a forgotten password, reset through a link mailed by a real SMTP server,
on a real ``kv-storage serve``."""

from __future__ import annotations

import re
from email import message_from_bytes

import requests

from kv_api.testing import serving

LINK = re.compile(r"(http://127\.0\.0\.1:\d+)/dashboard/reset-password\?token=(\S+)")


def test_the_emailed_link_sets_a_new_password(tmp_path, smtp_server):
    inbox, port = smtp_server
    env = {"KV_SMTP_URL": f"smtp://127.0.0.1:{port}", "KV_ALERT_FROM": "kv@example.com"}
    with serving(tmp_path / "data", env=env, options=["--workers", "1"]) as base:
        account = {"email": "ann@example.com", "password": "old-password"}
        assert requests.post(f"{base}/v1/auth/signup", json=account, timeout=10).ok
        asked = requests.post(
            f"{base}/v1/auth/password-reset", json={"email": "ann@example.com"}, timeout=10
        )
        assert asked.status_code == 202
        [(sender, recipients, content)] = inbox.messages
        assert (sender, recipients) == ("kv@example.com", ["ann@example.com"])
        body = message_from_bytes(content).get_payload(decode=True).decode()
        found = LINK.search(body)
        assert found, body
        assert found.group(1) == base
        page = requests.get(found.group(0), timeout=10)
        assert page.status_code == 200
        assert "new password" in page.text.lower()
        done = requests.post(
            f"{base}/v1/auth/password-reset/confirm",
            json={"token": found.group(2), "password": "new-password"},
            timeout=10,
        )
        assert done.status_code == 204
        login = {"email": "ann@example.com", "password": "new-password"}
        assert requests.post(f"{base}/v1/auth/login", json=login, timeout=10).ok
