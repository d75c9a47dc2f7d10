"""Mail through a real SMTP server, run by the test (``smtp_server``, aiosmtpd)."""

from __future__ import annotations

import smtplib
from email import message_from_bytes

import pytest

from kv_core.mail.smtp import SmtpNotifier


def test_a_message_reaches_the_server(smtp_server):
    inbox, port = smtp_server
    SmtpNotifier(f"smtp://127.0.0.1:{port}", "KV <kv@example.com>").send(
        "ann@example.com", "Reset your password", "Open the link: ü"
    )
    [(sender, recipients, content)] = inbox.messages
    assert (sender, recipients) == ("kv@example.com", ["ann@example.com"])
    parsed = message_from_bytes(content)
    assert parsed["Subject"] == "Reset your password"
    assert parsed.get_payload(decode=True).decode().rstrip() == "Open the link: ü"


def test_it_logs_in_with_the_urls_credentials(smtp_server):
    inbox, port = smtp_server
    url = f"smtp://ann:s3cret@127.0.0.1:{port}"
    SmtpNotifier(url, "kv@example.com").send("b@x.io", "S", "B")
    SmtpNotifier(f"smtp://127.0.0.1:{port}", "kv@example.com").send("b@x.io", "S", "B")
    assert inbox.authenticated == [True, False]


def test_starttls_can_be_required(smtp_server):
    inbox, port = smtp_server
    notifier = SmtpNotifier(f"smtp://127.0.0.1:{port}?starttls=required", "kv@example.com")
    with pytest.raises(smtplib.SMTPNotSupportedError):
        notifier.send("b@x.io", "S", "B")
    assert inbox.messages == []


@pytest.mark.parametrize("url", ["http://mail.example", "smtp://", "mail.example:25"])
def test_a_url_that_is_not_smtp_is_refused(url):
    with pytest.raises(ValueError, match="KV_SMTP_URL"):
        SmtpNotifier(url, "kv@example.com")
