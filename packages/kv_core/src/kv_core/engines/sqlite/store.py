"""The :class:`~kv_core.store.Store` on one SQLite file, assembled from one module per
concern.

Safe with several threads (one connection per thread) and several processes (one
writer at a time, under :class:`~kv_core.engines.sqlite.writer.WriterLock`). A
committed write survives a ``kill -9`` of the process and, with ``synchronous="full"``
(the default), a power cut: a write is answered once it is on disk (connection.py).
The log stays under ``wal_max_bytes`` (checkpoints.py). Request counts and the API-key
cache's generation are shared between processes through memory-mapped side files
(counters.py, generation.py), which keep them exact without a write transaction per
request. A full disk, an I/O error or a lock held too long becomes
:class:`~kv_core.errors.StoreUnavailable` (faults.py).
"""

from __future__ import annotations

import os

from kv_core.engines.sqlite.api_keys import ApiKeys
from kv_core.engines.sqlite.backup import Backups
from kv_core.engines.sqlite.billing import Billing
from kv_core.engines.sqlite.changes import Changes
from kv_core.engines.sqlite.checkpoints import WAL_MAX_BYTES
from kv_core.engines.sqlite.counters import SharedCounters
from kv_core.engines.sqlite.faults import faults_translated
from kv_core.engines.sqlite.items import Items
from kv_core.engines.sqlite.namespaces import Namespaces
from kv_core.engines.sqlite.recount import Recounts
from kv_core.engines.sqlite.schema import migrate, version
from kv_core.engines.sqlite.sessions import Sessions
from kv_core.engines.sqlite.throttling import Throttling
from kv_core.engines.sqlite.usage import UsageCounts
from kv_core.engines.sqlite.users import Users


@faults_translated
class SqliteStore(
    Users,
    Sessions,
    Namespaces,
    ApiKeys,
    Items,
    Changes,
    UsageCounts,
    Billing,
    Throttling,
    Recounts,
    Backups,
):
    """The embedded engine: revocations are seen at once and counts are exact."""

    remote = False

    def __init__(
        self,
        path: str | os.PathLike[str],
        *,
        busy_timeout_ms: int = 30_000,
        synchronous: str = "full",
        wal_max_bytes: int = WAL_MAX_BYTES,
    ) -> None:
        super().__init__(
            path,
            busy_timeout_ms=busy_timeout_ms,
            synchronous=synchronous,
            wal_max_bytes=wal_max_bytes,
        )
        self._counters = SharedCounters(
            self._beside("counters"), load=self._stored_requests, save=self._store_requests
        )
        self._resolved = {}
        self._resolved_generation = -1
        with self._writer.held():
            migrate(self._connection())

    def ping(self) -> None:
        self._read_one("SELECT 1 FROM users LIMIT 1", ())

    def schema_version(self) -> int:
        """How many of the schema's steps the file has been through (schema.py)."""
        return version(self._connection())

    def close(self) -> None:
        self._wakeups.close()
        self._counters.close()
        self._checkpoints.close()
        self._close_log()
        self._generation.close()
        self._writer.close()
        self._close_connection()
