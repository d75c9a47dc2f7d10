"""End to end: ``kv-storage serve`` as a real process over real HTTP on loopback."""

from __future__ import annotations

import os
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
    """The gunicorn workers of the server whose data directory is ``data``."""
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
