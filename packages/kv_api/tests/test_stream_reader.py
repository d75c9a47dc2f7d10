"""``serve``'s stream reader: on DynamoDB it logs what the table's stream holds, one
worker at a time; on SQLite it never runs (the write logs its own change)."""

from __future__ import annotations

import subprocess
import sys

from kv_api.stream_reader import BackgroundStreamReader
from kv_core.engines.dynamodb import DynamoStore
from kv_core.engines.sqlite import SqliteStore
from kv_core.model import Namespace, User
from kv_core.settings import Settings
from kv_core.store import PutItem, ReadChanges

NOW = "2026-11-25T10:00:00.000Z"


def test_on_dynamodb_each_run_logs_what_the_stream_holds(fake_aws, tmp_path):
    store = DynamoStore("kv-reader-test", region="us-east-1")
    store.create_table()
    store.create_user(User("u1", "ann@example.com", "h", "free", NOW, NOW))
    store.create_namespace(Namespace("n1", "u1", "app", NOW))
    store.put_item(PutItem("u1", "n1", "a", 1, 2, "e1", NOW))
    reader = BackgroundStreamReader(store, Settings(data_dir=tmp_path, store="dynamodb"))

    assert reader.interval == 1.0
    assert reader.run_once(now=1000.0) == 1
    assert reader.run_once(now=1000.5) is None  # within the interval: not its turn
    assert reader.run_once(now=1001.0) == 0
    assert [c.key for c in store.read_changes(ReadChanges("n1", 0, 10)).changes] == ["a"]


def test_on_sqlite_it_never_starts(tmp_path):
    store = SqliteStore(tmp_path / "kv.sqlite3")
    try:
        reader = BackgroundStreamReader(store, Settings(data_dir=tmp_path))
        reader.start()
        assert reader.interval == 0
        assert reader._thread is None
    finally:
        store.close()


def test_its_interval_is_a_setting():
    settings = Settings.from_env({"KV_STREAM_INTERVAL_SECONDS": "2.5"}, secret_required=False)
    assert settings.stream_interval_seconds == 2.5


def test_serve_on_sqlite_needs_no_dynamodb_library(tmp_path):
    """``kv-api`` without its ``dynamodb`` extra has no pynamodb: a worker's app, its
    stream reader among its jobs, still builds on the embedded store."""
    program = (
        "import sys; sys.modules['pynamodb'] = None\n"
        "from kv_api.cli import _web_app\n"
        "app = _web_app()\n"
        "app.close()\n"
        "print('built')\n"
    )
    env = {"KV_DATA_DIR": str(tmp_path), "PATH": "/usr/bin:/bin"}
    done = subprocess.run(
        [sys.executable, "-c", program], env=env, capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "built"
