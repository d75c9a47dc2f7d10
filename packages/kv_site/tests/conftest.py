"""A real ``kv-storage serve`` on a free loopback port, for the examples to run against."""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator

import pytest
import requests


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture(scope="session")
def server(tmp_path_factory) -> Iterator[str]:
    """The whole product on loopback; its base URL. Stopped with SIGTERM."""
    port = free_port()
    executable = shutil.which("kv-storage", path=os.path.dirname(sys.executable))
    assert executable, "kv-storage is not installed next to this Python"
    env = {k: v for k, v in os.environ.items() if not k.startswith("KV_")}
    data = tmp_path_factory.mktemp("data")
    command = [executable, "serve", "--host", "127.0.0.1", "--port", str(port), "--data", str(data)]
    process = subprocess.Popen(
        [*command, "--workers", "2", "--threads", "8"],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env=env,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                if requests.get(f"{base}/v1/health", timeout=1).ok:
                    break
            except requests.ConnectionError:
                pass
            if process.poll() is not None or time.monotonic() > deadline:
                raise AssertionError(f"server did not start: {process.stdout.read()}")
            time.sleep(0.1)
        yield base
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.communicate(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            raise
