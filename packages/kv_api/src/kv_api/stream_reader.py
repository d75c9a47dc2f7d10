"""``serve`` on DynamoDB reads the table's stream itself, where AWS would run the
stream-processing function: every ``KV_STREAM_INTERVAL_SECONDS`` (default 1) it logs
what the stream holds (:meth:`~kv_core.engines.dynamodb.DynamoStore.pump_changes`).

Every worker starts one and they take turns (:mod:`kv_api.periodic`); two readers
of one shard would still log each change once (the processor's record markers).
"""

from __future__ import annotations

from pathlib import Path

from kv_api.periodic import PeriodicJob
from kv_core.settings import Settings
from kv_core.store import Store

LAST_READ_FILE = "stream-read-at"


class BackgroundStreamReader(PeriodicJob[int]):
    """The stream read every ``KV_STREAM_INTERVAL_SECONDS`` from a daemon thread, on
    DynamoDB only (SQLite logs a change with its write); :meth:`run_once` answers how
    many changes it logged."""

    def __init__(self, store: Store, settings: Settings) -> None:
        dynamo = None
        if settings.store == "dynamodb":  # pynamodb is installed only with that extra
            from kv_core.engines.dynamodb import DynamoStore

            dynamo = store if isinstance(store, DynamoStore) else None
        super().__init__(
            "kv-stream",
            dynamo.pump_changes if dynamo is not None else (lambda: 0),
            interval=settings.stream_interval_seconds if dynamo is not None else 0,
            path=Path(settings.data_dir) / LAST_READ_FILE,
            what="the table's stream reader",
        )
