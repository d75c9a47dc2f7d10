"""The embedded engine: one SQLite file in WAL mode."""

from kv_core.engines.sqlite.store import SqliteStore

__all__ = ["SqliteStore"]
