"""Telling account holders things by email: one small port, and the way a deployment
sends.

SES on AWS (:mod:`kv_core.mail.ses`), SMTP where ``KV_SMTP_URL`` is set
(:mod:`kv_core.mail.smtp`), and the log everywhere else.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Protocol

log = logging.getLogger("kv_core.notify")

DEFAULT_SENDER = "KV Storage <no-reply@localhost>"


class Notifier(Protocol):
    def send(self, to: str, subject: str, body: str) -> None: ...


@dataclass
class LogNotifier:
    """Writes each message to the log and keeps it, for local runs and tests."""

    sent: list[tuple[str, str, str]] = field(default_factory=list)

    def send(self, to: str, subject: str, body: str) -> None:
        self.sent.append((to, subject, body))
        log.info("email to %s: %s\n%s", to, subject, body)


def make_notifier(
    *, aws: bool, sender: str | None, smtp_url: str | None, region: str | None = None
) -> Notifier:
    """SES on AWS when a verified sender is configured, else SMTP when a server is,
    else the log."""
    if aws and sender:
        from kv_core.mail.ses import SesNotifier

        return SesNotifier(sender, region)
    if smtp_url:
        from kv_core.mail.smtp import SmtpNotifier

        return SmtpNotifier(smtp_url, sender or DEFAULT_SENDER)
    return LogNotifier()
