"""Every code sample of the site runs against a real ``kv-storage serve`` and prints what
the pages say it prints.

Each sample gets its own namespace and API key (or, for the sign-up samples, its own
email) through ``KV_BASE_URL``, ``KV_NAMESPACE``, ``KV_API_KEY``, ``KV_EMAIL`` and
``KV_PASSWORD``.
"""

from __future__ import annotations

import itertools
import json
import os
import re
import shutil
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import pytest
import requests

from kv_core.plans import DEFAULT_PLAN, PLANS

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"
PASSWORD = "sample-pass-1"  # a test account's
_numbers = itertools.count()


@dataclass(frozen=True)
class Space:
    """A namespace of its own for one sample, with a read-write key."""

    base: str
    name: str
    api_key: str

    def item(self, key: str) -> requests.Response:
        return requests.get(
            f"{self.base}/v1/{self.name}/{key}", headers={"x-api-key": self.api_key}, timeout=10
        )


@pytest.fixture(scope="module")
def token(server) -> str:
    response = requests.post(
        f"{server}/v1/auth/signup",
        json={"email": "samples@example.com", "password": PASSWORD},
        timeout=10,
    )
    assert response.status_code == 201, response.text
    return str(response.json()["token"])


@pytest.fixture
def space(server, token) -> Space:
    name = f"sample-{next(_numbers)}"
    auth = {"Authorization": f"Bearer {token}"}
    created = requests.post(
        f"{server}/v1/namespaces", json={"name": name}, headers=auth, timeout=10
    )
    assert created.status_code == 201, created.text
    key = requests.post(f"{server}/v1/api-keys", json={"namespace": name}, headers=auth, timeout=10)
    assert key.status_code == 201, key.text
    return Space(server, name, key.json()["apiKey"])


