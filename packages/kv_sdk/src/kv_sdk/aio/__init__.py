"""The async clients, on httpx (``pip install 'kv-sdk[async]'``): ``AsyncKVClient`` and
``AsyncAccountClient`` have the sync clients' methods, awaitable, with the same results,
errors and retry rules."""

from kv_sdk.aio.account import AsyncAccountClient
from kv_sdk.aio.changes import AsyncChangeFeed
from kv_sdk.aio.client import AsyncKVClient

__all__ = ["AsyncAccountClient", "AsyncChangeFeed", "AsyncKVClient"]
