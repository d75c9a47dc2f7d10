"""The embedded server's requests per second through auth, quota and store, against a
bare Flask JSON endpoint served by the same gunicorn set-up in the same run, loaded by
``wrk`` (Debian's package) from another process on loopback."""

from __future__ import annotations

import os
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import requests

from benchmarks import sdk_async
from benchmarks.report import Figure

DURATION = os.environ.get("BENCH_DURATION", "2s")
CONNECTIONS = "16"
ROUNDS = 12  # short rounds, many: a slow spell on a shared machine spoils few of them
PUT_SCRIPT = """
wrk.method = "PUT"
wrk.body = '{"name":"Ann","tags":["a","b"],"n":1}'
wrk.headers["Content-Type"] = "application/json"
counter = 0
request = function()
  counter = counter + 1
  return wrk.format(nil, "/v1/bench/item-" .. (counter % 200))
end
"""


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _wrk(url: str, *args: str) -> float:
    out = subprocess.run(
        ["wrk", "-t2", f"-c{CONNECTIONS}", f"-d{DURATION}", "--latency", *args, url],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    non_2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    if non_2xx:
        raise RuntimeError(f"wrk saw {non_2xx.group(1)} failed responses:\n{out}")
    match = re.search(r"Requests/sec:\s+([\d.]+)", out)
    if not match:
        raise RuntimeError(out)
    return float(match.group(1))


def measure() -> list[Figure]:
    if shutil.which("wrk") is None:
        raise SystemExit("wrk is not installed (apt-get install wrk); nox -s bench installs it")
    data = Path(tempfile.mkdtemp(prefix="kv-bench-"))
    port = _free_port()
    env = {**os.environ, "KV_DATA_DIR": str(data), "KV_JWT_SECRET": "b" * 48}
    env.pop("KV_STORE", None)
    server = subprocess.Popen(
        [sys.executable, "-m", "benchmarks.http_server", str(port)],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(300):
            try:
                if requests.get(f"{base}/bare/", timeout=1).ok:
                    break
            except requests.ConnectionError:
                time.sleep(0.1)
        key = _account(base, env)
        header = ["-H", f"x-api-key: {key}"]
        script = data / "put.lua"
        script.write_text(PUT_SCRIPT)
        runs: dict[str, list[float]] = {"bare": [], "get": [], "put": []}
        loads = {
            "bare": [f"{base}/bare/"],
            "get": [f"{base}/v1/bench/item", *header],
            "put": [f"{base}/v1/bench/item", *header, "-s", str(script)],
        }
        order = list(loads)
        for _ in range(ROUNDS):
            for name in order:
                url, *args = loads[name]
                runs[name].append(_wrk(url, *args))
            order.reverse()  # bare, get, put, then put, get, bare: no load always goes last
        sdk = _sdk_against_requests(base, key)
        aio = sdk_async.against_threads(base, key)
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait(timeout=30)
        shutil.rmtree(data, ignore_errors=True)
    bare, get, put = (statistics.median(runs[k]) for k in ("bare", "get", "put"))
    detail = f"bare {bare:,.0f} req/s"
    return [
        Figure(
            "embedded GET req/s / bare Flask JSON req/s",
            _paired(runs["get"], runs["bare"]),
            0.8,
            "higher",
            detail=f"GET {get:,.0f} req/s, {detail}",
        ),
        Figure(
            "embedded PUT req/s / bare Flask JSON req/s",
            _paired(runs["put"], runs["bare"]),
            0.5,
            "higher",
            detail=f"PUT {put:,.0f} req/s, {detail}",
        ),
        sdk,
        aio,
    ]


def _paired(measured: list[float], baseline: list[float]) -> float:
    """The median of each round's ratio: a round's figures were taken seconds apart,
    so a slow spell on the shared machine moves both."""
    return statistics.median(m / b for m, b in zip(measured, baseline, strict=True))


def _sdk_against_requests(base: str, key: str, calls: int = 500) -> Figure:
    """One thread making the same GETs through KVClient and through a bare
    ``requests.Session``, in alternating rounds: what the SDK's parsing, error mapping
    and retry adapter cost per call."""
    from kv_sdk import KVClient

    rates: dict[str, list[float]] = {"sdk": [], "raw": []}
    with KVClient(key, base_url=base) as client, requests.Session() as raw:
        url, headers = f"{base}/v1/bench/item", {"x-api-key": key}
        for _ in range(ROUNDS):
            started = time.perf_counter()
            for _ in range(calls):
                client.get("bench", "item")
            rates["sdk"].append(calls / (time.perf_counter() - started))
            started = time.perf_counter()
            for _ in range(calls):
                response = raw.get(url, headers=headers, timeout=10)
                response.raise_for_status()
                response.json()
            rates["raw"].append(calls / (time.perf_counter() - started))
    sdk, bare = statistics.median(rates["sdk"]), statistics.median(rates["raw"])
    return Figure(
        "SDK GET calls/s / raw requests.Session calls/s",
        sdk / bare,
        None,
        "higher",
        detail=f"SDK {sdk:,.0f}/s, requests {bare:,.0f}/s, one thread",
    )


def _account(base: str, env: dict[str, str]) -> str:
    """Sign up, make the ``bench`` namespace and an API key for it, lift the account's
    quota, and store the item the GETs read; the key."""
    with requests.Session() as http:
        token = http.post(
            f"{base}/v1/auth/signup",
            json={"email": "bench@example.com", "password": "bench-pass"},
            timeout=10,
        ).json()["token"]
        auth = {"Authorization": f"Bearer {token}"}
        http.post(
            f"{base}/v1/namespaces", json={"name": "bench"}, headers=auth, timeout=10
        ).raise_for_status()
        response = http.post(
            f"{base}/v1/api-keys", json={"namespace": "bench"}, headers=auth, timeout=10
        )
        key = str(response.json()["apiKey"])
    # A plan large enough that the benchmark never meets the request quota.
    from kv_core.settings import Settings, open_store

    store = open_store(Settings.from_env(env))
    user = store.get_user_by_email("bench@example.com")
    assert user is not None
    store.set_plan(user.id, "business", "2026-01-01T00:00:00.000Z")
    store.close()
    requests.put(
        f"{base}/v1/bench/item", json={"name": "Ann"}, headers={"x-api-key": key}, timeout=10
    ).raise_for_status()
    return key
