"""The expiry sweep: expired items leave the store and stop counting toward storage.

Readers stop seeing an item in the second it expires; its bytes are released when the
sweep removes it. The engines make each removal count exactly once, so sweeps may run
in every worker at once (one is enough); each pass takes ``limit`` items at a time
until fewer come back.
"""

from __future__ import annotations

import logging

from kv_core.services.config import CoreConfig
from kv_core.store import Store

logger = logging.getLogger(__name__)

SWEEP_CHUNK = 1000


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
        return removed
