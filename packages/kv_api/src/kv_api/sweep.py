"""The expiry sweep (:class:`kv_core.services.sweep.Sweeper`) as a job: run by
``serve`` in the background every ``KV_SWEEP_INTERVAL_SECONDS`` (default 60), and
callable once by a scheduled function.

Every worker of ``serve`` starts a :class:`BackgroundSweep`, and they take turns
(:mod:`kv_api.periodic`). Correctness does not hang on it: the engines release each
expired item's bytes exactly once however many sweeps race.
"""

from __future__ import annotations

from pathlib import Path

from kv_api.periodic import PeriodicJob
from kv_core.services.sweep import Sweeper
from kv_core.settings import Settings, open_store

LAST_SWEEP_FILE = "swept-at"


def sweep(settings: Settings | None = None) -> int:
    """Sweep every expired item once; how many were removed."""
    settings = settings or Settings.from_env(secret_required=False)
    store = open_store(settings)
    try:
        return Sweeper(store, settings.core_config()).sweep()
    finally:
        store.close()


class BackgroundSweep(PeriodicJob[int]):
    """A sweep every ``KV_SWEEP_INTERVAL_SECONDS`` from a daemon thread of this process;
    :meth:`run_once` answers how many items it removed."""

    def __init__(self, sweeper: Sweeper, settings: Settings) -> None:
        self.sweeper = sweeper
        super().__init__(
            "kv-sweep",
            sweeper.sweep,
            interval=settings.sweep_interval_seconds,
            path=Path(settings.data_dir) / LAST_SWEEP_FILE,
            what="the expiry sweep",
        )
