"""A real ``kv-storage serve`` on loopback for the whole session, and fresh accounts,
namespaces and keys made through the SDK's own ``AccountClient``."""

from __future__ import annotations

import itertools
import json
import os
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from kv_api.testing import free_port, serving
from kv_sdk import AccountClient, KVClient

PASSWORD = "correct horse battery"
_serial = itertools.count()


@pytest.fixture(scope="session")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The base URL of a live server with its own data directory."""
    with serving(tmp_path_factory.mktemp("kv-data")) as base:
        yield base


def unique(prefix: str) -> str:
    return f"{prefix}-{os.getpid()}-{next(_serial)}"


def new_account(server: str) -> AccountClient:
    """A freshly signed-up account on the free plan."""
    account = AccountClient(server)
    account.signup(f"{unique('user')}@example.com", PASSWORD)
    return account


@pytest.fixture(scope="session")
def account(server: str) -> Iterator[AccountClient]:
    """One account for the session's namespaces."""
    with new_account(server) as client:
        yield client


@dataclass(frozen=True)
class Space:
    """A namespace of :func:`account` and a read-write key for it."""

    name: str
    secret: str
    key_id: str


def make_space(account: AccountClient) -> Space:
    name = unique("ns")
    account.create_namespace(name)
    created = account.create_api_key(name)
    return Space(name, created.secret, created.key.id)


@pytest.fixture
def space(account: AccountClient) -> Space:
    """A fresh, empty namespace for one test."""
    return make_space(account)


@pytest.fixture
def kv(server: str, space: Space) -> Iterator[KVClient]:
    """A client holding the key of :func:`space`."""
    with KVClient(space.secret, base_url=server) as client:
        yield client


@pytest.fixture(autouse=True)
def _no_kv_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    """The SDK's environment variables come only from the tests that set them."""
    monkeypatch.delenv("KV_API_KEY", raising=False)
    monkeypatch.delenv("KV_BASE_URL", raising=False)


@pytest.fixture
def new_space(account: AccountClient) -> Callable[[], Space]:
    """Make another namespace (with a read-write key) of the session's account."""
    return lambda: make_space(account)


@pytest.fixture
def fresh_account(server: str) -> Iterator[Callable[[], AccountClient]]:
    """Make accounts of their own (for quotas), closed when the test ends."""
    made: list[AccountClient] = []

    def make() -> AccountClient:
        made.append(new_account(server))
        return made[-1]

    yield make
    for client in made:
        client.close()


@pytest.fixture
def unused_port() -> int:
    """A loopback port nobody listens on."""
    return free_port()


@dataclass
class Reply:
    """One scripted answer of :class:`FlakyServer`; ``delay`` holds it back first, and
    status 0 drops the connection without an answer."""

    status: int
    body: object = None
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0


class FlakyServer:
    """A local HTTP server that answers from a script, failing on purpose, and counts
    the attempts it sees as ``(method, path, headers)``."""

    reply = staticmethod(Reply)

    def __init__(self) -> None:
        self.replies: dict[tuple[str, str], list[Reply]] = {}
        self.attempts: list[tuple[str, str, dict[str, str]]] = []
        flaky = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, format: str, *args: object) -> None:
                pass

            def answer(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                if length:
                    self.rfile.read(length)
                flaky.attempts.append((self.command, self.path, dict(self.headers)))
                script = flaky.replies.get((self.command, self.path)) or [Reply(599)]
                reply = script.pop(0) if len(script) > 1 else script[0]
                time.sleep(reply.delay)
                if reply.status == 0:
                    self.close_connection = True
                    return
                payload = b"" if reply.body is None else json.dumps(reply.body).encode()
                if isinstance(reply.body, str):
                    payload = reply.body.encode()
                self.send_response(reply.status)
                for name, value in reply.headers.items():
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

            do_GET = do_PUT = do_POST = do_PATCH = do_DELETE = answer

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    def script(self, method: str, path: str, *replies: Reply) -> None:
        """Answer ``method path`` with ``replies`` in turn, the last one from then on."""
        self.replies[(method, path)] = list(replies)

    def count(self, method: str, path: str) -> int:
        return sum(1 for m, p, _ in self.attempts if (m, p) == (method, path))


@pytest.fixture
def flaky() -> Iterator[FlakyServer]:
    """A :class:`FlakyServer` running for one test."""
    server = FlakyServer()
    server.thread.start()
    yield server
    server.httpd.shutdown()
    server.httpd.server_close()
