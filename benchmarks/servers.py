"""The servers of the side-by-side run, each started on the cores given to servers
(``taskset``), in a directory of its own, on free loopback ports, and stopped with
SIGTERM: ``kv-storage serve`` as shipped, etcd (Debian's ``etcd-server``, one node)
and Redis with webdis in front (Debian's ``redis-server`` and ``webdis``, AOF
``everysec``)."""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import ExitStack, contextmanager
from pathlib import Path

import requests

# Each peer's programs and the Debian package of each (``nox -s bench`` installs them).
PEERS = {
    "etcd": {"etcd": "etcd-server"},
    "webdis": {"redis-server": "redis-server", "webdis": "webdis"},
}


def missing(programs: Mapping[str, str]) -> list[str]:
    """The Debian packages of ``programs`` (program to package) not installed."""
    return [package for program, package in programs.items() if shutil.which(program) is None]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextmanager
def pinned(
    command: Sequence[str],
    cpus: Sequence[int],
    log: Path,
    *,
    ready: Callable[[], bool],
    env: Mapping[str, str] | None = None,
) -> Iterator[subprocess.Popen[bytes]]:
    """Run ``command`` on ``cpus`` until the block ends, once ``ready()`` holds."""
    with log.open("wb") as output:
        process = subprocess.Popen(
            ["taskset", "-c", ",".join(map(str, cpus)), *command],
            stdout=output,
            stderr=subprocess.STDOUT,
            env=dict(env) if env is not None else None,
        )
        try:
            deadline = time.monotonic() + 60
            while not _probe(ready):
                if process.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(f"{command[0]} did not start:\n{log.read_text()}")
                time.sleep(0.1)
            yield process
        finally:
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


def _probe(ready: Callable[[], bool]) -> bool:
    try:
        return ready()
    except (requests.ConnectionError, requests.Timeout):
        return False


@contextmanager
def kv_storage(
    folder: Path, cpus: Sequence[int], settings: Mapping[str, str] | None = None
) -> Iterator[str]:
    """``kv-storage serve`` with its defaults and ``settings`` (``KV_*`` variables);
    its base URL. Its data is in ``folder / "data"``."""
    port = free_port()
    executable = shutil.which("kv-storage", path=os.path.dirname(sys.executable))
    if executable is None:
        raise RuntimeError("kv-storage is not installed next to this Python")
    env = {k: v for k, v in os.environ.items() if not k.startswith("KV_")}
    env.update(settings or {})
    base = f"http://127.0.0.1:{port}"
    command = [executable, "serve", "--port", str(port), "--data", str(folder / "data")]
    ready = lambda: requests.get(f"{base}/v1/health", timeout=1).ok  # noqa: E731
    with pinned(command, cpus, folder / "kv-storage.log", ready=ready, env=env):
        yield base


@contextmanager
def etcd(folder: Path, cpus: Sequence[int]) -> Iterator[str]:
    """One etcd node (it syncs its log before it answers a write); its base URL."""
    client, peer = free_port(), free_port()
    client_url, peer_url = f"http://127.0.0.1:{client}", f"http://127.0.0.1:{peer}"
    command = [
        "etcd",
        "--name=bench",
        f"--data-dir={folder / 'etcd'}",
        f"--listen-client-urls={client_url}",
        f"--advertise-client-urls={client_url}",
        f"--listen-peer-urls={peer_url}",
        f"--initial-advertise-peer-urls={peer_url}",
        f"--initial-cluster=bench={peer_url}",
        "--logger=zap",
        "--log-level=error",
    ]

    def ready() -> bool:
        return requests.post(f"{client_url}/v3/kv/range", json={"key": "YQ=="}, timeout=1).ok

    with pinned(command, cpus, folder / "etcd.log", ready=ready):
        yield client_url


@contextmanager
def redis_webdis(folder: Path, cpus: Sequence[int]) -> Iterator[str]:
    """Redis with its append-only file synced every second, and webdis in front; the
    base URL of webdis."""
    redis_port, http_port = free_port(), free_port()
    data = folder / "redis"
    data.mkdir()
    redis = [
        "redis-server",
        "--bind",
        "127.0.0.1",
        "--port",
        str(redis_port),
        "--dir",
        str(data),
        "--appendonly",
        "yes",
        "--appendfsync",
        "everysec",
        "--save",
        "",
    ]
    config = folder / "webdis.json"
    config.write_text(
        json.dumps(
            {
                "redis_host": "127.0.0.1",
                "redis_port": redis_port,
                "http_host": "127.0.0.1",
                "http_port": http_port,
                "threads": len(cpus),
                "pool_size": 16,
                "daemonize": False,
                "database": 0,
                "verbosity": 1,
                "logfile": str(folder / "webdis.log"),
            }
        )
    )
    base = f"http://127.0.0.1:{http_port}"
    with ExitStack() as stack:
        stack.enter_context(
            pinned(redis, cpus, folder / "redis.log", ready=lambda: _listening(redis_port))
        )
        ready = lambda: requests.get(f"{base}/PING", timeout=1).ok  # noqa: E731
        stack.enter_context(
            pinned(["webdis", str(config)], cpus, folder / "webdis.out", ready=ready)
        )
        yield base


def _listening(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=1):
            return True
    except OSError:
        return False
