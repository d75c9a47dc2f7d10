"""``kv-storage serve``, durable as shipped, against etcd side by side: the same ``wrk``
load on a core of its own, the servers on the others, in alternating rounds, with
Redis + webdis as the in-memory reference and raw SQLite as the limit; then a soak of
mixed reads and writes that watches the SQLite log's size. A peer whose programs are
not installed is left out, and the run says so; without ``wrk`` nothing here runs.
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from contextlib import ExitStack
from pathlib import Path

import requests

from benchmarks import sdk_async, servers, wrk
from benchmarks.report import Figure
from kv_core.settings import Settings

SECONDS = float(os.environ.get("BENCH_DURATION", "2s").rstrip("s"))
ROUNDS = 5  # short rounds, many: a slow spell on a shared machine spoils few of them
SOAK_SECONDS = 20.0
IDLE_SECONDS = 3.0
MIB = 1024 * 1024
LOG_BOUND_MIB = Settings.sqlite_wal_max_bytes / MIB  # serve's default, as shipped


class LogWatch:
    """The high-water mark of a file's size, sampled every few milliseconds."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.high = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def size(self) -> int:
        try:
            return self.path.stat().st_size
        except FileNotFoundError:
            return 0

    def _run(self) -> None:
        while not self._stop.wait(0.005):
            self.high = max(self.high, self.size())

    def __enter__(self) -> LogWatch:
        self._thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self._stop.set()
        self._thread.join()


def _cores() -> tuple[int, list[int]]:
    """A core for the load generator and the rest for the servers."""
    cpus = sorted(os.sched_getaffinity(0))
    return (cpus[0], cpus[1:]) if len(cpus) > 1 else (cpus[0], cpus)


def _peers() -> list[str]:
    """The peers whose programs are installed; a line for each one left out."""
    present = []
    for peer, programs in servers.PEERS.items():
        absent = servers.missing(programs)
        if absent:
            print(f"  {peer} left out: Debian's {', '.join(absent)} not installed", flush=True)
        else:
            present.append(peer)
    return present


def measure() -> list[Figure]:
    if servers.missing({"wrk": "wrk"}):
        print("  skipped: Debian's wrk is not installed (nox -s bench installs it)", flush=True)
        return []
    peers = _peers()
    load_cpu, server_cpus = _cores()
    with tempfile.TemporaryDirectory(prefix="kv-bench-") as tmp, ExitStack() as stack:
        folder = Path(tmp)
        for name in ("kv", "kv-normal", *peers):
            (folder / name).mkdir()
        kv = stack.enter_context(servers.kv_storage(folder / "kv", server_cpus))
        normal = {"KV_SQLITE_SYNC": "normal"}
        kv_normal = stack.enter_context(
            servers.kv_storage(folder / "kv-normal", server_cpus, normal)
        )
        api_key = _account(kv, folder / "kv" / "data")
        normal_key = _account(kv_normal, folder / "kv-normal" / "data")
        targets = {
            "kv": (kv, wrk.kv_storage(api_key)),
            "kv-normal": (kv_normal, wrk.kv_storage(normal_key)),
        }
        if "etcd" in peers:
            etcd = stack.enter_context(servers.etcd(folder / "etcd", server_cpus))
            targets["etcd"] = (etcd, wrk.etcd())
        if "webdis" in peers:
            webdis = stack.enter_context(servers.redis_webdis(folder / "webdis", server_cpus))
            targets["webdis"] = (webdis, wrk.webdis())
        watch = stack.enter_context(LogWatch(folder / "kv" / "data" / "kv.sqlite3-wal"))

        def load(target: str, operation: str, seconds: float, **options: int) -> float:
            url, dialect = targets[target]
            lua = wrk.script(dialect, operation, folder)
            return wrk.run(url, lua, cpu=load_cpu, seconds=seconds, **options)

        for url, dialect in targets.values():  # every key written once before any read
            wrk.run(url, wrk.script(dialect, "put", folder, fill=True), cpu=load_cpu, seconds=60)
        _progress("servers up, every key written")
        runs = _rounds(load, list(targets))
        rounds_high = watch.high
        _progress(f"{ROUNDS} rounds")
        soak_high, idle_size = _soak(load, watch)
        _progress("soak")
        sdk = _sdk_against_requests(kv, api_key)
        aio = sdk_async.against_threads(kv, api_key)
    limit = _sqlite_limit(server_cpus)
    return [
        *_ratios(runs),
        *_references(runs, limit),
        Figure(
            f"SQLite log high-water mark, rounds + {SOAK_SECONDS:.0f} s soak (MiB)",
            max(rounds_high, soak_high) / MIB,
            LOG_BOUND_MIB,
            detail=f"rounds {rounds_high / MIB:.1f} MiB; soak of 8 PUT + 8 GET connections"
            f" {soak_high / MIB:.1f} MiB",
        ),
        Figure(
            f"SQLite log after {IDLE_SECONDS:.0f} s idle (KiB)",
            idle_size / 1024,
            0,
            detail="truncated when the server goes idle",
        ),
        sdk,
        aio,
    ]


_STARTED = time.monotonic()


def _progress(what: str) -> None:
    print(f"  {what} ({time.monotonic() - _STARTED:.0f} s)", flush=True)


