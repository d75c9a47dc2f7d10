"""Telling account holders things by email: a port, and the local engine that logs.

In AWS the API supplies an SES implementation; locally messages go to the log.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Protocol

log = logging.getLogger("kv_core.notify")


class Notifier(Protocol):
    def send(self, to: str, subject: str, body: str) -> None: ...


@dataclass
class LogNotifier:
    """Writes each message to the log and keeps it, for local runs and tests."""

    sent: list[tuple[str, str, str]] = field(default_factory=list)

    def send(self, to: str, subject: str, body: str) -> None:
        self.sent.append((to, subject, body))
        log.info("email to %s: %s\n%s", to, subject, body)
