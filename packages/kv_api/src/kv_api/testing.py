"""The real product for tests: ``kv-storage serve`` as a process on a free loopback port.

The API's, the SDK's, the site's and the dashboard's tests all drive a live server; this
is the one way they start and stop it.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path


def free_port() -> int:
    """A TCP port on loopback that nothing listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _healthy(base: str) -> bool:
    try:
        with urllib.request.urlopen(f"{base}/v1/health", timeout=1) as response:  # noqa: S310
            return bool(response.status == 200)
    except (urllib.error.URLError, ConnectionError, TimeoutError):
        return False


@contextmanager
def serving(
    data: Path,
    *,
    options: Sequence[str] = (),
    env: Mapping[str, str] | None = None,
    output: list[str] | None = None,
    timeout: float = 30.0,
) -> Iterator[str]:
    """Run ``kv-storage serve --data DATA [OPTIONS]`` until the block ends; yields its
    base URL (``http://127.0.0.1:PORT``).

    The server sees no ``KV_*`` variable of the caller's, only those in ``env``. At the
    end it gets SIGTERM and must exit cleanly (status 0); what it printed is appended to
    ``output`` when given.
    """
    executable = shutil.which("kv-storage", path=os.path.dirname(sys.executable))
    if executable is None:
        raise RuntimeError("kv-storage is not installed next to this Python")
    port = free_port()
    server_env = {k: v for k, v in os.environ.items() if not k.startswith("KV_")}
    server_env.update(env or {})
    command = [executable, "serve", "--host", "127.0.0.1", "--port", str(port)]
    process = subprocess.Popen(  # noqa: S603 - our own command, from this environment
        [*command, "--data", str(data), *options],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env=server_env,
    )
    base = f"http://127.0.0.1:{port}"
    started = False
    try:
        deadline = time.monotonic() + timeout
        while not _healthy(base):
            if process.poll() is not None or time.monotonic() > deadline:
                break
            time.sleep(0.1)
        else:
            started = True
        if started:
            yield base
    finally:
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
        try:
            printed, _ = process.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            process.kill()
            raise
        if output is not None:
            output.append(printed)
    if not started:
        raise RuntimeError(f"kv-storage serve did not start:\n{printed}")
    if process.returncode != 0:
        raise RuntimeError(f"kv-storage serve exited with {process.returncode}:\n{printed}")
