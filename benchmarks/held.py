"""PUT throughput of ``kv-storage serve`` while 100 requests are held on the change
feed (long polls of a namespace nobody writes), against none held, in alternating
rounds: held requests wait in threads of their own (``KV_SERVE_THREADS``) and are not
woken by other namespaces' writes, so they may cost writes at most 10 %."""

from __future__ import annotations

import tempfile
import threading
import time
from contextlib import ExitStack
from pathlib import Path

import requests

from benchmarks import servers, wrk
from benchmarks.http import ROUNDS, SECONDS, _account, _cores, _paired
from benchmarks.report import Figure

HELD = 100
SETTLE_SECONDS = 1  # for the held requests to arrive before the round is measured
BUDGET_PERCENT = 10.0


def _quiet_key(base: str) -> str:
    """A key of a second namespace of the bench account, which no load writes."""
    with requests.Session() as http:
        token = http.post(
            f"{base}/v1/auth/login",
            json={"email": "bench@example.com", "password": "bench-pass"},
            timeout=10,
        ).json()["token"]
        auth = {"Authorization": f"Bearer {token}"}
        http.post(f"{base}/v1/namespaces", json={"name": "quiet"}, headers=auth, timeout=10)
        answer = http.post(
            f"{base}/v1/api-keys", json={"namespace": "quiet"}, headers=auth, timeout=10
        )
        return str(answer.json()["apiKey"])


def _hold(base: str, key: str, wait: int, stop: threading.Event) -> None:
    """Long polls one after the other until ``stop``; each is held ``wait`` seconds."""
    with requests.Session() as http:
        while not stop.is_set():
            http.get(
                f"{base}/v1/quiet?changes=true&since=now&wait={wait}",
                headers={"x-api-key": key},
                timeout=wait + 15,
            ).raise_for_status()


def measure() -> list[Figure]:
    if servers.missing({"wrk": "wrk"}):
        print("  skipped: Debian's wrk is not installed (nox -s bench installs it)", flush=True)
        return []
    load_cpu, server_cpus = _cores()
    with tempfile.TemporaryDirectory(prefix="kv-bench-held-") as tmp, ExitStack() as stack:
        folder = Path(tmp)
        (folder / "kv").mkdir()
        base = stack.enter_context(servers.kv_storage(folder / "kv", server_cpus))
        api_key = _account(base, folder / "kv" / "data")
        quiet = _quiet_key(base)
        dialect = wrk.kv_storage(api_key)
        wrk.run(base, wrk.script(dialect, "put", folder, fill=True), cpu=load_cpu, seconds=60)
        put = wrk.script(dialect, "put", folder)
        free: list[float] = []
        held: list[float] = []
        # Held through the round, and over soon after, so the next round starts free.
        wait = min(int(SECONDS) + SETTLE_SECONDS + 2, 25)
        for _ in range(ROUNDS):
            free.append(wrk.run(base, put, cpu=load_cpu, seconds=SECONDS))
            stop = threading.Event()
            holders = [
                threading.Thread(target=_hold, args=(base, quiet, wait, stop), daemon=True)
                for _ in range(HELD)
            ]
            for holder in holders:
                holder.start()
            time.sleep(SETTLE_SECONDS)
            held.append(wrk.run(base, put, cpu=load_cpu, seconds=SECONDS))
            stop.set()
            for holder in holders:
                holder.join()
    slower = (1 - _paired(held, free)) * 100
    return [
        Figure(
            f"PUT rate with {HELD} idle held feed requests, slower by (%)",
            max(slower, 0.0),
            BUDGET_PERCENT,
            detail=f"median of {ROUNDS} paired rounds; {min(held):,.0f}-{max(held):,.0f}/s held,"
            f" {min(free):,.0f}-{max(free):,.0f}/s none",
        )
    ]
