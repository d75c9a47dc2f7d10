"""The Store port: the storage operations the services need, with their atomicity."""

from kv_core.store.port import (
    ANY_ETAG,
    RequestBatch,
    Store,
    namespace_gone,
    precondition_failed,
    storage_exceeded,
)

__all__ = [
    "ANY_ETAG",
    "RequestBatch",
    "Store",
    "namespace_gone",
    "precondition_failed",
    "storage_exceeded",
]
