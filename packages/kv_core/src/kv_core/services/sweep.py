"""The expiry sweep: expired items leave the store and stop counting toward storage,
and changes older than the change feed's retention leave its log.

Readers stop seeing an item in the second it expires; its bytes are released when the
sweep removes it. The engines make each removal count exactly once, so sweeps may run
in every worker at once (one is enough); each pass takes ``limit`` items at a time
until fewer come back.
"""

from __future__ import annotations

import logging
from datetime import timedelta

from kv_core.model import isoformat
from kv_core.services.config import CoreConfig
from kv_core.store import Store

logger = logging.getLogger(__name__)

SWEEP_CHUNK = 1000
# Changes are kept this much past the retention, so that a cursor good to the last
# second of the retention (issued by one clock) never finds its next change pruned (by
# another, a little ahead).
PRUNE_MARGIN_SECONDS = 300


class Sweeper:
    def __init__(self, store: Store, config: CoreConfig) -> None:
        self.store = store
        self.config = config

    def sweep(self, *, limit: int = SWEEP_CHUNK, max_chunks: int | None = None) -> int:
        """Remove every item expired by now (at most ``max_chunks`` chunks of
        ``limit``, when given); how many were removed."""
        at = int(self.config.clock().timestamp())
        removed = 0
        chunks = 0
        while max_chunks is None or chunks < max_chunks:
            swept = self.store.sweep_expired(at, limit=limit)
            removed += swept
            chunks += 1
            if swept < limit:
                break
        if removed:
            logger.info("swept %d expired items", removed)
        self.prune_changes(limit=limit, max_chunks=max_chunks)
        return removed

    def prune_changes(self, *, limit: int = SWEEP_CHUNK, max_chunks: int | None = None) -> int:
        """Remove the changes logged longer ago than the change feed keeps them (and a
        margin); how many were removed."""
        keep = self.config.changes_retention_seconds + PRUNE_MARGIN_SECONDS
        before = isoformat(self.config.clock() - timedelta(seconds=keep))
        pruned = 0
        chunks = 0
        while max_chunks is None or chunks < max_chunks:
            removed = self.store.prune_changes(before, limit=limit)
            pruned += removed
            chunks += 1
            if removed < limit:
                break
        if pruned:
            logger.info("pruned %d changes past the retention", pruned)
        return pruned