def run(sample: str, env: dict[str, str], cwd: Path) -> list[str]:
    """Run one sample (a shell script with sh, a Python file with this Python); its
    standard output's lines. It must exit 0."""
    path = EXAMPLES / sample
    command = ["sh", str(path)] if path.suffix == ".sh" else [sys.executable, str(path)]
    bin_dir = os.path.dirname(sys.executable)
    base_env = {k: v for k, v in os.environ.items() if not k.startswith("KV_")}
    base_env["PATH"] = f"{bin_dir}{os.pathsep}{base_env.get('PATH', '')}"
    result = subprocess.run(
        command, env={**base_env, **env}, cwd=cwd, capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, f"{sample} failed:\n{result.stdout}\n{result.stderr}"
    return result.stdout.splitlines()


def data_plane(space: Space) -> dict[str, str]:
    return {"KV_BASE_URL": space.base, "KV_NAMESPACE": space.name, "KV_API_KEY": space.api_key}


def sign_up_env(server: str) -> dict[str, str]:
    email = f"sample-{next(_numbers)}@example.com"
    return {"KV_BASE_URL": server, "KV_EMAIL": email, "KV_PASSWORD": PASSWORD}


def login(server: str, email: str) -> dict[str, str]:
    response = requests.post(
        f"{server}/v1/auth/login", json={"email": email, "password": PASSWORD}, timeout=10
    )
    assert response.status_code == 200, response.text
    return {"Authorization": f"Bearer {response.json()['token']}"}


curl = pytest.mark.skipif(shutil.which("curl") is None, reason="curl is not installed")
TESTED = {
    "account.sh",
    "quickstart.sh",
    "conditional.sh",
    "expiry.sh",
    "counters.sh",
    "bulk.sh",
    "cli.sh",
    "requests_quickstart.py",
    "counter.py",
    "paging.py",
    "sdk_quickstart.py",
    "sdk_account.py",
    "sdk_counter.py",
    "sdk_quickstart_async.py",
    "sdk_account_async.py",
    "sdk_counter_async.py",
    "sdk_data.py",
    "sdk_data_async.py",
    "cli_data.sh",
    "transactions.sh",
    "sdk_transfer.py",
    "changes.sh",
    "sdk_changes.py",
}


def test_every_sample_is_run_here():
    assert {p.name for p in EXAMPLES.iterdir() if p.suffix in {".sh", ".py"}} == TESTED


@curl
def test_account_sh_signs_up_and_makes_a_namespace_and_a_key(server, tmp_path):
    env = sign_up_env(server)
    namespace_line, key_line = run("account.sh", env, tmp_path)
    assert '"name":"my-app"' in namespace_line.replace(" ", "")
    raw = re.search(r'"apiKey":\s*"(kv_[^"]+)"', key_line)
    assert raw, key_line
    stored = requests.put(
        f"{server}/v1/my-app/hello", json=1, headers={"x-api-key": raw.group(1)}, timeout=10
    )
    assert stored.status_code == 201
    names = requests.get(
        f"{server}/v1/namespaces", headers=login(server, env["KV_EMAIL"]), timeout=10
    )
    assert [n["name"] for n in names.json()["namespaces"]] == ["my-app"]


@curl
def test_quickstart_sh_puts_gets_lists_and_deletes(space, tmp_path):
    put, get, listing, deleted = run("quickstart.sh", data_plane(space), tmp_path)
    assert '"key":"user:42"' in put.replace(" ", "")
    assert '"name":"Ada"' in get.replace(" ", "")
    assert '"keys":["user:42"]' in listing.replace(" ", "")
    assert deleted == "deleted: 204"
    assert space.item("user:42").status_code == 404


@curl
def test_conditional_sh_shows_compare_and_swap(space, tmp_path):
    lines = run("conditional.sh", data_plane(space), tmp_path)
    assert re.fullmatch(r'created, ETag "[^"]+"', lines[0]), lines
    assert lines[1:] == ["create again: 412", "replace: 200", "stale replace: 412"]
    assert space.item("settings").json()["value"] == {"theme": "light"}
    assert list(tmp_path.iterdir()) == []


@curl
def test_expiry_sh_expires_to_the_second_and_lists_details(space, tmp_path):
    stored, read, later, stored_invite, listing = run("expiry.sh", data_plane(space), tmp_path)
    assert stored == "stored: 201"
    item = json.loads(read)
    assert item["value"] == {"cart": ["tea"]}
    assert item["metadata"] == {"user": 42}
    assert isinstance(item["expiresAt"], int)
    assert later == "three seconds later: 404"
    assert stored_invite == "stored: 201"
    page = json.loads(listing)
    assert page["keys"] == ["invite:7"]
    (details,) = page["items"]
    assert details["metadata"] == {"email": "ada@example.com"}
    assert details["version"] == 1
    assert 3500 < details["expiresAt"] - int(time.time()) <= 3600


@curl
def test_counters_sh_increments_adds_decimals_and_patches(space, tmp_path):
    first, second, balance, counted, patched, stale = run(
        "counters.sh", data_plane(space), tmp_path
    )
    assert json.loads(first)["value"] == 1
    assert json.loads(second)["value"] == 42
    assert json.loads(balance)["value"] == 0.3
    assert counted == "counted: 201"
    assert json.loads(patched)["value"] == {"name": "Ada", "theme": "light"}
    assert stale == "stale patch: 412"
    assert space.item("profile:42").json()["value"] == {"name": "Ada", "theme": "light"}


@curl
def test_bulk_sh_puts_gets_deletes_and_refuses_a_bad_batch_whole(space, tmp_path):
    written, got, deleted, refusal, status = run("bulk.sh", data_plane(space), tmp_path)
    assert json.loads(written) == {"written": 3}
    answer = json.loads(got)
    assert [i["key"] for i in answer["items"]] == ["city:rome"]
    assert answer["items"][0]["value"] == {"population": 2748109}
    assert answer["missing"] == ["city:lima"]
    assert json.loads(deleted) == {"deleted": 1}
    assert status == "status: 400"
    assert "1" in json.loads(refusal)["error"]
    assert space.item("city:bern").status_code == 404
    assert space.item("city:paris").status_code == 404
    assert space.item("city:oslo").json()["expiresAt"] is not None


def test_cli_sh_reads_writes_exports_and_imports(space, tmp_path):
    put, got, put_again, *listed, missing = run("cli.sh", data_plane(space), tmp_path)
    assert json.loads(put)["created"] is True
    assert json.loads(got) == {"text": "hello"}
    assert json.loads(put_again)["key"] == "letters"
    assert listed == ["greeting", "letters"]
    assert missing == "kv get of a missing key exits with 3"
    assert space.item("greeting").json()["value"] == {"text": "hello"}
    assert space.item("letters").status_code == 404
    assert list(tmp_path.iterdir()) == []


def test_requests_quickstart_py(space, tmp_path):
    written, items, page, deleted, missing = run(
        "requests_quickstart.py", data_plane(space), tmp_path
    )
    assert re.fullmatch(r'201 "[^"]+"', written)
    assert items == "['tea', 'milk']"
    assert page == "['cart:7'] None"
    assert deleted == "204"
    assert missing == "item_not_found"


def test_counter_py_loses_no_increment(space, tmp_path):
    assert run("counter.py", data_plane(space), tmp_path) == [
        "40 increments from 8 threads: the counter is 40"
    ]
    assert space.item("counters/visits").json()["value"] == 40


def test_paging_py_walks_every_page(space, tmp_path):
    assert run("paging.py", data_plane(space), tmp_path) == [
        "25 keys, from logs/2025-01-01 to logs/2025-01-25"
    ]


@pytest.mark.parametrize("sample", ["sdk_quickstart.py", "sdk_quickstart_async.py"])
def test_sdk_quickstart_py(space, tmp_path, sample):
    created, name, keys, missing = run(sample, data_plane(space), tmp_path)
    assert re.fullmatch(r'True "[^"]+"', created), created
    assert name == "Ada"
    assert keys == "['user:42']"
    assert missing == "404 item_not_found"
    assert space.item("user:42").status_code == 404


@pytest.mark.parametrize("sample", ["sdk_account.py", "sdk_account_async.py"])
def test_sdk_account_py(server, tmp_path, sample):
    env = sign_up_env(server)
    key, listed, usage = run(sample, env, tmp_path)
    assert key == "kv_ my-app read-write"
    assert listed == "backend 0"
    free = PLANS[DEFAULT_PLAN]
    assert usage == f"{free.name} 0 {free.requests_per_month}"
    keys = requests.get(f"{server}/v1/api-keys", headers=login(server, env["KV_EMAIL"]), timeout=10)
    assert [(k["namespace"], k["name"]) for k in keys.json()["apiKeys"]] == [("my-app", "backend")]


def test_sdk_counter_py_loses_no_increment(space, tmp_path):
    assert run("sdk_counter.py", data_plane(space), tmp_path) == [
        "40 increments from 8 threads: the counter is 40"
    ]


def test_sdk_counter_async_py_loses_no_increment(space, tmp_path):
    assert run("sdk_counter_async.py", data_plane(space), tmp_path) == [
        "40 increments from 8 tasks: the counter is 40"
    ]
    assert space.item("counters/sdk-async").json()["value"] == 40


@pytest.mark.parametrize("sample", ["sdk_data.py", "sdk_data_async.py"])
def test_sdk_data_py_expires_counts_patches_and_bulks(space, tmp_path, sample):
    lines = run(sample, data_plane(space), tmp_path)
    assert lines == [
        "True",
        "{'ip': '10.0.0.1'}",
        "42",
        "{'name': 'Ada', 'theme': 'light'}",
        "250",
        "['city:oslo', 'city:7'] ['city:lima']",
        "250",
        "session:7 1 {'ip': '10.0.0.1'}",
    ]
    assert space.item("session:7").json()["expiresAt"] is not None
    assert space.item("city:oslo").json()["metadata"] == {"no": 1}


def test_cli_data_sh_expires_counts_and_patches(space, tmp_path):
    put, listed, first, second, patched = run("cli_data.sh", data_plane(space), tmp_path)
    assert json.loads(put)["expiresAt"] is not None
    assert json.loads(listed)["metadata"] == {"ip": "10.0.0.1"}
    assert (first, second) == ("1", "42")
    assert json.loads(patched) == {"name": "Ada", "lang": "en"}


@curl
def test_transactions_sh_transfers_once_and_lists_counts_and_deletes(space, tmp_path):
    transfer, refusal, status, reverse, ranged, count, deleted = run(
        "transactions.sh", data_plane(space), tmp_path
    )
    assert json.loads(transfer) == {
        "ok": True,
        "items": [
            {"key": "account:alice", "version": 2},
            {"key": "account:bob", "version": 2},
            {"key": "transfer:1", "version": 1},
        ],
    }
    body = json.loads(refusal)
    assert body["code"] == "check_failed"
    assert sorted(body["failed"]) == ["account:alice", "account:bob", "transfer:1"]
    assert status == "status: 412"
    assert json.loads(reverse) == {"keys": ["account:bob", "account:alice"], "cursor": None}
    assert json.loads(ranged) == {"keys": ["account:bob"], "cursor": None}
    assert json.loads(count) == {"count": 2}
    assert json.loads(deleted) == {"deleted": 1, "more": False}
    assert space.item("account:alice").json()["value"] == 70
    assert space.item("account:bob").json()["value"] == 30
    assert space.item("transfer:1").status_code == 404


def test_sdk_transfer_py_moves_each_transfer_once(space, tmp_path):
    assert run("sdk_transfer.py", data_plane(space), tmp_path) == [
        "10 transfers from 8 threads: alice 50, bob 50, total 100",
        "transfer 3 again: False",
        "['account:bob', 'account:alice']",
        "10 transfer records",
        "10 deleted; 2 items left",
    ]
    assert space.item("account:alice").json()["value"] == 50
    assert space.item("transfer:3").status_code == 404


def test_changes_sh_reads_the_feed_then_long_polls_from_its_cursor(space, tmp_path):
    read, waited, deleted = run("changes.sh", data_plane(space), tmp_path)
    answer = json.loads(read)
    assert [(c["key"], c["op"], c["value"]) for c in answer["changes"]] == [
        ("order:1", "put", {"total": 12})
    ]
    assert waited == "nothing new: 200"
    after = json.loads(deleted)
    assert [(c["key"], c["op"]) for c in after["changes"]] == [("order:1", "delete")]
    assert after["cursor"] != answer["cursor"]


def test_sdk_changes_py_follows_and_resumes_from_its_cursor(space, tmp_path):
    assert run("sdk_changes.py", data_plane(space), tmp_path) == [
        "put order:1 1 {'total': 12}",
        "put order:1 2 {'total': 15}",
        "[('delete', 'order:1'), ('put', 'order:2')]",
    ]
