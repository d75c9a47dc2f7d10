"""``kv-storage backup`` while a server writes, and ``kv-storage restore``."""

from __future__ import annotations

import hashlib
import sqlite3
import threading
from pathlib import Path

import pytest
import requests

from kv_api import data_lock
from kv_api.cli import main
from kv_api.testing import serving
from kv_core.engines.sqlite import SqliteStore
from kv_core.engines.sqlite.schema import MIGRATIONS, migrate
from kv_core.model import Namespace, User
from kv_core.store import PutItem
from kv_core.store.testing import listed

NOW = "2026-11-25T10:00:00.000Z"
WRITERS = 3


@pytest.fixture(autouse=True)
def sqlite_engine(monkeypatch):
    for name in ("KV_STORE", "KV_DATA_DIR", "KV_JWT_SECRET"):
        monkeypatch.delenv(name, raising=False)


def run(capsys, *args: str) -> tuple[int, str, str]:
    capsys.readouterr()
    status = main(list(args))
    printed = capsys.readouterr()
    return status, printed.out, printed.err


def signed_up(base: str) -> tuple[requests.Session, str]:
    """A session for a new account's read-write key on namespace ``app``."""
    http = requests.Session()
    account = {"email": "ann@example.com", "password": "s3cret-pass"}
    token = http.post(f"{base}/v1/auth/signup", json=account).json()["token"]
    auth = {"Authorization": f"Bearer {token}"}
    http.post(f"{base}/v1/namespaces", json={"name": "app"}, headers=auth).raise_for_status()
    created = http.post(f"{base}/v1/api-keys", json={"namespace": "app"}, headers=auth)
    return http, created.json()["apiKey"]


def counters_match_items(path: Path) -> None:
    """Each namespace's count and bytes, and each user's bytes, as its items make them."""
    with sqlite3.connect(path) as db:
        for ns_id, count, size in db.execute("SELECT id, item_count, size_bytes FROM namespaces"):
            assert db.execute(
                "SELECT count(*), coalesce(sum(size), 0) FROM items WHERE namespace_id = ?",
                (ns_id,),
            ).fetchone() == (count, size)
        for user_id, stored in db.execute("SELECT id, storage_bytes FROM users"):
            assert db.execute(
                "SELECT coalesce(sum(size_bytes), 0) FROM namespaces WHERE user_id = ?",
                (user_id,),
            ).fetchone() == (stored,)


def test_a_backup_under_write_load_holds_every_acknowledged_write(tmp_path, capsys):
    data, copy = tmp_path / "data", tmp_path / "copy.sqlite3"
    with serving(data, options=["--workers", "2", "--threads", "4"]) as base:
        _, key = signed_up(base)
        acknowledged: list[list[tuple[str, int]]] = [[] for _ in range(WRITERS)]
        enough, stop = threading.Barrier(WRITERS + 1), threading.Event()

        def write(writer: int) -> None:
            session = requests.Session()
            headers = {"x-api-key": key, "Content-Type": "application/json"}
            for n in range(2_000):
                if stop.is_set():
                    return
                # A new key, and a hot key replaced with another size each time.
                for name in (f"w{writer}/{n}", f"hot{writer}"):
                    response = session.put(
                        f"{base}/v1/app/{name}", data=f'"{"x" * (n % 41)}"', headers=headers
                    )
                    assert response.status_code in (200, 201), response.text
                    acknowledged[writer].append((name, response.json()["version"]))
                if n == 50:
                    enough.wait()

        threads = [threading.Thread(target=write, args=(w,)) for w in range(WRITERS)]
        for thread in threads:
            thread.start()
        enough.wait()
        before = [list(done) for done in acknowledged]  # acknowledged before the backup
        status, out, err = run(capsys, "backup", str(copy), "--data", str(data))
        stop.set()
        for thread in threads:
            thread.join()
    assert (status, err) == (0, "")
    assert out.startswith(f"backed up {data.resolve() / 'kv.sqlite3'} to {copy}: 1 users")
    assert not list(tmp_path.glob("*.partial"))
    assert not list(tmp_path.glob("copy.sqlite3-*"))  # one file, no log beside it
    counters_match_items(copy)
    with sqlite3.connect(copy) as db:
        versions = dict(db.execute("SELECT key, version FROM items"))
        (requests_counted,) = db.execute("SELECT sum(requests) FROM usage").fetchone()
    for done in before:
        for name, version in done:
            assert versions[name] >= version
    assert sum(map(len, acknowledged)) > sum(map(len, before))  # writes went on meanwhile
    assert requests_counted >= sum(len(done) for done in before)
    assert requests_counted <= sum(len(done) for done in acknowledged)


def fill(data: Path, *keys: str) -> None:
    store = SqliteStore(data / "kv.sqlite3")
    if store.get_user("u1") is None:
        store.create_user(User("u1", "ann@example.com", "h", "free", NOW, NOW))
        store.create_namespace(Namespace("n1", "u1", "app", NOW))
    for key in keys:
        store.put_item(PutItem("u1", "n1", key, key, len(key), "e", NOW))
    store.close()


def keys_in(data: Path) -> list[str]:
    store = SqliteStore(data / "kv.sqlite3")
    try:
        return listed(store, "n1", limit=100)[0]
    finally:
        store.close()


