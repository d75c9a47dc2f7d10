"""The API-key cache's generation, shared by every process that opens one file.

Each store keeps the keys it resolved in memory and drops them all when the
generation moves: any process bumps it after revoking a key, deleting a namespace or
changing a plan, so a revocation is seen at once everywhere. The number lives in a
small memory-mapped file beside the database; reading it is one aligned eight-byte
load, with no lock and no system call.
"""

from __future__ import annotations

import fcntl
import mmap
import os
import struct
import threading
from pathlib import Path

_SIZE = 8
_COUNTER = struct.Struct("<q")


class SharedGeneration:
    """A counter that only grows, shared through ``path``."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._pid = -1
        self._fd = -1
        self._map: mmap.mmap | None = None
        self._opening = threading.Lock()

    def value(self) -> int:
        """The current generation; a stale answer is at worst one request old."""
        return int(_COUNTER.unpack_from(self._mapped(), 0)[0])

    def bump(self) -> None:
        counter = self._mapped()
        fcntl.flock(self._fd, fcntl.LOCK_EX)
        try:
            _COUNTER.pack_into(counter, 0, _COUNTER.unpack_from(counter, 0)[0] + 1)
        finally:
            fcntl.flock(self._fd, fcntl.LOCK_UN)

    def close(self) -> None:
        if self._map is not None and self._pid == os.getpid():
            self._map.close()
            os.close(self._fd)
        self._map = None
        self._pid = -1

    def _mapped(self) -> mmap.mmap:
        """The mapping, made anew after a fork."""
        if self._pid == os.getpid() and self._map is not None:
            return self._map
        with self._opening:
            if self._pid != os.getpid() or self._map is None:
                self._fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600)
                fcntl.flock(self._fd, fcntl.LOCK_EX)
                try:
                    if os.fstat(self._fd).st_size < _SIZE:
                        os.ftruncate(self._fd, _SIZE)
                finally:
                    fcntl.flock(self._fd, fcntl.LOCK_UN)
                self._map = mmap.mmap(self._fd, _SIZE)
                self._pid = os.getpid()
            return self._map
