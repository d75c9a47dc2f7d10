"""Who holds a data directory: servers share it, a restore needs it alone.

``serve`` holds a shared ``flock`` on ``serve.lock`` in the data directory for as long
as it runs (its workers inherit the open file, so the lock lasts while any of them
does); ``restore`` takes it exclusively, without waiting, and so refuses while any
server runs, and a server refuses to start during a restore. The kernel drops the
lock when the last process holding it ends, however it ends.
"""

from __future__ import annotations

import fcntl
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

LOCK_FILE = "serve.lock"


class DataDirBusy(Exception):
    """Another process holds the data directory in a way that excludes this one."""


@contextmanager
def _locked(data: Path, mode: int, busy: str) -> Iterator[None]:
    data.mkdir(parents=True, exist_ok=True)
    fd = os.open(data / LOCK_FILE, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        try:
            fcntl.flock(fd, mode | fcntl.LOCK_NB)
        except BlockingIOError:
            raise DataDirBusy(busy) from None
        yield
    finally:
        os.close(fd)


@contextmanager
def serving(data: Path) -> Iterator[None]:
    """Held by ``serve`` while it runs."""
    with _locked(data, fcntl.LOCK_SH, f"a restore into {data} is under way"):
        yield


@contextmanager
def alone(data: Path) -> Iterator[None]:
    """Held by ``restore``: no server may run meanwhile."""
    with _locked(data, fcntl.LOCK_EX, f"a server is running on {data}: stop it first"):
        yield
