"""End to end: ``kv-storage serve`` as a real process over real HTTP on loopback."""

from __future__ import annotations

import json
import os
import socket
import sqlite3
import time
from collections.abc import Iterator
from contextlib import closing, contextmanager
from pathlib import Path

import pytest
import requests

from kv_api.testing import serving as live_server


@contextmanager
def serving(data: Path) -> Iterator[str]:
    """Run the server until the block ends; it must then stop cleanly on SIGTERM, having
    said where it listened."""
    output: list[str] = []
    with live_server(data, output=output) as base:
        yield base
    assert f"listening on {base}/" in output[0]


@pytest.mark.slow
def test_the_journey_survives_a_restart(tmp_path):
    data = tmp_path / "data"
    with serving(data) as base:
        http = requests.Session()
        token = http.post(
            f"{base}/v1/auth/signup", json={"email": "ann@example.com", "password": "s3cret-pass"}
        ).json()["token"]
        auth = {"Authorization": f"Bearer {token}"}
        assert (
            http.post(f"{base}/v1/namespaces", json={"name": "app"}, headers=auth).status_code
            == 201
        )
        raw = http.post(f"{base}/v1/api-keys", json={"namespace": "app"}, headers=auth).json()[
            "apiKey"
        ]
        key = {"x-api-key": raw}
        for i in range(12):
            response = http.put(f"{base}/v1/app/user/{i:02d}", json={"i": i}, headers=key)
            assert response.status_code == 201
        assert http.put(f"{base}/v1/app/a%2Fb", json="slash", headers=key).status_code == 201
        assert http.get(f"{base}/v1/app/a/b", headers=key).json()["value"] == "slash"
        pages, cursor = [], None
        while True:
            params = {"prefix": "user/", "limit": "5", **({"cursor": cursor} if cursor else {})}
            page = http.get(f"{base}/v1/app", params=params, headers=key).json()
            pages.append(page["keys"])
            cursor = page["cursor"]
            if cursor is None:
                break
        assert [len(p) for p in pages] == [5, 5, 2]
        assert http.delete(f"{base}/v1/app/user/00", headers=key).status_code == 204
        usage = http.get(f"{base}/v1/usage", headers=auth).json()
        assert usage["requests"]["used"] == 12 + 2 + 3 + 1
        stored = usage["storage"]["usedBytes"]
        assert stored > 0
        response = http.get(f"{base}/v1/app/user/01", headers=key)
        assert response.headers["X-Request-Id"]
        assert response.headers["X-RateLimit-Remaining"] == str(10_000 - 19)

    # The workers wrote their request counts into SQLite as they stopped.
    with closing(sqlite3.connect(data / "kv.sqlite3")) as db:
        assert db.execute("SELECT SUM(requests) FROM usage").fetchone() == (19,)

    with serving(data) as base:
        http = requests.Session()
        # The same token still works: the secret was kept in the data directory.
        usage = http.get(f"{base}/v1/usage", headers=auth).json()
        assert usage["requests"]["used"] == 19
        assert usage["storage"]["usedBytes"] == stored
        assert http.get(f"{base}/v1/app/user/05", headers=key).json()["value"] == {"i": 5}
        assert http.get(f"{base}/v1/app/user/00", headers=key).status_code == 404
        assert http.get(f"{base}/v1/app", headers=key).json()["keys"][0] == "a/b"
        assert http.get(f"{base}/nowhere").status_code == 404
    assert (data / "kv.sqlite3").exists()


def _workers_of(data: Path) -> list[int]:
    """The worker processes of the server whose data directory is ``data``."""
    ours = {}
    for entry in Path("/proc").iterdir():
        try:
            command = (entry / "cmdline").read_bytes().split(b"\0")
            parent = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
        except (OSError, ValueError):
            continue
        if str(data).encode() in command:
            ours[int(entry.name)] = parent
    return [pid for pid, parent in ours.items() if parent in ours]


needs_two_cores = pytest.mark.skipif(
    not hasattr(os, "sched_getaffinity") or len(os.sched_getaffinity(0)) < 2,
    reason="pinning needs Linux and two cores",
)


@needs_two_cores
@pytest.mark.slow
def test_each_worker_runs_on_a_core_of_its_own(tmp_path):
    cores = sorted(os.sched_getaffinity(0))
    data = tmp_path / "data"
    with live_server(data, options=["--workers", str(len(cores))]):
        deadline = time.monotonic() + 10  # a worker pins itself just after its fork
        while True:
            workers = _workers_of(data)
            pinned = sorted(cpu for pid in workers for cpu in os.sched_getaffinity(pid))
            if pinned == cores or time.monotonic() > deadline:
                break
            time.sleep(0.1)
    assert len(workers) == len(cores)
    assert pinned == cores