def _rounds(load: Callable[..., float], targets: list[str]) -> dict[tuple[str, str], list[float]]:
    """Every load once per round, in an order that reverses each round, so no server
    always goes first or last."""
    ordered = [t for t in ("kv", "etcd", "webdis", "kv-normal") if t in targets]
    order = [(t, op) for t in ordered for op in ("get", "put")]
    runs: dict[tuple[str, str], list[float]] = {name: [] for name in order}
    for _ in range(ROUNDS):
        for target, operation in order:
            runs[target, operation].append(load(target, operation, SECONDS))
        order.reverse()
    return runs


def _soak(load: Callable[..., float], watch: LogWatch) -> tuple[int, int]:
    """8 PUT and 8 GET connections at once on the SQLite server; the log's high-water
    mark during the soak, and its size once the server has been idle a while."""
    watch.high = 0
    threads = [
        threading.Thread(
            target=load, args=("kv", operation, SOAK_SECONDS), kwargs={"connections": 8}
        )
        for operation in ("put", "get")
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    high = watch.high
    time.sleep(IDLE_SECONDS)
    return high, watch.size()


def _ratios(runs: dict[tuple[str, str], list[float]]) -> list[Figure]:
    if ("etcd", "get") not in runs:
        return []
    figures = []
    for operation in ("get", "put"):
        ours, theirs = runs["kv", operation], runs["etcd", operation]
        figures.append(
            Figure(
                f"serve {operation.upper()} req/s / etcd {operation.upper()} req/s (durable)",
                _paired(ours, theirs),
                1.0,
                "higher",
                detail=f"serve {statistics.median(ours):,.0f} req/s,"
                f" etcd {statistics.median(theirs):,.0f}",
            )
        )
    return figures


def _references(runs: dict[tuple[str, str], list[float]], limit: dict[str, float]) -> list[Figure]:
    figures = []
    for op in ("get", "put"):
        versus = (
            f"{_paired(runs['kv-normal', op], runs['etcd', op]):.2f}x etcd; "
            if ("etcd", op) in runs
            else ""
        )
        figures.append(
            Figure(
                f"serve {op.upper()} req/s with KV_SQLITE_SYNC=normal",
                statistics.median(runs["kv-normal", op]),
                None,
                "higher",
                detail=f"{versus}durable serve"
                f" {_paired(runs['kv', op], runs['kv-normal', op]):.2f}x of it",
            )
        )
    if ("webdis", "get") in runs:
        for op, name in (("get", "GET req/s (in memory, AOF everysec)"), ("put", "PUT req/s")):
            figures.append(
                Figure(
                    f"Redis + webdis {name}",
                    statistics.median(runs["webdis", op]),
                    None,
                    "higher",
                    detail=f"{_paired(runs['kv', op], runs['webdis', op]):.2f}x of it for serve",
                )
            )
    return [
        *figures,
        Figure(
            "raw SQLite reads/s (the limit: one process, no HTTP)",
            limit["reads"],
            None,
            "higher",
        ),
        Figure(
            "raw SQLite upserts/s, a commit each (engine's PRAGMAs)",
            limit["upserts"],
            None,
            "higher",
            detail=f"{limit['batched_upserts']:,.0f}/s in commits of 64 (synced as serve syncs)",
        ),
    ]


def _paired(measured: list[float], baseline: list[float]) -> float:
    """The median of each round's ratio: a round's figures were taken seconds apart,
    so a slow spell on the shared machine moves both."""
    return statistics.median(m / b for m, b in zip(measured, baseline, strict=True))


def _sqlite_limit(cpus: list[int]) -> dict[str, float]:
    out = subprocess.run(
        [
            "taskset",
            "-c",
            ",".join(map(str, cpus)),
            sys.executable,
            "-m",
            "benchmarks.sqlite_limit",
        ],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    figures: dict[str, float] = json.loads(out)
    return figures


def _sdk_against_requests(base: str, key: str, calls: int = 500) -> Figure:
    """One thread making the same GETs through KVClient and through a bare
    ``requests.Session``, in alternating rounds: what the SDK's parsing, error mapping
    and retry adapter cost per call."""
    from kv_sdk import KVClient

    rates: dict[str, list[float]] = {"sdk": [], "raw": []}
    with KVClient(key, base_url=base) as client, requests.Session() as raw:
        url, headers = f"{base}/v1/bench/k00001", {"x-api-key": key}
        for _ in range(ROUNDS):
            started = time.perf_counter()
            for _ in range(calls):
                client.get("bench", "k00001")
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


def _account(base: str, data: Path) -> str:
    """Sign up, make the ``bench`` namespace and an API key for it, and lift the
    account's quota; the key."""
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

    store = open_store(Settings.from_env({"KV_DATA_DIR": str(data)}))
    user = store.get_user_by_email("bench@example.com")
    assert user is not None
    store.set_plan(user.id, "business", "2026-01-01T00:00:00.000Z")
    store.close()
    requests.put(  # the item the async SDK's figure reads
        f"{base}/v1/bench/item", json={"name": "Ann"}, headers={"x-api-key": key}, timeout=10
    ).raise_for_status()
    return key
