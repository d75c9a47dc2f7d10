"""The Store port: the storage operations the services need, the requests and answers
of its writes, and the refusals every engine raises, worded once."""

from kv_core.store.port import (
    ApiKeyStore,
    ItemStore,
    NamespaceStore,
    Store,
    ThrottlingStore,
    UsageStore,
    UserStore,
)
from kv_core.store.requests import (
    ANY_ETAG,
    DeleteItem,
    PutItem,
    Recount,
    RequestBatch,
    Written,
)

__all__ = [
    "ANY_ETAG",
    "ApiKeyStore",
    "DeleteItem",
    "ItemStore",
    "NamespaceStore",
    "PutItem",
    "Recount",
    "RequestBatch",
    "Store",
    "ThrottlingStore",
    "UsageStore",
    "UserStore",
    "Written",
]
