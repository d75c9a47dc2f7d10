"""What the tests of every package share: one fake AWS, and how the browser suites
start Chromium.

Tests that need AWS (DynamoDB, SES, SSM, S3, CloudFront) ask for ``fake_aws``: moto's
services in this process, reached with credentials that open no real account. moto
is imported only then, so suites that never touch AWS (the deployment's) run
without it.

Tests of mail ask for ``smtp_server``: a real SMTP server (aiosmtpd) on a loopback
port, whose inbox they read; it accepts the login ``ann`` / ``s3cret``.

The browser suites (``nox -s browser``) use pytest-playwright's ``browser`` fixture;
``browser_type_launch_args`` points it at Debian's Chromium, which Playwright cannot
download here, with the flags that keep it off the network.
"""

from __future__ import annotations

import socket
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]

FAKE_CREDENTIALS = {
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_SESSION_TOKEN": "testing",
    "AWS_DEFAULT_REGION": "us-east-1",
    "AWS_EC2_METADATA_DISABLED": "true",
}


@pytest.fixture
def fake_aws(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """moto's AWS for the length of the test."""
    from moto import mock_aws

    for name, value in FAKE_CREDENTIALS.items():
        monkeypatch.setenv(name, value)
    with mock_aws():
        yield


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args: dict[str, Any]) -> dict[str, Any]:
    """pytest-playwright's launch arguments, for Debian's Chromium."""
    if not CHROMIUM.exists():
        pytest.fail(f"{CHROMIUM} is missing: `nox -s browser` installs Debian's chromium")
    return {**browser_type_launch_args, "executable_path": str(CHROMIUM), "args": CHROMIUM_ARGS}


class Inbox:
    """What an SMTP server received: each message, and whether its session logged in."""

    def __init__(self) -> None:
        self.messages: list[tuple[str, list[str], bytes]] = []
        self.authenticated: list[bool] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.messages.append((envelope.mail_from, envelope.rcpt_tos, envelope.content))
        self.authenticated.append(bool(session.authenticated))
        return "250 OK"


def _accept_ann(server: Any, session: Any, envelope: Any, mechanism: str, auth: Any) -> Any:
    from aiosmtpd.smtp import AuthResult, LoginPassword

    return AuthResult(success=isinstance(auth, LoginPassword) and auth.password == b"s3cret")


@pytest.fixture
def smtp_server() -> Iterator[tuple[Inbox, int]]:
    """A real SMTP server on loopback for the test: its inbox and its port."""
    from aiosmtpd.controller import Controller

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = int(sock.getsockname()[1])
    inbox = Inbox()
    controller = Controller(
        inbox, hostname="127.0.0.1", port=port, authenticator=_accept_ann, auth_require_tls=False
    )
    controller.start()
    try:
        yield inbox, port
    finally:
        controller.stop()
