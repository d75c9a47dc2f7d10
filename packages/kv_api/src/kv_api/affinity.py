"""One core for each gunicorn worker of ``kv-storage serve``.

A worker's threads share one GIL. Left to the scheduler, they run on different cores
and hand the GIL back and forth between them at every blocking call (a socket, a file
lock, an SQLite statement), which costs more than the work in between: in one process
with four threads, a ``GET`` went at a third of its one-thread rate. Pinned to one
core, a worker's threads hand the GIL over in place, and a writer holding the SQLite
lock gets it back sooner. The site's Performance page has the figures.

Pinning is for a machine whose cores all have a worker: with fewer workers than cores
the scheduler keeps its freedom.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Collection, Iterable
from typing import Any

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


def least_used(cpus: Iterable[int], taken: Iterable[int | None]) -> int:
    """The core with the fewest of the live workers on it (the lowest of equals), so a
    worker that replaces one that died takes the core it left."""
    counts = list(taken)
    return min(cpus, key=lambda cpu: (counts.count(cpu), cpu))


def choose_cpu(server: Any, worker: Any) -> None:
    """gunicorn's ``pre_fork`` hook, in the arbiter: give the worker about to start the
    least used core."""
    live = [getattr(other, "cpu", None) for other in server.WORKERS.values()]
    worker.cpu = least_used(available_cpus(), live)


def pin_worker(server: Any, worker: Any) -> None:
    """gunicorn's ``post_fork`` hook, in the new worker: keep it on its core."""
    try:
        os.sched_setaffinity(0, {worker.cpu})
    except OSError as error:
        log.warning("worker %s left unpinned: %s", os.getpid(), error)
