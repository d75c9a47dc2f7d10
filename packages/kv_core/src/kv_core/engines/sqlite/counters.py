"""Request counts shared by every process that opens one SQLite file: each account's
month, exact, in slots of a memory-mapped file, written behind to SQLite.

A request's count must be exact across all of a machine's worker processes, and
writing it to SQLite on every request made each request a write transaction that
queues behind every other write. So the counts live in a small memory-mapped file next
to the database, changed under an exclusive ``flock`` in a few microseconds, and are
written behind to SQLite: after :data:`FLUSH_EVERY` requests or :data:`FLUSH_AFTER`
seconds of an account, when a slot is reused, and when a store closes.

The file, not SQLite, is the truth while it holds a count: the store's reads add it
in. A process killed at any point loses nothing, since its counts are already in the
file. The file is reset on the first open after the machine boots, so after a power
cut the counts restart from SQLite's, which lag by at most ``FLUSH_EVERY - 1``
requests (or ``FLUSH_AFTER`` seconds) per account, never counting a request twice.

The file holds :data:`SLOTS` slots of one (user, month) each, or of one (API key,
month): a request made with a key moves the key's slot in the same hold of the lock as
its owner's, so the two counts are exact together. A slot's name lives in one of
:data:`WINDOW` slots from the one its hash picks, and when those are all taken by
unwritten counts the oldest is written to SQLite and its slot reused.
"""

from __future__ import annotations

import atexit
import fcntl
import hashlib
import logging
import mmap
import os
import struct
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

FLUSH_EVERY = 100
FLUSH_AFTER = 2.0
SLOTS = 4096
WINDOW = 32
KEY_BYTES = 96

_MAGIC = b"KVCOUNT2"
_HEADER = struct.Struct("<8s16sq")  # magic, boot id, slots
_HEADER_SIZE = 64
_SLOT = struct.Struct(f"<{KEY_BYTES}sqqd")  # key, count, flushed, dirty since
_COUNTS = struct.Struct("<qqd")

logger = logging.getLogger(__name__)

Load = Callable[[str, str], int]
Save = Callable[[str, str, int], None]
KEY_SLOT = "key"  # the last part of an API key's slot name: (key id, month, "key")


def boot_id() -> bytes:
    """This boot of the machine, so a file left from before a restart is not trusted."""
    try:
        raw = Path("/proc/sys/kernel/random/boot_id").read_text().strip()
    except OSError:
        return b"\0" * 16  # no such file off Linux: the file is never reset
    return hashlib.blake2b(raw.encode(), digest_size=16).digest()


def fits(user_id: str, month: str) -> bool:
    """Whether a (user, month) can have a slot: the store counts any other in SQLite."""
    return _fits((user_id, month))


def key_fits(key_id: str, month: str) -> bool:
    """Whether an (API key, month) can have a slot (a key the service made always can)."""
    return _fits(_key_name(key_id, month))


def _key_name(key_id: str, month: str) -> tuple[str, ...]:
    return (key_id, month, KEY_SLOT)


def _fits(name: tuple[str, ...]) -> bool:
    return (
        bool(name[0])
        and not any(c in text for c in "\n\0" for text in name)
        and len("\n".join(name).encode()) <= KEY_BYTES
    )


