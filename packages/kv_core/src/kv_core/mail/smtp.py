"""Mail through any SMTP server, for a self-hosted server (``KV_SMTP_URL``).

``smtp://user:password@host:587`` speaks STARTTLS when the server offers it (and
``?starttls=required`` insists on it); ``smtps://host:465`` is TLS from the start;
user and password are optional and URL-quoted.
"""

from __future__ import annotations

import smtplib
import ssl
from dataclasses import dataclass
from email.message import EmailMessage
from urllib.parse import parse_qs, unquote, urlsplit

DEFAULT_TIMEOUT_SECONDS = 10.0


@dataclass(frozen=True)
class SmtpNotifier:
    """Sends plain-text email from ``sender`` through the server ``url`` names."""

    url: str
    sender: str
    timeout: float = DEFAULT_TIMEOUT_SECONDS

    def __post_init__(self) -> None:
        parts = urlsplit(self.url)
        if parts.scheme not in {"smtp", "smtps"} or not parts.hostname:
            raise ValueError("KV_SMTP_URL is smtp://[user:password@]host[:port] or smtps://...")

    def send(self, to: str, subject: str, body: str) -> None:
        message = EmailMessage()
        message["From"] = self.sender
        message["To"] = to
        message["Subject"] = subject
        message.set_content(body)
        parts = urlsplit(self.url)
        host = parts.hostname or ""
        context = ssl.create_default_context()
        if parts.scheme == "smtps":
            server: smtplib.SMTP = smtplib.SMTP_SSL(
                host, parts.port or 465, timeout=self.timeout, context=context
            )
        else:
            server = smtplib.SMTP(host, parts.port or 25, timeout=self.timeout)
        with server:
            if parts.scheme == "smtp":
                server.ehlo()
                required = parse_qs(parts.query).get("starttls") == ["required"]
                if server.has_extn("starttls"):
                    server.starttls(context=context)
                    server.ehlo()
                elif required:
                    raise smtplib.SMTPNotSupportedError("the server does not offer STARTTLS")
            if parts.username:
                server.login(unquote(parts.username), unquote(parts.password or ""))
            server.send_message(message)
