"""The change feed's iterators against a live server: what they report, the cursor they
keep, and resuming after a dropped connection and a server restart, with nothing lost
and nothing seen twice."""

from __future__ import annotations

import socket
import threading
from contextlib import suppress
from itertools import islice

import pytest

from kv_api.testing import serving
from kv_sdk import CursorExpired, InvalidRequest, KVClient, PermissionDenied, changes
from kv_sdk.aio import AsyncKVClient


@pytest.fixture(autouse=True)
def _short_backoff(monkeypatch):
    monkeypatch.setattr(changes, "BACKOFF_FACTOR", 0.05)


def test_puts_deletes_and_their_values_come_in_order(kv, space):
    kv.put(space.name, "a", {"n": 1})
    kv.put(space.name, "a", {"n": 2})
    kv.put(space.name, "big", "x" * 5000)
    kv.delete(space.name, "a")
    feed = kv.changes(space.name, wait=1)
    seen = list(islice(feed, 4))
    assert [(c.op, c.key, c.version) for c in seen] == [
        ("put", "a", 1),
        ("put", "a", 2),
        ("put", "big", 1),
        ("delete", "a", 2),
    ]
    assert (seen[1].value, seen[1].has_value) == ({"n": 2}, True)
    assert (seen[2].value, seen[2].has_value) == (None, False)  # over 4 KiB: fetch it
    assert seen[0].updated_at
    assert feed.cursor == seen[-1].cursor


def test_a_prefix_keeps_only_its_keys(kv, space):
    kv.put(space.name, "user:1", 1)
    kv.put(space.name, "order:1", 1)
    kv.put(space.name, "user:2", 2)
    assert [c.key for c in islice(kv.changes(space.name, prefix="user:", wait=1), 2)] == [
        "user:1",
        "user:2",
    ]


def test_a_saved_cursor_resumes_with_nothing_lost_or_repeated(kv, space):
    kv.put(space.name, "k1", 1)
    feed = kv.changes(space.name, wait=1)
    assert next(feed).key == "k1"
    saved = feed.cursor
    kv.put(space.name, "k2", 2)
    kv.put(space.name, "k3", 3)
    resumed = kv.changes(space.name, since=saved, wait=1)
    assert [c.key for c in islice(resumed, 2)] == ["k2", "k3"]


def test_since_now_sees_only_what_comes_after(server, kv, space):
    kv.put(space.name, "before", 1)
    feed = kv.changes(space.name, since="now", wait=5)
    writer = threading.Timer(0.3, lambda: kv.put(space.name, "after", 2))
    writer.start()
    try:
        assert next(feed).key == "after"
    finally:
        writer.join()


def test_a_bad_cursor_is_refused(kv, space):
    with pytest.raises(InvalidRequest) as caught:
        next(kv.changes(space.name, since="not-a-cursor", wait=1))
    assert caught.value.status == 400


def test_a_prefix_scoped_key_cannot_follow_outside_it(server, account, space):
    scoped = account.create_api_key(space.name, key_prefix="user:")
    with KVClient(scoped.secret, base_url=server) as kv, pytest.raises(PermissionDenied) as caught:
        next(kv.changes(space.name, prefix="order:", wait=1))
    assert caught.value.code == "outside_key_prefix"


def test_an_expired_cursor_raises_cursor_expired(tmp_path, monkeypatch):
    from kv_sdk import AccountClient

    env = {"KV_CHANGES_RETENTION_SECONDS": "1"}
    with serving(tmp_path / "data", env=env) as base, AccountClient(base) as account:
        account.signup("expiry@example.com", "correct horse battery")
        account.create_namespace("app")
        secret = account.create_api_key("app").secret
        with KVClient(secret, base_url=base) as kv:
            kv.put("app", "k", 1)
            feed = kv.changes("app", wait=1)
            next(feed)
            saved = feed.cursor
            stale = threading.Event()
            stale.wait(2.5)  # past the one-second retention
            with pytest.raises(CursorExpired) as caught:
                next(kv.changes("app", since=saved, wait=1))
    assert (caught.value.status, caught.value.code) == (410, "cursor_expired")


class Proxy:
    """A TCP proxy on loopback to a backend it can be switched to, that can cut every
    connection it carries (a dropped network, a restarted server)."""

    def __init__(self, backend: str) -> None:
        self.backend = backend
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.url = f"http://127.0.0.1:{self.listener.getsockname()[1]}"
        self.sockets: list[socket.socket] = []
        self.lock = threading.Lock()
        threading.Thread(target=self.accept, daemon=True).start()

    def accept(self) -> None:
        while True:
            try:
                client, _ = self.listener.accept()
            except OSError:
                return
            host, port = self.backend.removeprefix("http://").split(":")
            try:
                upstream = socket.create_connection((host, int(port)))
            except OSError:
                client.close()
                continue
            with self.lock:
                self.sockets += [client, upstream]
            for source, target in ((client, upstream), (upstream, client)):
                threading.Thread(target=self.pipe, args=(source, target), daemon=True).start()

    @staticmethod
    def pipe(source: socket.socket, target: socket.socket) -> None:
        with suppress(OSError):
            while data := source.recv(65536):
                target.sendall(data)
        with suppress(OSError):
            target.shutdown(socket.SHUT_WR)

    def cut(self) -> None:
        with self.lock:
            for sock in self.sockets:
                with suppress(OSError):
                    sock.shutdown(socket.SHUT_RDWR)
                sock.close()
            self.sockets.clear()

    def close(self) -> None:
        self.cut()
        self.listener.close()


def test_a_dropped_connection_and_a_server_restart_lose_and_repeat_nothing(tmp_path):
    from kv_sdk import AccountClient

    data = tmp_path / "data"
    with serving(data) as first, AccountClient(first) as account:
        account.signup("restart@example.com", "correct horse battery")
        account.create_namespace("app")
        secret = account.create_api_key("app").secret
        proxy = Proxy(first)
        writer = KVClient(secret, base_url=first)
        follower = KVClient(secret, base_url=proxy.url, timeout=5, max_retries=1)
        feed = follower.changes("app", wait=3)
        writer.put("app", "k1", 1)
        assert next(feed).key == "k1"
        # A held poll, cut in the middle; the write lands while no connection is open.
        cutter = threading.Timer(0.5, lambda: (proxy.cut(), writer.put("app", "k2", 2)))
        cutter.start()
        assert next(feed).key == "k2"
        cutter.join()
        writer.close()
    # The server is gone: the feed waits it out, and follows the same data once it is back.
    with serving(data) as second:
        proxy.backend = second
        proxy.cut()
        with KVClient(secret, base_url=second) as writer:
            writer.put("app", "k3", 3)
        assert next(feed).key == "k3"
        assert feed.failures == 0
        follower.close()
        proxy.close()


@pytest.mark.anyio
async def test_the_async_feed_follows_and_resumes(server, space, kv):
    kv.put(space.name, "a", 1)
    kv.put(space.name, "b", 2)
    async with AsyncKVClient(space.secret, base_url=server) as akv:
        feed = akv.changes(space.name, wait=1)
        first = await anext(feed)
        assert (first.key, first.op, first.value) == ("a", "put", 1)
        saved = feed.cursor
        resumed = akv.changes(space.name, since=saved, wait=1)
        second = await anext(resumed)
        assert second.key == "b" or (second.key == "a" and (await anext(resumed)).key == "b")
