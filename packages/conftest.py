"""What the tests of every package share: one fake AWS, and how the browser suites
start Chromium.

Tests that need AWS (DynamoDB, SES, SSM, S3, CloudFront) ask for ``fake_aws``: moto's
services in this process, reached with credentials that open no real account. moto
is imported only then, so suites that never touch AWS (the deployment's) run
without it. ``dynamo_faults`` and ``sqlite_faults`` inject the stores' real faults
(throttling, outages, a full disk, I/O errors) for the tests of what a failing store
answers.

Tests of mail ask for ``smtp_server``: a real SMTP server (aiosmtpd) on a loopback
port, whose inbox they read; it accepts the login ``ann`` / ``s3cret``.

The browser suites (``nox -s browser``) use pytest-playwright's ``browser`` fixture;
``browser_type_launch_args`` points it at Debian's Chromium, which Playwright cannot
download here, with the flags that keep it off the network.
"""

from __future__ import annotations

import socket
from collections.abc import Iterator
from contextlib import contextmanager
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


@pytest.fixture
def atomic_moto() -> Iterator[None]:
    """Each DynamoDB call atomic, as on AWS (moto 5's is not thread-safe), for tests of
    concurrent requests: a count lost then is ours, not moto's."""
    from kv_core.engines.dynamodb.testing import atomic_calls

    with atomic_calls():
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


class DynamoFaults:
    """Faults injected into moto's DynamoDB where botocore sends each attempt, so that
    botocore's retries, pynamodb's wrapping and the engine's handling all run as they
    would against AWS.

    ``when(operation, body)`` picks a fault for an attempt (``None``: none): ``"throttle"``
    (a 400 ``ThrottlingException``, not applied), ``"error"`` (a 500
    ``InternalServerError``, not applied), ``"cancelled"`` (a transaction cancelled
    because one of its items was throttled), ``"lost"`` (the connection closes before
    an answer, not applied) or ``"answer lost"`` (applied, then the connection closes
    before its answer arrives). ``injected`` counts what was injected.
    """

    ANSWERS = {
        "throttle": (
            400,
            "ThrottlingException",
            "Rate of requests exceeds the allowed throughput.",
        ),
        "error": (500, "InternalServerError", "Internal server error"),
        "cancelled": (400, "TransactionCanceledException", "Transaction cancelled"),
    }

    def __init__(self) -> None:
        from collections import Counter

        self.when: Any = lambda operation, body: None
        self.injected: Counter[str] = Counter()

    def clear(self) -> None:
        self.when = lambda operation, body: None

    @staticmethod
    def counters_call(operation: str, body: dict[str, Any]) -> bool:
        """Whether an attempt updates a user's profile, where the counters are."""
        return operation == "UpdateItem" and body.get("Key", {}).get("SK", {}).get("S") == "PROFILE"

    def answer(self, operation: str, request: Any) -> Any:
        """The injected answer to one attempt, or ``None`` to let moto answer."""
        import json

        from botocore.awsrequest import AWSResponse
        from botocore.exceptions import ConnectionClosedError
        from moto.core.botocore_stubber import MockRawResponse

        kind = self.when(operation, json.loads(request.body or b"{}"))
        if kind is None:
            return None
        self.injected[kind] += 1
        if kind == "answer lost":
            return kind
        if kind == "lost":
            raise ConnectionClosedError(endpoint_url=request.url)
        status, code, message = self.ANSWERS[kind]
        error: dict[str, Any] = {
            "__type": f"com.amazonaws.dynamodb.v20120810#{code}",
            "message": message,
        }
        if kind == "cancelled":
            error["CancellationReasons"] = [
                {"Code": "ThrottlingError", "Message": "Throughput exceeds the capacity."},
                {"Code": "None"},
            ]
        body = json.dumps(error)
        headers = {"Content-Type": "application/x-amz-json-1.0", "x-amzn-RequestId": "fault"}
        return AWSResponse(request.url, status, headers, MockRawResponse(body))


@pytest.fixture
def dynamo_faults(fake_aws: None) -> Iterator[DynamoFaults]:
    """Faults for every DynamoDB call made in moto during the test (see DynamoFaults)."""
    from unittest import mock

    from moto.core.botocore_stubber import BotocoreStubber

    faults = DynamoFaults()
    original = BotocoreStubber.__call__

    def faulty(stubber: Any, event_name: str, request: Any, **kwargs: Any) -> Any:
        if stubber.enabled and event_name.startswith("before-send.dynamodb."):
            from botocore.exceptions import ConnectionClosedError

            injected = faults.answer(event_name.rsplit(".", 1)[-1], request)
            if injected == "answer lost":
                original(stubber, event_name, request, **kwargs)  # applied...
                raise ConnectionClosedError(endpoint_url=request.url)  # ...but unheard
            if injected is not None:
                return injected
        return original(stubber, event_name, request, **kwargs)

    with mock.patch.object(BotocoreStubber, "__call__", faulty):
        yield faults


class SqliteFaults:
    """Real faults of a SQLite store, injected into this thread's connection or into
    the process's file descriptors, and taken away again."""

    def __init__(self, store: Any) -> None:
        self.store = store

    @contextmanager
    def disk_full(self) -> Iterator[None]:
        """No page can be added to the file (``PRAGMA max_page_count``): SQLITE_FULL,
        for this thread's connection and the one group commits use."""
        connections = (self.store._connection(), self.store._group_connection())
        limit = connections[0].execute("PRAGMA max_page_count").fetchone()[0]
        pages = connections[0].execute("PRAGMA page_count").fetchone()[0]
        for db in connections:
            db.execute(f"PRAGMA max_page_count = {pages}")
        try:
            yield
        finally:
            for db in connections:
                db.execute(f"PRAGMA max_page_count = {limit}")

    @contextmanager
    def io_errors(self) -> Iterator[None]:
        """Every write to the log fails (its descriptors swapped for read-only ones):
        SQLITE_IOERR on every write, while reads still work."""
        import os

        log = str(self.store.path) + "-wal"
        descriptors = []
        for name in os.listdir("/proc/self/fd"):
            try:
                if os.readlink(f"/proc/self/fd/{name}") == log:
                    descriptors.append(int(name))
            except OSError:
                continue
        assert descriptors, "the log is not open in this process"
        saved = {fd: os.dup(fd) for fd in descriptors}
        read_only = os.open(log, os.O_RDONLY)
        try:
            for fd in descriptors:
                os.dup2(read_only, fd)
            yield
        finally:
            for fd, original in saved.items():
                os.dup2(original, fd)
                os.close(original)
            os.close(read_only)


@pytest.fixture
def sqlite_faults() -> Any:
    """``sqlite_faults(store)``: the faults of one SQLite store (see SqliteFaults)."""
    return SqliteFaults