def test_restore_puts_a_backup_back_and_keeps_what_it_replaced(tmp_path, capsys):
    data, copy = tmp_path / "data", tmp_path / "nightly.sqlite3"
    fill(data, "a", "b")
    assert run(capsys, "backup", str(copy), "--data", str(data))[0] == 0
    fill(data, "c")
    status, out, err = run(capsys, "restore", str(copy), "--data", str(data))
    assert (status, err) == (0, "")
    assert "1 users, 1 namespaces, 2 items" in out
    assert keys_in(data) == ["a", "b"]
    store = SqliteStore(data / "kv.sqlite3")
    assert store.get_namespace("u1", "app").item_count == 2
    assert store.schema_version() == len(MIGRATIONS)
    store.close()
    kept = data / "kv.sqlite3.before-restore"
    assert sorted(k for (k,) in sqlite3.connect(kept).execute("SELECT key FROM items")) == [
        "a",
        "b",
        "c",
    ]


def test_restore_drops_the_request_counts_of_the_data_it_replaces(tmp_path, capsys):
    data, copy = tmp_path / "data", tmp_path / "nightly.sqlite3"
    fill(data)
    assert run(capsys, "backup", str(copy), "--data", str(data))[0] == 0
    store = SqliteStore(data / "kv.sqlite3")
    store.add_requests("u1", "2026-11", 7)  # held in the shared counters file
    store.close()
    assert run(capsys, "restore", str(copy), "--data", str(data))[0] == 0
    store = SqliteStore(data / "kv.sqlite3")
    assert store.get_usage("u1", "2026-11").requests == 0
    store.close()


def snapshot(directory: Path) -> dict[str, str]:
    return {
        p.name: hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(directory.iterdir())
        if p.is_file()
    }


def not_kv(path: Path) -> None:
    with sqlite3.connect(path) as db:
        db.execute("CREATE TABLE notes (text TEXT)")


def newer(path: Path) -> None:
    SqliteStore(path).close()
    with sqlite3.connect(path) as db:
        db.execute(f"PRAGMA user_version = {len(MIGRATIONS) + 1}")


def miscounted(path: Path) -> None:
    fill(path.parent, "a")
    with sqlite3.connect(path) as db:
        db.execute("UPDATE namespaces SET item_count = 5")


@pytest.mark.parametrize(
    ("make", "says"),
    [
        (lambda p: p.write_text("hello, not a database\n" * 100), "not a KV Storage database"),
        (lambda p: None, "is not a file"),
        (not_kv, "not a KV Storage database"),
        (newer, "not a KV Storage database"),
        (miscounted, "do not match their items"),
    ],
)
def test_restore_refuses_what_is_not_a_kv_database_and_touches_nothing(
    tmp_path, capsys, make, says
):
    data = tmp_path / "data"
    fill(data, "a")
    before = snapshot(data)
    source_dir = tmp_path / "elsewhere"
    source_dir.mkdir()
    make(source_dir / "kv.sqlite3")
    status, out, err = run(capsys, "restore", str(source_dir / "kv.sqlite3"), "--data", str(data))
    assert (status, out) == (2, "")
    assert err.startswith("kv-storage: nothing restored: ")
    assert err.count("\n") == 1
    assert says in err
    assert snapshot(data) == before
    assert keys_in(data) == ["a"]


def test_restore_refuses_while_a_server_runs(tmp_path, capsys):
    data, copy = tmp_path / "data", tmp_path / "copy.sqlite3"
    fill(data, "a")
    assert run(capsys, "backup", str(copy), "--data", str(data))[0] == 0
    with serving(data):
        before = snapshot(data)
        status, _, err = run(capsys, "restore", str(copy), "--data", str(data))
        assert status == 2
        assert "a server is running" in err
        assert snapshot(data) == before


def test_serve_refuses_to_start_during_a_restore(tmp_path, capsys, monkeypatch):
    data = tmp_path / "data"
    for name in ("KV_DATA_DIR", "KV_SECURE_COOKIES"):
        monkeypatch.setenv(name, "")  # serve sets them; the test puts them back
    with data_lock.alone(data):
        status, _, err = run(capsys, "serve", "--data", str(data), "--port", "0")
    assert status == 2
    assert err == f"kv-storage: a restore into {data.resolve()} is under way\n"


def test_a_backup_that_cannot_be_written_refuses_in_one_line(tmp_path, capsys):
    data = tmp_path / "data"
    fill(data, "a")
    target = tmp_path / "no" / "such" / "dir" / "copy.sqlite3"
    status, out, err = run(capsys, "backup", str(target), "--data", str(data))
    assert (status, out) == (2, "")
    assert err.startswith("kv-storage: the backup failed: ")
    assert err.count("\n") == 1
    assert not target.parent.exists()


def test_a_backup_of_an_older_schema_is_restored_and_brought_up_to_date(tmp_path, capsys):
    data, old = tmp_path / "data", tmp_path / "old.sqlite3"
    fill(data, "a")
    db = sqlite3.connect(old, isolation_level=None)
    migrate(db, MIGRATIONS[:2])
    db.close()
    status, out, _ = run(capsys, "restore", str(old), "--data", str(data))
    assert status == 0
    assert "0 users, 0 namespaces, 0 items (0 bytes), schema version 2" in out
    store = SqliteStore(data / "kv.sqlite3")
    assert store.schema_version() == len(MIGRATIONS)
    assert store.get_user("u1") is None
    store.close()


def test_backup_of_a_missing_database_refuses(tmp_path, capsys):
    status, _, err = run(capsys, "backup", str(tmp_path / "copy"), "--data", str(tmp_path))
    assert status == 2
    assert "there is no database" in err
    assert not (tmp_path / "copy").exists()


@pytest.mark.parametrize("command", ["backup", "restore"])
def test_on_dynamodb_backups_are_point_in_time_recovery(tmp_path, capsys, monkeypatch, command):
    monkeypatch.setenv("KV_STORE", "dynamodb")
    status, _, err = run(capsys, command, str(tmp_path / "copy"), "--data", str(tmp_path))
    assert status == 2
    assert "point-in-time recovery" in err
    assert not (tmp_path / "copy").exists()
