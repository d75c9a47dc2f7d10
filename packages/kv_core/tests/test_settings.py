"""The settings: the engines' retries and timeouts, read from the environment and given
to the engines with defaults that answer within API Gateway's 30 s (Lambda's 29); and
what they make on disk, a secret that only its owner can read."""

from __future__ import annotations

import os
import stat
import threading
from pathlib import Path

import pytest

from kv_core.engines.dynamodb.table import Calls
from kv_core.settings import GENERATED_KEY_FILE, Settings, load_or_create_secret, open_store

LAMBDA_TIMEOUT = 29  # serverless.yml's provider timeout, under API Gateway's 30 s


def test_the_defaults_answer_within_the_lambda_timeout():
    settings = Settings()
    calls = Calls(
        max_attempts=settings.dynamodb_max_attempts,
        connect_timeout=settings.dynamodb_connect_timeout,
        read_timeout=settings.dynamodb_read_timeout,
        undo_seconds=settings.dynamodb_undo_seconds,
    )
    assert calls == Calls()
    assert calls.worst_write_seconds < LAMBDA_TIMEOUT
    assert settings.sqlite_busy_timeout_ms / 1000 < LAMBDA_TIMEOUT
    # A recount waits longer than a live write can take between its two calls.
    assert settings.reconcile_settle_seconds > LAMBDA_TIMEOUT


def test_the_variables_reach_the_engines(tmp_path, fake_aws):
    env = {
        "KV_DATA_DIR": str(tmp_path),
        "KV_JWT_SECRET": "s" * 40,
        "KV_SQLITE_BUSY_TIMEOUT_MS": "1234",
        "KV_DYNAMODB_MAX_ATTEMPTS": "5",
        "KV_DYNAMODB_CONNECT_TIMEOUT": "0.25",
        "KV_DYNAMODB_READ_TIMEOUT": "2",
        "KV_DYNAMODB_UNDO_SECONDS": "1.5",
        "KV_RECONCILE_INTERVAL_SECONDS": "60",
        "KV_RECONCILE_SETTLE_SECONDS": "40",
        "KV_SWEEP_INTERVAL_SECONDS": "2.5",
    }
    sqlite = open_store(Settings.from_env(env))
    try:
        assert sqlite._connection().execute("PRAGMA busy_timeout").fetchone()[0] == 1234
    finally:
        sqlite.close()
    settings = Settings.from_env({**env, "KV_STORE": "dynamodb"})
    assert (settings.reconcile_interval_seconds, settings.reconcile_settle_seconds) == (60, 40)
    assert settings.sweep_interval_seconds == 2.5
    dynamo = open_store(settings)
    assert dynamo.calls == Calls(
        max_attempts=5, connect_timeout=0.25, read_timeout=2, undo_seconds=1.5
    )
    meta = dynamo.Entry.Meta
    assert (meta.max_retry_attempts, meta.connect_timeout_seconds, meta.read_timeout_seconds) == (
        4,
        0.25,
        2,
    )


def test_a_number_that_is_not_one_is_refused(tmp_path):
    with pytest.raises(ValueError, match="invalid literal"):
        Settings.from_env({"KV_DATA_DIR": str(tmp_path), "KV_DYNAMODB_MAX_ATTEMPTS": "many"})


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.fixture
def permissive_umask():
    """Nothing masked off: whatever a file is created with, it keeps."""
    old = os.umask(0)
    yield
    os.umask(old)


def test_the_secret_and_its_directory_are_private_from_the_start(
    tmp_path, monkeypatch, permissive_umask
):
    seen: list[int] = []
    link = os.link

    def linking(source, target):
        seen.append(mode(Path(source)))  # what the file is while it is written
        link(source, target)

    monkeypatch.setattr(os, "link", linking)
    data = tmp_path / "data"
    secret = load_or_create_secret(data)
    assert seen == [0o600]
    assert len(secret) >= 48
    assert mode(data) == 0o700
    assert mode(data / GENERATED_KEY_FILE) == 0o600
    assert load_or_create_secret(data) == secret
    assert [p.name for p in data.iterdir()] == [GENERATED_KEY_FILE]


def test_racing_processes_agree_on_one_whole_secret(tmp_path):
    data = tmp_path / "data"
    found: list[str] = []
    threads = [
        threading.Thread(target=lambda: found.append(load_or_create_secret(data))) for _ in range(8)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(set(found)) == 1
    assert len(found[0]) >= 48


def test_the_sweep_runs_every_minute_unless_told_otherwise():
    """Expired items stop counting within the 10 minutes the design promises."""
    assert Settings().sweep_interval_seconds == 60
    assert Settings.from_env({"KV_JWT_SECRET": "s" * 40}).sweep_interval_seconds == 60
    assert (
        Settings.from_env(
            {"KV_JWT_SECRET": "s" * 40, "KV_SWEEP_INTERVAL_SECONDS": "0"}
        ).sweep_interval_seconds
        == 0
    )
