"""One core for each worker process of ``kv-storage serve``.

A worker's threads share one GIL. Left to the scheduler, they run on different cores
and hand the GIL back and forth between them at every blocking call (a socket, a file
lock, an SQLite statement), which costs more than the work in between: in one process
with four threads, a ``GET`` went at a third of its one-thread rate. Pinned to one
core, a worker's threads hand the GIL over in place, and a writer holding the SQLite
lock gets it back sooner. The site's Performance page has the figures.

Pinning is for a machine whose cores all have a worker: with fewer workers than cores
the scheduler keeps its freedom.

Each worker claims a slot as it starts, by locking the first free one of a set of
files the server made: slot ``n`` is core ``n`` modulo the cores. The kernel lets go
of a dead worker's lock, so the worker that replaces it takes the core it left.
"""

from __future__ import annotations

import fcntl
import logging
import os
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from pathlib import Path

log = logging.getLogger(__name__)


def available_cpus() -> list[int]:
    """The cores this process may run on (a container's or ``taskset``'s set), or none
    where the platform cannot pin."""
    if not hasattr(os, "sched_getaffinity") or not hasattr(os, "sched_setaffinity"):
        return []
    return sorted(os.sched_getaffinity(0))


def usable_cores() -> int:
    """How many cores this process may run on: the default number of workers."""
    return len(available_cpus()) or os.cpu_count() or 2


def should_pin(workers: int, cpus: Collection[int]) -> bool:
    """Pin when there are cores to pin to and every one of them gets a worker."""
    return len(cpus) > 1 and workers >= len(cpus)


@dataclass(frozen=True)
class Slot:
    """A worker's claim on a core, held while its file stays open."""

    index: int
    cpu: int
    fd: int

    def release(self) -> None:
        os.close(self.fd)


def claim_slot(folder: Path, cpus: Sequence[int], workers: int) -> Slot | None:
    """Lock the first free of ``workers`` slot files in ``folder``; ``None`` when every
    slot is taken."""
    for index in range(workers):
        fd = os.open(folder / f"worker-{index}", os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            continue
        return Slot(index, cpus[index % len(cpus)], fd)
    return None


def pin_worker(folder: Path, cpus: Sequence[int], workers: int) -> Slot | None:
    """In a new worker: claim a slot and keep the worker on its core; the slot, which
    the worker holds for its life."""
    slot = claim_slot(folder, cpus, workers)
    if slot is None:
        log.warning("worker %s left unpinned: every core's slot is taken", os.getpid())
        return None
    try:
        os.sched_setaffinity(0, {slot.cpu})
    except OSError as error:
        log.warning("worker %s left unpinned: %s", os.getpid(), error)
    return slot
