"""The Store port: the storage operations the services need, the requests and answers
of its writes, and the refusals every engine raises, worded once."""

from kv_core.store.port import (
    ApiKeyStore,
    BillingStore,
    ItemStore,
    NamespaceStore,
    SessionStore,
    Store,
    ThrottlingStore,
    UsageStore,
    UserStore,
)
from kv_core.store.requests import (
    ANY_ETAG,
    DeleteItem,
    PlanEvent,
    PlanOutcome,
    PutItem,
    Recount,
    RequestBatch,
    Written,
)

__all__ = [
    "ANY_ETAG",
    "ApiKeyStore",
    "BillingStore",
    "DeleteItem",
    "ItemStore",
    "NamespaceStore",
    "PlanEvent",
    "PlanOutcome",
    "PutItem",
    "Recount",
    "RequestBatch",
    "SessionStore",
    "Store",
    "ThrottlingStore",
    "UsageStore",
    "UserStore",
    "Written",
]
