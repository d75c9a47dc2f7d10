"""The embedded engine: one SQLite file in WAL mode.

:class:`SqliteStore` is assembled from a module per concern (users, namespaces,
api_keys, items, usage, throttling) over :class:`~connection.Database`, plus what only
SQLite needs: the schema's migrations, the writer lock with its group commit, the
shared request counters and key generation, the checkpointer, and online backups.
"""

from kv_core.engines.sqlite.store import SqliteStore

__all__ = ["SqliteStore"]
