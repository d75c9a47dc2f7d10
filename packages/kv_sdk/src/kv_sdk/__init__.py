"""KV Storage's Python client: ``KVClient`` for items, ``AccountClient`` for the account,
and their asyncio twins ``AsyncKVClient`` and ``AsyncAccountClient``.

It speaks HTTP only (requests, with urllib3 retries; httpx for the async clients, the
``kv-sdk[async]`` extra) and needs none of the server's packages. The async clients are
imported on first use, so ``import kv_sdk`` never needs httpx. The ``kv`` command line
(`kv_sdk.cli`) is built on the same clients.
"""

import typing

from kv_sdk._version import __version__
from kv_sdk.account import AccountClient
from kv_sdk.atomic import AsyncAtomic, Atomic
from kv_sdk.changes import Change, ChangeFeed
from kv_sdk.client import KVClient
from kv_sdk.errors import (
    AuthenticationError,
    CheckFailed,
    ConfigurationError,
    Conflict,
    CursorExpired,
    Gone,
    InvalidRequest,
    KVError,
    NotANumber,
    NotFound,
    NumberOutOfRange,
    PatchContended,
    PayloadTooLarge,
    PermissionDenied,
    PreconditionFailed,
    QuotaExceeded,
    RateLimited,
    ServerError,
    TransportError,
    UnsupportedMediaType,
)
from kv_sdk.models import (
    ApiKey,
    AtomicResult,
    BulkItem,
    Item,
    KeyInfo,
    ManyItems,
    Namespace,
    NewApiKey,
    Page,
    Quota,
    Usage,
    User,
    WriteResult,
)

if typing.TYPE_CHECKING:
    from kv_sdk.aio import AsyncAccountClient, AsyncKVClient

# Offered by __getattr__, from kv_sdk.aio, which needs httpx.
_ASYNC_NAMES = ("AsyncAccountClient", "AsyncKVClient")

__all__ = [
    "AccountClient",
    "ApiKey",
    "AsyncAccountClient",
    "AsyncAtomic",
    "AsyncKVClient",
    "Atomic",
    "AtomicResult",
    "AuthenticationError",
    "BulkItem",
    "Change",
    "ChangeFeed",
    "CheckFailed",
    "ConfigurationError",
    "Conflict",
    "CursorExpired",
    "Gone",
    "InvalidRequest",
    "Item",
    "KVClient",
    "KVError",
    "KeyInfo",
    "ManyItems",
    "Namespace",
    "NewApiKey",
    "NotANumber",
    "NotFound",
    "NumberOutOfRange",
    "Page",
    "PatchContended",
    "PayloadTooLarge",
    "PermissionDenied",
    "PreconditionFailed",
    "Quota",
    "QuotaExceeded",
    "RateLimited",
    "ServerError",
    "TransportError",
    "UnsupportedMediaType",
    "Usage",
    "User",
    "WriteResult",
    "__version__",
]


def __getattr__(name: str) -> typing.Any:
    """The async clients, imported when first asked for (they need httpx)."""
    if name not in _ASYNC_NAMES:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    try:
        from kv_sdk import aio
    except ModuleNotFoundError as missing:
        if missing.name != "httpx":
            raise
        raise ImportError(
            f"kv_sdk.{name} needs httpx: pip install 'kv-sdk[async]'", name=missing.name
        ) from missing
    value = getattr(aio, name)
    globals()[name] = value
    return value
