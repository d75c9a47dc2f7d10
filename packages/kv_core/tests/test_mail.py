"""Mail through a real SMTP server, run by the test (aiosmtpd)."""

from __future__ import annotations

import smtplib
import socket
from collections.abc import Iterator
from email import message_from_bytes

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword

from kv_core.mail.smtp import SmtpNotifier


class Inbox:
    def __init__(self) -> None:
        self.messages: list[tuple[str, list[str], bytes]] = []
        self.authenticated: list[bool] = []

    async def handle_DATA(self, server, session, envelope):
        self.messages.append((envelope.mail_from, envelope.rcpt_tos, envelope.content))
        self.authenticated.append(bool(session.authenticated))
        return "250 OK"


def accept_ann(server, session, envelope, mechanism, auth_data):
    ok = isinstance(auth_data, LoginPassword) and auth_data.password == b"s3cret"
    return AuthResult(success=ok)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture
def smtp() -> Iterator[tuple[Inbox, int]]:
    inbox = Inbox()
    port = free_port()
    controller = Controller(
        inbox,
        hostname="127.0.0.1",
        port=port,
        authenticator=accept_ann,
        auth_require_tls=False,
    )
    controller.start()
    try:
        yield inbox, port
    finally:
        controller.stop()


def test_a_message_reaches_the_server(smtp):
    inbox, port = smtp
    SmtpNotifier(f"smtp://127.0.0.1:{port}", "KV <kv@example.com>").send(
        "ann@example.com", "Reset your password", "Open the link: ü"
    )
    [(sender, recipients, content)] = inbox.messages
    assert (sender, recipients) == ("kv@example.com", ["ann@example.com"])
    parsed = message_from_bytes(content)
    assert parsed["Subject"] == "Reset your password"
    assert parsed.get_payload(decode=True).decode().rstrip() == "Open the link: ü"


def test_it_logs_in_with_the_urls_credentials(smtp):
    inbox, port = smtp
    url = f"smtp://ann:s3cret@127.0.0.1:{port}"
    SmtpNotifier(url, "kv@example.com").send("b@x.io", "S", "B")
    SmtpNotifier(f"smtp://127.0.0.1:{port}", "kv@example.com").send("b@x.io", "S", "B")
    assert inbox.authenticated == [True, False]


def test_starttls_can_be_required(smtp):
    inbox, port = smtp
    notifier = SmtpNotifier(f"smtp://127.0.0.1:{port}?starttls=required", "kv@example.com")
    with pytest.raises(smtplib.SMTPNotSupportedError):
        notifier.send("b@x.io", "S", "B")
    assert inbox.messages == []


@pytest.mark.parametrize("url", ["http://mail.example", "smtp://", "mail.example:25"])
def test_a_url_that_is_not_smtp_is_refused(url):
    with pytest.raises(ValueError, match="KV_SMTP_URL"):
        SmtpNotifier(url, "kv@example.com")