class SharedCounters:
    """Exact request counts, shared through one file.

    ``load`` reads a (user, month)'s count from the database and ``save`` writes a
    total there (it must keep the larger of the stored and the given total, so a late
    write never moves a count back); ``load_key`` and ``save_key`` do the same for an
    (API key, month). All are called with the file's lock held, and they may take the
    database's write lock, so the order is always file, then database.
    """

    def __init__(
        self,
        path: Path,
        *,
        load: Load,
        save: Save,
        load_key: Load | None = None,
        save_key: Save | None = None,
        slots: int = SLOTS,
        window: int = WINDOW,
    ) -> None:
        self.path = path
        self.slots = slots
        self.window = min(window, slots)
        self._size = _HEADER_SIZE + slots * _SLOT.size
        self._load = load
        self._save = save
        self._load_key = load_key
        self._save_key = save_key
        self._pid = -1
        self._opening = threading.Lock()
        self._threads = threading.Lock()
        self._fd = -1
        self._map: mmap.mmap | None = None
        self._seen: dict[tuple[str, ...], tuple[bytes, int]] = {}

    # --- the request counts ------------------------------------------------------------

    def admit(
        self, user_id: str, month: str, count: int, limit: int, *, key_id: str | None = None
    ) -> int | None:
        """Add ``count`` if the total stays within ``limit``: the new total, or ``None``
        (nothing added). ``key_id``: the API key that made them, whose count moves in
        the same hold of the lock (it must :func:`key_fits`).

        Both slots are found (which may read or write the database, and fail) before
        either count moves, so a failure counts neither."""
        with self._held() as counts:
            key_at = None
            if key_id is not None:
                key_at = self._locate(counts, _key_name(key_id, month))
            at = self._locate(counts, (user_id, month), keep=key_at)
            total, flushed, since = _COUNTS.unpack_from(counts, at + KEY_BYTES)
            if total + count > limit:
                return None
            self._count(counts, at, total + count, flushed, since)
            if key_at is not None:
                self._add(counts, key_at, count)
            return int(total + count)

    def add(
        self, user_id: str, month: str, count: int, *, by_key: tuple[tuple[str, int], ...] = ()
    ) -> int:
        """Add ``count`` whatever the total, and each key's part of it (``by_key``: keys
        that :func:`key_fits`); the new total."""
        with self._held() as counts:
            at = self._locate(counts, (user_id, month))
            total = self._add(counts, at, count)
            for key_id, part in by_key:
                self._add(counts, self._locate(counts, _key_name(key_id, month)), part)
            return total

    def peek(self, user_id: str, month: str) -> int | None:
        """The file's count, or ``None`` when the file does not hold this key (then the
        database's count is the whole truth)."""
        return self._peek((user_id, month))

    def peek_key(self, key_id: str, month: str) -> int | None:
        """An API key's count, as :meth:`peek`."""
        return self._peek(_key_name(key_id, month))

    def _peek(self, name: tuple[str, ...]) -> int | None:
        key = self._key(name)
        with self._held() as counts:
            at = self._find(counts, key)
            if at is None:
                return None
            return int(_COUNTS.unpack_from(counts, at + KEY_BYTES)[0])

    def flush(self) -> None:
        """Write every count the database does not have yet."""
        with self._held() as counts:
            for index in range(self.slots):
                at = _HEADER_SIZE + index * _SLOT.size
                key, total, flushed, _ = _SLOT.unpack_from(counts, at)
                if key[0] and total != flushed:
                    self._write_behind(counts, at, total)

    def close(self) -> None:
        """Write everything behind and let go of the file."""
        if self._map is not None and self._pid == os.getpid():
            self.flush()
            self._map.close()
            os.close(self._fd)
        self._map = None
        self._pid = -1
        atexit.unregister(self._flush_at_exit)

    def _flush_at_exit(self) -> None:
        """A server's workers exit without closing their store: write behind then, so
        SQLite is current after a clean stop (a reboot would reset the file)."""
        if self._map is None or self._pid != os.getpid():
            return
        try:
            self.flush()
        except Exception:
            logger.warning("request counts could not be written behind at exit", exc_info=True)

    # --- the file ----------------------------------------------------------------------

    def _mapped(self) -> mmap.mmap:
        """The mapping, made anew after a fork (a file lock is not shared with a child)."""
        if self._pid == os.getpid() and self._map is not None:
            return self._map
        with self._opening:
            if self._pid == os.getpid() and self._map is not None:
                return self._map
            self._threads = threading.Lock()
            self._seen = {}
            self._fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600)
            fcntl.flock(self._fd, fcntl.LOCK_EX)
            try:
                if os.fstat(self._fd).st_size != self._size:
                    os.ftruncate(self._fd, self._size)
                self._map = mmap.mmap(self._fd, self._size)
                magic, boot, slots = _HEADER.unpack_from(self._map, 0)
                if (magic, boot, slots) != (_MAGIC, boot_id(), self.slots):
                    self._map[:] = bytes(self._size)
                    _HEADER.pack_into(self._map, 0, _MAGIC, boot_id(), self.slots)
            finally:
                fcntl.flock(self._fd, fcntl.LOCK_UN)
            self._pid = os.getpid()
            atexit.register(self._flush_at_exit)
            return self._map

    @contextmanager
    def _held(self) -> Iterator[mmap.mmap]:
        counts = self._mapped()
        with self._threads:
            fcntl.flock(self._fd, fcntl.LOCK_EX)
            try:
                yield counts
            finally:
                fcntl.flock(self._fd, fcntl.LOCK_UN)

    @staticmethod
    def _key(name: tuple[str, ...]) -> bytes:
        if not _fits(name):
            raise ValueError(f"no counter slot for {name!r}")
        return "\n".join(name).encode().ljust(KEY_BYTES, b"\0")

    def _window(self, key: bytes) -> Iterator[int]:
        start = int.from_bytes(hashlib.blake2b(key, digest_size=8).digest(), "little")
        for step in range(self.window):
            yield _HEADER_SIZE + ((start + step) % self.slots) * _SLOT.size

    def _find(self, counts: mmap.mmap, key: bytes) -> int | None:
        for at in self._window(key):
            if counts[at : at + KEY_BYTES] == key:
                return at
        return None

    def _locate(self, counts: mmap.mmap, name: tuple[str, ...], keep: int | None = None) -> int:
        """The name's slot: where this process last saw it, if it is still there.
        ``keep``: a slot found for this request already, which must not be reused."""
        seen = self._seen.get(name)
        if seen is not None and counts[seen[1] : seen[1] + KEY_BYTES] == seen[0]:
            return seen[1]
        key = self._key(name)
        at = self._slot(counts, key, name, keep)
        if len(self._seen) >= self.slots:
            self._seen.clear()
        self._seen[name] = (key, at)
        return at

    def _slot(self, counts: mmap.mmap, key: bytes, name: tuple[str, ...], keep: int | None) -> int:
        """The name's slot, claimed and filled from the database if it has none."""
        found = self._find(counts, key)
        if found is not None:
            return found
        free = victim = None
        oldest = float("inf")
        for at in self._window(key):
            if at == keep:
                continue
            used, total, flushed, since = _SLOT.unpack_from(counts, at)
            if not used[0] or total == flushed:
                free = at
                break
            if since < oldest:
                victim, oldest = at, since
        if free is None:
            assert victim is not None
            self._write_behind(counts, victim, _SLOT.unpack_from(counts, victim)[1])
            free = victim
        stored = self._loader(name)
        # Emptied first and named last, so that a process killed half-way leaves an
        # empty slot, never a key with another key's count.
        counts[free] = 0
        _COUNTS.pack_into(counts, free + KEY_BYTES, stored, stored, 0.0)
        counts[free : free + KEY_BYTES] = key
        return free

    def _loader(self, name: tuple[str, ...]) -> int:
        if len(name) == 2:
            return self._load(*name)
        if self._load_key is None:
            raise ValueError("these counters keep no API key's counts")
        return self._load_key(name[0], name[1])

    def _add(self, counts: mmap.mmap, at: int, count: int) -> int:
        total, flushed, since = _COUNTS.unpack_from(counts, at + KEY_BYTES)
        self._count(counts, at, total + count, flushed, since)
        return int(total + count)

    def _count(self, counts: mmap.mmap, at: int, total: int, flushed: int, since: float) -> None:
        """Set the slot's new total, and write it behind when it is due."""
        now = time.time()
        if total == flushed:
            since = 0.0
        elif not since:
            since = now
        _COUNTS.pack_into(counts, at + KEY_BYTES, total, flushed, since)
        if total - flushed >= FLUSH_EVERY or (since and now - since >= FLUSH_AFTER):
            try:
                self._write_behind(counts, at, total)
            except Exception:
                # The count is safe in the file; the next request tries again.
                logger.warning("could not write request counts behind", exc_info=True)

    def _write_behind(self, counts: mmap.mmap, at: int, total: int) -> None:
        name = counts[at : at + KEY_BYTES].rstrip(b"\0").decode().split("\n")
        if len(name) == 2:
            self._save(name[0], name[1], total)
        else:
            if self._save_key is None:
                raise ValueError("these counters keep no API key's counts")
            self._save_key(name[0], name[1], total)
        _COUNTS.pack_into(counts, at + KEY_BYTES, total, total, 0.0)
