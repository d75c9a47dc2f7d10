"""The embedded engine: one SQLite file in WAL mode.

:class:`SqliteStore` is assembled from a module per concern (users, namespaces,
api_keys, items, usage, throttling, recount) over :class:`~connection.Database`, plus
what only SQLite needs: the schema's migrations, the writer lock with its group commit,
the shared request counters and key generation, the checkpointer, online backups, and
which of its failures are faults of the store (faults.py).
"""

from kv_core.engines.sqlite.store import SqliteStore

__all__ = ["SqliteStore"]
