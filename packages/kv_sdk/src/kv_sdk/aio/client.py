"""``AsyncKVClient``: the data plane (items of a namespace) with a namespace-scoped API
key, for asyncio."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterable, Mapping
from typing import Any

import httpx

from kv_sdk import calls, errors
from kv_sdk._env import resolve_api_key, resolve_base_url
from kv_sdk.aio.changes import AsyncChangeFeed
from kv_sdk.aio.transport import AsyncPooledClient, AsyncTransport
from kv_sdk.atomic import AsyncAtomic
from kv_sdk.changes import MAX_WAIT
from kv_sdk.models import BulkItem, Item, KeyInfo, ManyItems, Page, WriteResult
from kv_sdk.transport import DEFAULT_MAX_RETRIES, DEFAULT_TIMEOUT


class AsyncKVClient(AsyncPooledClient):
    """`KVClient`'s methods, awaitable: read and write JSON values by key.

    ``api_key``, ``base_url``, ``timeout`` and ``max_retries`` mean what they mean for
    ``KVClient``, and GET, PUT and DELETE are retried by the same rules. Pass an
    ``http_client`` (an ``httpx.AsyncClient``) of your own to control pooling or proxies;
    the client then uses it, still with its own retries, and does not close it.

    One client is safe to share between tasks: its calls share one connection pool.
    Use it with ``async with``, or ``await close()``, to release its connections:

        async with AsyncKVClient() as kv:
            await kv.put("app", "user:42", {"name": "Ada"})
            print((await kv.get("app", "user:42")).value)
    """

    def __init__(
        self,
        api_key: str | None = None,
        *,
        base_url: str | None = None,
        timeout: float | None = DEFAULT_TIMEOUT,
        max_retries: int = DEFAULT_MAX_RETRIES,
        http_client: httpx.AsyncClient | None = None,
    ) -> None:
        self._transport = AsyncTransport(
            resolve_base_url(base_url),
            timeout=timeout,
            max_retries=max_retries,
            http_client=http_client,
            headers={"x-api-key": resolve_api_key(api_key)},
        )

    @property
    def base_url(self) -> str:
        """The server's root URL the client talks to."""
        return self._transport.base_url

    async def get(self, namespace: str, key: str) -> Item:
        """The item at ``key``, with its ``etag``; raises `NotFound` if absent."""
        return await self._transport.send(calls.get_item(namespace, key))

    async def put(
        self,
        namespace: str,
        key: str,
        value: Any,
        *,
        if_match: str | None = None,
        only_if_absent: bool = False,
        ttl: int | None = None,
        expires_at: int | None = None,
        metadata: Mapping[str, Any] | None = None,
    ) -> WriteResult:
        """Store ``value`` (anything JSON can hold) at ``key``, creating or replacing it.

        ``ttl`` (seconds from now) or ``expires_at`` (a unix second) makes the item
        expire, to the second; without either it is permanent. ``metadata`` (a JSON
        object of at most 1024 bytes) is kept beside the value until the next put.

        ``if_match=etag`` replaces only the item with that ETag (compare-and-swap);
        ``only_if_absent=True`` creates only. A lost condition raises
        `PreconditionFailed`, except after a retried attempt that may have been
        applied: then the item is read back, and if it holds ``value`` the write is done.
        """
        request = calls.put_item(
            namespace,
            key,
            value,
            if_match=if_match,
            only_if_absent=only_if_absent,
            ttl=ttl,
            expires_at=expires_at,
            metadata=metadata,
        )
        try:
            return await self._transport.send(request)
        except errors.PreconditionFailed as failed:
            if not self._transport.may_have_applied(failed):
                raise
            current = await self._get_or_none(namespace, key)
            return calls.write_found(failed, current, value, only_if_absent=only_if_absent)

    async def increment(
        self,
        namespace: str,
        key: str,
        by: int | float = 1,
        *,
        ttl: int | None = None,
        expires_at: int | None = None,
    ) -> Item:
        """Add ``by`` to the number at ``key`` atomically (a missing item starts at 0)
        and return the item; as `KVClient.increment`, never retried once the request
        may have reached the server."""
        request = calls.increment_item(namespace, key, by, ttl=ttl, expires_at=expires_at)
        return await self._transport.send(request)

    async def patch(
        self, namespace: str, key: str, patch: Any, *, if_match: str | None = None
    ) -> Item:
        """Apply ``patch``, a JSON merge patch (RFC 7396), to the value at ``key``
        atomically and return the item; as `KVClient.patch`."""
        request = calls.patch_item(namespace, key, patch, if_match=if_match)
        return await self._transport.send(request)

    async def get_many(self, namespace: str, keys: Iterable[str]) -> ManyItems:
        """The items at ``keys`` (in the order asked, each key once) and the keys that
        are missing, in one request per 100 keys. A bulk get's answer carries no ETags:
        its items' ``etag`` is empty unless the server sends one (`get` reads it)."""
        wanted = calls.unique(keys)
        answers = [
            await self._transport.send(calls.get_many(namespace, chunk))
            for chunk in calls.chunks(wanted, calls.MAX_BULK_GET)
        ]
        items, missing = calls.in_order(wanted, answers)
        return ManyItems(items, missing)

    async def put_many(self, namespace: str, items: Mapping[str, Any] | Iterable[BulkItem]) -> int:
        """Store many items (a mapping of key to value, or `BulkItem` records) in one
        request per 1000 items or 10 MiB; returns how many were written."""
        written = start = 0
        for count, body in calls.put_batches(calls.bulk_items(items)):
            try:
                answer = await self._transport.send(calls.put_many(namespace, body))
            except errors.KVError as error:
                raise calls.shifted(error, start) from None
            written += answer.written or 0
            start += count
        return written

    async def delete_many(self, namespace: str, keys: Iterable[str]) -> int:
        """Delete the items at ``keys``, in one request per 1000 keys; returns how many
        there were."""
        deleted = start = 0
        for chunk in calls.chunks(calls.unique(keys), calls.MAX_BULK_DELETE):
            try:
                answer = await self._transport.send(calls.delete_many(namespace, chunk))
            except errors.KVError as error:
                raise calls.shifted(error, start) from None
            deleted += answer.deleted or 0
            start += len(chunk)
        return deleted

    def atomic(self, namespace: str) -> AsyncAtomic:
        """An atomic operation on keys of ``namespace``: chain ``check``, ``put``,
        ``delete`` and ``increment``, then ``await commit()`` (see `kv_sdk.atomic`). At most
        50 keys; a failed check raises `CheckFailed` and nothing is written."""
        return AsyncAtomic(namespace, self._transport.send)

    async def count(self, namespace: str, prefix: str | None = None) -> int:
        """How many live items have keys starting with ``prefix`` (the whole
        namespace without one)."""
        return await self._transport.send(calls.count_keys(namespace, prefix=prefix))

    async def delete_prefix(
        self, namespace: str, prefix: str, *, page_size: int | None = None
    ) -> int:
        """Delete every item whose key starts with ``prefix`` (not empty), a page of up
        to ``page_size`` (at most 1000) per request until none are left; returns how
        many were deleted."""
        deleted = 0
        while True:
            answer = await self._transport.send(
                calls.delete_prefix(namespace, prefix, limit=page_size)
            )
            deleted += answer.deleted or 0
            if not answer.more:
                return deleted

    async def delete(self, namespace: str, key: str, *, if_match: str | None = None) -> None:
        """Delete the item at ``key``; raises `NotFound` if there is none.

        ``if_match=etag`` deletes only the item with that ETag. A 404 that follows a
        retried attempt which may have been applied counts as done: the item is gone.
        """
        try:
            await self._transport.send(calls.delete_item(namespace, key, if_match=if_match))
        except errors.NotFound as missing:
            if not self._transport.may_have_applied(missing):
                raise

    async def list(
        self,
        namespace: str,
        prefix: str | None = None,
        limit: int | None = None,
        cursor: str | None = None,
        details: bool = False,
        *,
        start: str | None = None,
        end: str | None = None,
        reverse: bool = False,
    ) -> Page:
        """One page of keys in key order, starting with ``prefix`` if given.

        ``limit`` is the page size (1 to 1000, the server's default 100); pass the
        page's ``cursor`` to get the next one, until it is ``None``. ``details=True``
        fills the page's ``items`` with each key's `KeyInfo`; ``start`` (inclusive)
        and ``end`` (exclusive) bound the keys, and ``reverse=True`` walks them from the
        end (the cursor carries both).
        """
        request = calls.list_keys(
            namespace,
            prefix=prefix,
            limit=limit,
            cursor=cursor,
            details=details,
            start=start,
            end=end,
            reverse=reverse,
        )
        return await self._transport.send(request)

    async def iter_keys(
        self,
        namespace: str,
        prefix: str | None = None,
        *,
        page_size: int | None = None,
        start: str | None = None,
        end: str | None = None,
        reverse: bool = False,
    ) -> AsyncIterator[str]:
        """Every key of the namespace (starting with ``prefix``), walking all pages:
        ``async for key in kv.iter_keys("app")``."""
        cursor: str | None = None
        while True:
            page = await self.list(
                namespace,
                prefix=prefix,
                limit=page_size,
                cursor=cursor,
                start=start,
                end=end,
                reverse=reverse,
            )
            for key in page.keys:
                yield key
            if not page.cursor:
                return
            cursor = page.cursor

    async def iter_key_info(
        self, namespace: str, prefix: str | None = None, *, page_size: int | None = None
    ) -> AsyncIterator[KeyInfo]:
        """Each key's `KeyInfo`, walking the detailed pages:
        ``async for info in kv.iter_key_info("app")``."""
        cursor: str | None = None
        while True:
            page = await self.list(
                namespace, prefix=prefix, limit=page_size, cursor=cursor, details=True
            )
            for info in page.items or ():
                yield info
            if not page.cursor:
                return
            cursor = page.cursor

    async def iter_items(
        self, namespace: str, prefix: str | None = None, *, page_size: int | None = None
    ) -> AsyncIterator[Item]:
        """Every item of the namespace in key order, with its ``etag``: one GET per key
        (`get_many` reads a hundred keys a request, without ETags). Items deleted
        between listing and reading are skipped."""
        async for key in self.iter_keys(namespace, prefix, page_size=page_size):
            item = await self._get_or_none(namespace, key)
            if item is not None:
                yield item

    def changes(
        self,
        namespace: str,
        prefix: str | None = None,
        since: str | None = None,
        wait: int = MAX_WAIT,
    ) -> AsyncChangeFeed:
        """Follow the namespace's change feed as ``KVClient.changes`` does: an async
        iterator of `Change` records that never ends by itself, with its ``cursor``.

            feed = kv.changes("app", since=saved)
            async for change in feed:
                handle(change)
                saved = feed.cursor
        """
        return AsyncChangeFeed(self._transport, namespace, prefix=prefix, since=since, wait=wait)

    def __repr__(self) -> str:
        return f"AsyncKVClient(base_url={self.base_url!r})"

    async def _get_or_none(self, namespace: str, key: str) -> Item | None:
        try:
            return await self.get(namespace, key)
        except errors.NotFound:
            return None
