"""``KVClient``: the data plane (items of a namespace) with a namespace-scoped API key."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from typing import Any

import requests

from kv_sdk import calls, errors
from kv_sdk._env import resolve_api_key, resolve_base_url
from kv_sdk.atomic import Atomic
from kv_sdk.calls import item_path as item_path
from kv_sdk.calls import namespace_path as namespace_path
from kv_sdk.changes import MAX_WAIT, ChangeFeed
from kv_sdk.encoding import etag_header as etag_header
from kv_sdk.encoding import same_json as same_json
from kv_sdk.models import BulkItem, Item, KeyInfo, ManyItems, Page, WriteResult
from kv_sdk.transport import DEFAULT_MAX_RETRIES, DEFAULT_TIMEOUT, PooledClient, Transport

# The largest page the API serves (its list `limit` is 1 to 1000).
MAX_PAGE_SIZE = 1000


class KVClient(PooledClient):
    """Read and write JSON values by key, as the REST API's ``/v1/{namespace}/{key}``.

    ``api_key`` defaults to ``KV_API_KEY`` and ``base_url`` to ``KV_BASE_URL``, then to
    ``http://127.0.0.1:8000`` (``kv-storage serve``). Every call has a ``timeout`` in
    seconds (``None`` waits forever). GET, PUT and DELETE are retried up to
    ``max_retries`` times on connection failures and 502/503/504, honouring
    ``Retry-After``; ``increment``, ``patch`` and the bulk calls (POST and PATCH) only
    when the connection was never made, since an attempt that reached the server may
    have been applied. Pass a ``session`` of your own to control pooling, proxies or
    retries yourself; the client then uses it as is and does not close it.

    Use it as a context manager, or call `close`, to release its connections:

        with KVClient() as kv:
            kv.put("app", "user:42", {"name": "Ada"})
            print(kv.get("app", "user:42").value)
    """

    def __init__(
        self,
        api_key: str | None = None,
        *,
        base_url: str | None = None,
        timeout: float | None = DEFAULT_TIMEOUT,
        max_retries: int = DEFAULT_MAX_RETRIES,
        session: requests.Session | None = None,
    ) -> None:
        self._transport = Transport(
            resolve_base_url(base_url),
            timeout=timeout,
            max_retries=max_retries,
            session=session,
            headers={"x-api-key": resolve_api_key(api_key)},
        )

    @property
    def base_url(self) -> str:
        """The server's root URL the client talks to."""
        return self._transport.base_url

    def get(self, namespace: str, key: str) -> Item:
        """The item at ``key``, with its ``etag``; raises `NotFound` if absent."""
        return self._transport.send(calls.get_item(namespace, key))

    def put(
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
        `PreconditionFailed`. When a retry of a conditional write meets a 412
        after an earlier attempt may have been applied, the item is read back: if it
        holds ``value``, the write is reported as done instead of as a spurious 412.
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
            return self._transport.send(request)
        except errors.PreconditionFailed as failed:
            if not self._transport.may_have_applied(failed):
                raise
            current = self._get_or_none(namespace, key)
            return calls.write_found(failed, current, value, only_if_absent=only_if_absent)

    def increment(
        self,
        namespace: str,
        key: str,
        by: int | float = 1,
        *,
        ttl: int | None = None,
        expires_at: int | None = None,
    ) -> Item:
        """Add ``by`` (any number, negative too) to the number at ``key`` atomically, and
        return the item with its new value; a missing item starts at 0.

        Concurrent increments never lose one. The expiry is kept unless ``ttl`` or
        ``expires_at`` names a new one. Raises `NotANumber` when the stored value is
        not a number. Never retried once the request may have reached the server: an
        increment is not idempotent.
        """
        request = calls.increment_item(namespace, key, by, ttl=ttl, expires_at=expires_at)
        return self._transport.send(request)

    def patch(self, namespace: str, key: str, patch: Any, *, if_match: str | None = None) -> Item:
        """Apply ``patch``, a JSON merge patch (RFC 7396: a field set to ``None`` is
        removed, an object is merged, anything else replaces), to the value at ``key``
        atomically, and return the item with its new value.

        ``if_match=etag`` patches only the item with that ETag. Raises `NotFound` when
        there is no item, `PreconditionFailed` when the ETag is not its own, and
        `PatchContended` when other writes won every attempt (nothing changed).
        """
        return self._transport.send(calls.patch_item(namespace, key, patch, if_match=if_match))

    def get_many(self, namespace: str, keys: Iterable[str]) -> ManyItems:
        """The items at ``keys`` (in the order asked, each key once) and the keys that
        are missing, in one request per 100 keys. A bulk get's answer carries no ETags:
        its items' ``etag`` is empty unless the server sends one (`get` reads it)."""
        wanted = calls.unique(keys)
        answers = [
            self._transport.send(calls.get_many(namespace, chunk))
            for chunk in calls.chunks(wanted, calls.MAX_BULK_GET)
        ]
        items, missing = calls.in_order(wanted, answers)
        return ManyItems(items, missing)

    def put_many(self, namespace: str, items: Mapping[str, Any] | Iterable[BulkItem]) -> int:
        """Store many items, a mapping of key to value or `BulkItem` records (with
        their own ``ttl``, ``expires_at`` and ``metadata``); returns how many were
        written.

        One request per 1000 items (fewer when they pass 10 MiB), each checked whole by
        the server before it writes any of its items; a failure raises and leaves the
        requests after it unsent.
        """
        written = start = 0
        for count, body in calls.put_batches(calls.bulk_items(items)):
            try:
                answer = self._transport.send(calls.put_many(namespace, body))
            except errors.KVError as error:
                raise calls.shifted(error, start) from None
            written += answer.written or 0
            start += count
        return written

    def delete_many(self, namespace: str, keys: Iterable[str]) -> int:
        """Delete the items at ``keys``, in one request per 1000 keys; returns how many
        there were (keys with no item are not counted)."""
        deleted = start = 0
        for chunk in calls.chunks(calls.unique(keys), calls.MAX_BULK_DELETE):
            try:
                answer = self._transport.send(calls.delete_many(namespace, chunk))
            except errors.KVError as error:
                raise calls.shifted(error, start) from None
            deleted += answer.deleted or 0
            start += len(chunk)
        return deleted

    def atomic(self, namespace: str) -> Atomic:
        """An atomic operation on keys of ``namespace``: chain ``check``, ``put``,
        ``delete`` and ``increment``, then ``commit()`` (see `kv_sdk.atomic`). At most
        50 keys; a failed check raises `CheckFailed` and nothing is written."""
        return Atomic(namespace, self._transport.send)

    def count(self, namespace: str, prefix: str | None = None) -> int:
        """How many live items have keys starting with ``prefix`` (the whole
        namespace without one)."""
        return self._transport.send(calls.count_keys(namespace, prefix=prefix))

    def delete_prefix(self, namespace: str, prefix: str, *, page_size: int | None = None) -> int:
        """Delete every item whose key starts with ``prefix`` (not empty), a page of up
        to ``page_size`` (at most 1000) per request until none are left; returns how
        many were deleted."""
        deleted = 0
        while True:
            answer = self._transport.send(calls.delete_prefix(namespace, prefix, limit=page_size))
            deleted += answer.deleted or 0
            if not answer.more:
                return deleted

    def delete(self, namespace: str, key: str, *, if_match: str | None = None) -> None:
        """Delete the item at ``key``; raises `NotFound` if there is none.

        ``if_match=etag`` deletes only the item with that ETag. A 404 that follows a
        retried attempt which may have been applied counts as done: the item is gone.
        """
        try:
            self._transport.send(calls.delete_item(namespace, key, if_match=if_match))
        except errors.NotFound as missing:
            if not self._transport.may_have_applied(missing):
                raise

    def list(
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
        end (the cursor carries both) (version, updatedAt,
        expiry and metadata).
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
        return self._transport.send(request)

    def iter_keys(
        self,
        namespace: str,
        prefix: str | None = None,
        *,
        page_size: int | None = None,
        start: str | None = None,
        end: str | None = None,
        reverse: bool = False,
    ) -> Iterator[str]:
        """Every key of the namespace (starting with ``prefix``), walking all pages."""
        cursor: str | None = None
        while True:
            page = self.list(
                namespace,
                prefix=prefix,
                limit=page_size,
                cursor=cursor,
                start=start,
                end=end,
                reverse=reverse,
            )
            yield from page.keys
            if not page.cursor:
                return
            cursor = page.cursor

    def iter_key_info(
        self, namespace: str, prefix: str | None = None, *, page_size: int | None = None
    ) -> Iterator[KeyInfo]:
        """Each key's `KeyInfo` (version, updatedAt, expiry, metadata), walking the
        detailed pages."""
        cursor: str | None = None
        while True:
            page = self.list(namespace, prefix=prefix, limit=page_size, cursor=cursor, details=True)
            yield from page.items or ()
            if not page.cursor:
                return
            cursor = page.cursor

    def iter_items(
        self, namespace: str, prefix: str | None = None, *, page_size: int | None = None
    ) -> Iterator[Item]:
        """Every item of the namespace in key order, with its ``etag``: one GET per key
        (`get_many` reads a hundred keys a request, without ETags). Items deleted
        between listing and reading are skipped."""
        for key in self.iter_keys(namespace, prefix, page_size=page_size):
            item = self._get_or_none(namespace, key)
            if item is not None:
                yield item

    def changes(
        self,
        namespace: str,
        prefix: str | None = None,
        since: str | None = None,
        wait: int = MAX_WAIT,
    ) -> ChangeFeed:
        """Follow the namespace's change feed: an iterator of `Change` records, in the
        order they happened, that never ends by itself (break out of it when done).

        ``since`` is a cursor kept from an earlier feed (its ``cursor``), ``"now"`` for
        what happens from now on, or ``None`` for everything still kept; ``prefix``
        keeps only the keys that start with it; ``wait`` (1 to 25 seconds) is how long
        each request is held by the server while nothing happens. Dropped connections,
        5xx and 429 answers are waited out and resumed from the feed's cursor; a cursor
        older than what the server keeps raises `CursorExpired`.

            feed = kv.changes("app", since=saved)
            for change in feed:
                handle(change)
                saved = feed.cursor
        """
        return ChangeFeed(self._transport, namespace, prefix=prefix, since=since, wait=wait)

    def __repr__(self) -> str:
        return f"KVClient(base_url={self.base_url!r})"

    def _get_or_none(self, namespace: str, key: str) -> Item | None:
        try:
            return self.get(namespace, key)
        except errors.NotFound:
            return None
