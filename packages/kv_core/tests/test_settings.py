"""The settings: the engines' retries and timeouts, read from the environment and given
to the engines with defaults that answer within API Gateway's 30 s (Lambda's 29); and
what they make on disk, a secret that only its owner can read."""

from __future__ import annotations

import os
import re
import stat
import threading
from pathlib import Path

import pytest

from kv_core.engines.dynamodb.table import Calls
from kv_core.engines.sqlite import SqliteStore
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


def sqlite_settings(tmp_path, **env: str) -> Settings:
    return Settings.from_env({"KV_DATA_DIR": str(tmp_path), "KV_JWT_SECRET": "s" * 32, **env})


def test_writes_are_synced_to_disk_by_default(tmp_path):
    store = open_store(sqlite_settings(tmp_path))
    assert isinstance(store, SqliteStore)
    assert store._writer.sync is not None  # see engines/sqlite/test_store for what it syncs
    store.close()


def test_normal_sync_keeps_the_older_trade(tmp_path):
    store = open_store(sqlite_settings(tmp_path, KV_SQLITE_SYNC="normal"))
    assert isinstance(store, SqliteStore)
    assert store._writer.sync is None
    store.close()


@pytest.mark.parametrize("value", ["off", "extra", ""])
def test_an_unknown_sync_mode_is_refused(tmp_path, value):
    with pytest.raises(ValueError, match="KV_SQLITE_SYNC is 'full' or 'normal'"):
        sqlite_settings(tmp_path, KV_SQLITE_SYNC=value)


def test_the_log_bound_reaches_the_engine(tmp_path):
    store = open_store(sqlite_settings(tmp_path, KV_SQLITE_WAL_MAX_BYTES=str(8 * 1024 * 1024)))
    assert isinstance(store, SqliteStore)
    assert store._checkpoints.restart_at == 2 * 1024 * 1024
    assert store._checkpoints.hold_at == 4 * 1024 * 1024
    store.close()


def test_the_log_is_bounded_to_64_mib_by_default(tmp_path):
    assert sqlite_settings(tmp_path).sqlite_wal_max_bytes == 64 * 1024 * 1024


@pytest.mark.parametrize("value", ["lots", "-1", "1024", "1.5e6", ""])
def test_a_bad_log_bound_is_refused(tmp_path, value):
    with pytest.raises(ValueError, match="KV_SQLITE_WAL_MAX_BYTES is a number of bytes"):
        sqlite_settings(tmp_path, KV_SQLITE_WAL_MAX_BYTES=value)


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


def test_racing_threads_agree_on_one_whole_secret(tmp_path):
    data = tmp_path / "data"
    found: list[str] = []
    start = threading.Barrier(8)

    def load() -> None:
        start.wait()
        found.append(load_or_create_secret(data))

    threads = [threading.Thread(target=load) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(found) == 8  # every one of them got it, none failed
    assert len(set(found)) == 1
    assert len(found[0]) >= 48
    assert [p.name for p in data.iterdir()] == [GENERATED_KEY_FILE]  # no draft left


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


def provider_env(tmp_path, **extra):
    return {"KV_DATA_DIR": str(tmp_path), "KV_JWT_SECRET": "s" * 40, **extra}


def test_no_sign_in_provider_unless_one_is_named(tmp_path):
    assert Settings.from_env(provider_env(tmp_path)).oidc_providers == ()
    assert Settings().oidc_providers == ()


def test_each_named_provider_is_read_from_its_own_variables(tmp_path):
    env = provider_env(
        tmp_path,
        KV_OIDC_PROVIDERS="google, corp",
        KV_OIDC_GOOGLE_ISSUER="https://accounts.google.com",
        KV_OIDC_GOOGLE_CLIENT_ID="123.apps.googleusercontent.com",
        KV_OIDC_GOOGLE_CLIENT_SECRET="google-secret",
        KV_OIDC_CORP_ISSUER="https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_Abc/",
        KV_OIDC_CORP_CLIENT_ID="corp-client",
        KV_OIDC_CORP_CLIENT_SECRET="corp-secret",
        KV_OIDC_CORP_LABEL="Acme SSO",
    )
    google, corp = Settings.from_env(env).oidc_providers
    assert (google.name, google.client_id, google.client_secret) == (
        "google",
        "123.apps.googleusercontent.com",
        "google-secret",
    )
    assert google.is_google
    assert google.title == "Google"
    assert google.metadata_url == "https://accounts.google.com/.well-known/openid-configuration"
    assert not corp.is_google
    assert corp.title == "Acme SSO"
    # A trailing slash is not part of the issuer that ID tokens name.
    assert corp.issuer == "https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_Abc"
    assert "corp-secret" not in repr(corp)


def test_a_provider_without_a_label_is_called_by_its_name(tmp_path):
    env = provider_env(
        tmp_path,
        KV_OIDC_PROVIDERS="cognito",
        KV_OIDC_COGNITO_ISSUER="https://cognito-idp.us-east-1.amazonaws.com/us-east-1_X",
        KV_OIDC_COGNITO_CLIENT_ID="id",
        KV_OIDC_COGNITO_CLIENT_SECRET="secret",
    )
    (cognito,) = Settings.from_env(env).oidc_providers
    assert cognito.title == "Cognito"


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (
            {"KV_OIDC_CORP_ISSUER": "https://id.example"},
            "'corp' needs KV_OIDC_CORP_CLIENT_ID, KV_OIDC_CORP_CLIENT_SECRET",
        ),
        ({}, "needs KV_OIDC_CORP_ISSUER, KV_OIDC_CORP_CLIENT_ID, KV_OIDC_CORP_CLIENT_SECRET"),
        (
            {
                "KV_OIDC_CORP_ISSUER": "http://id.example",
                "KV_OIDC_CORP_CLIENT_ID": "id",
                "KV_OIDC_CORP_CLIENT_SECRET": "secret",
            },
            "KV_OIDC_CORP_ISSUER is an https:// URL",
        ),
        (
            {
                "KV_OIDC_CORP_ISSUER": "id.example",
                "KV_OIDC_CORP_CLIENT_ID": "id",
                "KV_OIDC_CORP_CLIENT_SECRET": "secret",
            },
            "KV_OIDC_CORP_ISSUER is an https:// URL",
        ),
    ],
)
def test_an_incomplete_provider_stops_the_start(tmp_path, extra, message):
    with pytest.raises(ValueError, match=re.escape(message)):
        Settings.from_env(provider_env(tmp_path, KV_OIDC_PROVIDERS="corp", **extra))


@pytest.mark.parametrize(
    ("names", "message"), [("Corp", "not a provider name"), ("a,a", "names 'a' twice")]
)
def test_provider_names_are_path_segments_named_once(tmp_path, names, message):
    complete = {
        f"KV_OIDC_{n.upper()}_{part}": "https://id.example"
        for n in names.split(",")
        for part in ("ISSUER", "CLIENT_ID", "CLIENT_SECRET")
    }
    with pytest.raises(ValueError, match=message):
        Settings.from_env(provider_env(tmp_path, KV_OIDC_PROVIDERS=names, **complete))


def test_a_provider_on_this_machine_may_speak_plain_http(tmp_path):
    env = provider_env(
        tmp_path,
        KV_OIDC_PROVIDERS="local",
        KV_OIDC_LOCAL_ISSUER="http://127.0.0.1:9000",
        KV_OIDC_LOCAL_CLIENT_ID="id",
        KV_OIDC_LOCAL_CLIENT_SECRET="secret",
    )
    (local,) = Settings.from_env(env).oidc_providers
    assert local.issuer == "http://127.0.0.1:9000"
