"""KV Storage's Python client: ``KVClient`` for items, ``AccountClient`` for the account.

It speaks HTTP only (requests, with urllib3 retries) and needs none of the server's
packages. The ``kv`` command line (:mod:`kv_sdk.cli`) is built on the same clients.
"""

from kv_sdk._version import __version__
from kv_sdk.account import AccountClient
from kv_sdk.client import KVClient
from kv_sdk.errors import (
    AuthenticationError,
    ConfigurationError,
    Conflict,
    InvalidRequest,
    KVError,
    NotFound,
    PayloadTooLarge,
    PermissionDenied,
    PreconditionFailed,
    QuotaExceeded,
    RateLimited,
    ServerError,
    TransportError,
)
from kv_sdk.models import ApiKey, Item, Namespace, NewApiKey, Page, Quota, Usage, User, WriteResult

__all__ = [
    "AccountClient",
    "ApiKey",
    "AuthenticationError",
    "ConfigurationError",
    "Conflict",
    "InvalidRequest",
    "Item",
    "KVClient",
    "KVError",
    "Namespace",
    "NewApiKey",
    "NotFound",
    "Page",
    "PayloadTooLarge",
    "PermissionDenied",
    "PreconditionFailed",
    "Quota",
    "QuotaExceeded",
    "RateLimited",
    "ServerError",
    "TransportError",
    "Usage",
    "User",
    "WriteResult",
    "__version__",
]
