"""The expiry sweep as a job: ``serve``'s background sweep releases an expired item's
bytes, one worker at a time, and a scheduled function can run it once."""

from __future__ import annotations

import fcntl
import os
import time

import pytest
import requests

from kv_api.sweep import LAST_SWEEP_FILE, BackgroundSweep, sweep
from kv_api.testing import serving
from kv_core.engines.sqlite import SqliteStore
from kv_core.model import Namespace, User
from kv_core.services import CoreConfig, Sweeper
from kv_core.settings import Settings
from kv_core.store import PutItem

NOW = "2026-11-25T10:00:00.000Z"
PAST = 1_700_000_000  # a second long gone


def seed(store) -> None:
    """Ann's namespace ``app``: an item of 10 bytes that expired long ago, and one of 7
    that never expires."""
    store.create_user(User("u1", "ann@example.com", "h", "free", NOW, NOW))
    store.create_namespace(Namespace("n1", "u1", "app", NOW))
    store.put_item(PutItem("u1", "n1", "gone", "value", 10, "e1", NOW, expires_at=PAST))
    store.put_item(PutItem("u1", "n1", "kept", "v", 7, "e2", NOW))


def counters(store) -> tuple[int, int, int]:
    ns = store.get_namespace("u1", "app")
    return ns.item_count, ns.size_bytes, store.get_usage("u1", "2026-11").storage_bytes


@pytest.fixture
def sqlite_data(tmp_path, monkeypatch):
    for name in [n for n in os.environ if n.startswith("KV_")]:
        monkeypatch.delenv(name)
    data = tmp_path / "data"
    store = SqliteStore(data / "kv.sqlite3")
    seed(store)
    store.close()
    return data


def test_one_sweep_per_interval_on_the_machine(sqlite_data):
    settings = Settings(data_dir=sqlite_data, sweep_interval_seconds=60)
    store = SqliteStore(sqlite_data / "kv.sqlite3")
    try:
        sweeper = Sweeper(store, CoreConfig(secret=b"s" * 32))
        first, second = BackgroundSweep(sweeper, settings), BackgroundSweep(sweeper, settings)
        with open(sqlite_data / LAST_SWEEP_FILE, "a+") as held:
            fcntl.flock(held, fcntl.LOCK_EX)  # another worker's sweep under way
            assert first.run_once() is None
        assert counters(store) == (2, 17, 17)
        assert first.run_once(now=1000.0) == 1
        assert second.run_once(now=1030.0) is None  # the other worker's turn came too soon
        assert second.run_once(now=1060.0) == 0
        assert counters(store) == (1, 7, 7)
    finally:
        store.close()


def test_the_background_sweep_releases_expired_bytes(sqlite_data):
    settings = Settings(data_dir=sqlite_data, sweep_interval_seconds=0.05)
    store = SqliteStore(sqlite_data / "kv.sqlite3")
    background = BackgroundSweep(Sweeper(store, CoreConfig(secret=b"s" * 32)), settings)
    try:
        background.start()
        deadline = time.monotonic() + 10
        while counters(store) != (1, 7, 7) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert counters(store) == (1, 7, 7)
    finally:
        background.stop()
        store.close()


def test_a_zero_interval_never_sweeps(sqlite_data):
    settings = Settings(data_dir=sqlite_data, sweep_interval_seconds=0)
    background = BackgroundSweep(Sweeper(None, CoreConfig(secret=b"s")), settings)  # type: ignore[arg-type]
    background.start()
    assert background._thread is None


def test_a_sweep_run_once(sqlite_data):
    assert sweep(Settings(data_dir=sqlite_data)) == 1
    assert sweep(Settings(data_dir=sqlite_data)) == 0


@pytest.mark.slow
def test_serve_sweeps_in_the_background(sqlite_data):
    env = {"KV_SWEEP_INTERVAL_SECONDS": "0.5", "KV_JWT_SECRET": "x" * 40}
    with serving(sqlite_data, options=["--workers", "2"], env=env) as base:
        assert requests.get(f"{base}/v1/health", timeout=5).status_code == 200
        store = SqliteStore(sqlite_data / "kv.sqlite3")
        try:
            deadline = time.monotonic() + 20
            while counters(store) != (1, 7, 7) and time.monotonic() < deadline:
                time.sleep(0.2)
            assert counters(store) == (1, 7, 7)
        finally:
            store.close()