@needs_two_cores
@pytest.mark.slow
def test_no_pin_workers_leaves_the_scheduler_free(tmp_path):
    cores = os.sched_getaffinity(0)
    data = tmp_path / "data"
    with live_server(data, options=["--workers", str(len(cores)), "--no-pin-workers"]):
        looks = []
        for _ in range(10):  # over a second, so that a late pin would be seen
            looks.append([os.sched_getaffinity(pid) for pid in _workers_of(data)])
            time.sleep(0.1)
    assert looks == [[cores] * len(cores)] * 10


def _api_key(base: str, email: str) -> str:
    """Sign up, make the namespace ``app`` and a key for it; the raw key."""
    http = requests.Session()
    token = http.post(
        f"{base}/v1/auth/signup", json={"email": email, "password": "s3cret-pass"}
    ).json()["token"]
    auth = {"Authorization": f"Bearer {token}"}
    http.post(f"{base}/v1/namespaces", json={"name": "app"}, headers=auth).raise_for_status()
    return str(
        http.post(f"{base}/v1/api-keys", json={"namespace": "app"}, headers=auth).json()["apiKey"]
    )


def _send(base: str, request: bytes, *, then_close: bool = False) -> bytes:
    """``request`` as raw bytes on a fresh connection; what the server answers (empty
    when it answers nothing). With ``then_close`` the connection is shut for writing
    after the request, as a client that dies mid-body leaves it."""
    host, port = base.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port)), timeout=10) as conn:
        conn.sendall(request)
        if then_close:
            conn.shutdown(socket.SHUT_WR)
        answer = b""
        try:
            while chunk := conn.recv(65536):
                answer += chunk
                if b"\r\n\r\n" in answer and then_close is False:
                    head, _, body = answer.partition(b"\r\n\r\n")
                    length = [
                        int(line.split(b":")[1])
                        for line in head.split(b"\r\n")
                        if line.lower().startswith(b"content-length:")
                    ]
                    if length and len(body) >= length[0]:
                        break
        except (TimeoutError, ConnectionResetError):
            pass
    return answer


@pytest.mark.slow
def test_a_chunked_body_is_refused_with_411_and_nothing_is_stored(tmp_path):
    """serve's server cannot tell a chunked body cut short from a whole one, so it takes
    none: whole, cut short by a malformed chunk, or by a client gone before the end."""
    with serving(tmp_path / "data") as base:
        key = _api_key(base, "ann@example.com")
        head = (
            f"PUT /v1/app/{{name}} HTTP/1.1\r\nHost: x\r\nx-api-key: {key}\r\n"
            "Content-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n"
        )
        bodies = {
            "whole": b'7\r\n{"a":1}\r\n0\r\n\r\n',
            "malformed": b'7\r\n{"a":1}\r\nzz\r\n' + b" " * 100,
            "cut": b'7\r\n{"a":1}\r\n',
        }
        for name, body in bodies.items():
            answer = _send(base, head.format(name=name).encode() + body, then_close=name == "cut")
            status, _, rest = answer.partition(b"\r\n")
            assert status == b"HTTP/1.1 411 Length Required", name
            assert json.loads(rest.partition(b"\r\n\r\n")[2])["code"] == "length_required"
        listed = requests.get(f"{base}/v1/app", headers={"x-api-key": key}, timeout=10)
        assert listed.json()["keys"] == []


@pytest.mark.slow
def test_a_body_cut_short_of_its_length_is_refused_and_nothing_is_stored(tmp_path):
    with serving(tmp_path / "data") as base:
        key = _api_key(base, "ann@example.com")
        request = (
            f"PUT /v1/app/cut HTTP/1.1\r\nHost: x\r\nx-api-key: {key}\r\n"
            'Content-Type: application/json\r\nContent-Length: 100\r\n\r\n{"a":1}'
        ).encode()
        answer = _send(base, request, then_close=True)
        assert not answer.startswith(b"HTTP/1.1 2"), answer
        assert (
            requests.get(f"{base}/v1/app/cut", headers={"x-api-key": key}, timeout=10).status_code
            == 404
        )
        whole = requests.put(
            f"{base}/v1/app/whole", json={"a": 1}, headers={"x-api-key": key}, timeout=10
        )
        assert whole.status_code == 201
