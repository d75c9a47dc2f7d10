"""The counters' reconciliation as a job: ``kv-storage admin recount``, the scheduled
function, and ``serve``'s background pass, on a store whose counters drifted."""

from __future__ import annotations

import fcntl
import os
import sqlite3
import time
from types import SimpleNamespace

import pytest
import requests

from kv_api import lambda_handlers
from kv_api.cli import main
from kv_api.reconcile import LAST_RUN_FILE, BackgroundPass
from kv_api.testing import serving
from kv_core.engines.dynamodb import DynamoStore
from kv_core.engines.sqlite import SqliteStore
from kv_core.model import Namespace, User
from kv_core.settings import Settings
from kv_core.store import PutItem

NOW = "2026-11-25T10:00:00.000Z"


def seed(store) -> None:
    """Ann with namespace ``app`` holding one item of 10 bytes."""
    store.create_user(User("u1", "ann@example.com", "h", "free", NOW, NOW))
    store.create_namespace(Namespace("n1", "u1", "app", NOW))
    store.put_item(PutItem("u1", "n1", "key", "value", 10, "e1", NOW))


def drift_sqlite(path) -> None:
    """Counters moved behind the engine's back, as only an outside change can."""
    with sqlite3.connect(path) as db:
        db.execute("UPDATE namespaces SET item_count = 3, size_bytes = 99 WHERE id = 'n1'")
        db.execute("UPDATE users SET storage_bytes = 99 WHERE id = 'u1'")
    db.close()


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
    drift_sqlite(data / "kv.sqlite3")
    return data


def test_admin_recount_corrects_one_account(sqlite_data, capsys):
    assert main(["admin", "recount", "Ann@Example.com", "--data", str(sqlite_data)]) == 0
    out = capsys.readouterr().out
    assert "corrected ann@example.com/app: 1 items, 10 bytes (the counters said 3 items" in out
    assert "1 namespaces recounted, 1 corrected, 0 busy" in out
    store = SqliteStore(sqlite_data / "kv.sqlite3")
    assert counters(store) == (1, 10, 10)
    store.close()
    assert main(["admin", "recount", "--all", "--data", str(sqlite_data)]) == 0
    assert "1 namespaces recounted, 0 corrected" in capsys.readouterr().out


@pytest.mark.parametrize(
    ("argv", "says"),
    [(["nobody@example.com"], "no account"), (["not-an-email"], "not a valid email")],
)
def test_admin_recount_refuses_an_unknown_account(sqlite_data, capsys, argv, says):
    assert main(["admin", "recount", *argv, "--data", str(sqlite_data)]) == 2
    assert says in capsys.readouterr().err


def test_admin_recount_needs_an_account_or_all(sqlite_data):
    with pytest.raises(SystemExit) as exited:
        main(["admin", "recount", "--data", str(sqlite_data)])
    assert exited.value.code == 2


@pytest.fixture
def dynamo_env(fake_aws, monkeypatch):
    store = DynamoStore("kv-reconcile-test", region="us-east-1")
    store.create_table()
    seed(store)
    store._move_counters("u1", "n1", items=-1, size=-10, storage_limit=None)  # a lost count
    for name, value in {
        "KV_STORE": "dynamodb",
        "KV_TABLE": "kv-reconcile-test",
        "AWS_REGION": "us-east-1",
        "KV_JWT_SECRET": "x" * 40,
        "KV_RECONCILE_SETTLE_SECONDS": "0",
    }.items():
        monkeypatch.setenv(name, value)
    return store


def test_admin_recount_on_dynamodb(dynamo_env, tmp_path, capsys):
    assert main(["admin", "recount", "--all", "--data", str(tmp_path)]) == 0
    assert "1 corrected" in capsys.readouterr().out
    assert counters(dynamo_env) == (1, 10, 10)


def test_the_scheduled_function_reconciles(dynamo_env, monkeypatch):
    monkeypatch.setattr(lambda_handlers, "load_secrets", lambda: None)
    context = SimpleNamespace(get_remaining_time_in_millis=lambda: 300_000)
    done = lambda_handlers.reconcile_counters({}, context)
    assert done == {"namespaces": 1, "corrected": 1, "busy": 0, "skipped": 0}
    assert counters(dynamo_env) == (1, 10, 10)


def test_one_background_pass_per_interval_on_the_machine(sqlite_data):
    settings = Settings(data_dir=sqlite_data, reconcile_interval_seconds=60)
    store = SqliteStore(sqlite_data / "kv.sqlite3")
    try:
        first, second = BackgroundPass(store, settings), BackgroundPass(store, settings)
        with open(sqlite_data / LAST_RUN_FILE, "a+") as held:
            fcntl.flock(held, fcntl.LOCK_EX)  # another worker's pass under way
            assert first.run_once() is None
        assert len(first.run_once(now=1000.0).corrected) == 1
        assert second.run_once(now=1030.0) is None  # the other worker's turn came too soon
        assert second.run_once(now=1060.0).corrected == []
        assert counters(store) == (1, 10, 10)
    finally:
        store.close()


def test_serve_reconciles_in_the_background(sqlite_data):
    env = {"KV_RECONCILE_INTERVAL_SECONDS": "0.5", "KV_JWT_SECRET": "x" * 40}
    with serving(sqlite_data, options=["--workers", "2"], env=env) as base:
        assert requests.get(f"{base}/v1/health", timeout=5).status_code == 200
        store = SqliteStore(sqlite_data / "kv.sqlite3")
        try:
            deadline = time.monotonic() + 20
            while counters(store) != (1, 10, 10) and time.monotonic() < deadline:
                time.sleep(0.2)
            assert counters(store) == (1, 10, 10)
        finally:
            store.close()
