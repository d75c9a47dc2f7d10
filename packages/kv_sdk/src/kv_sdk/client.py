"""``KVClient``: the data plane (items of a namespace) with a namespace-scoped API key."""

from __future__ import annotations

import builtins
import json
from collections.abc import Iterator
from typing import Any
from urllib.parse import quote

import requests

from kv_sdk import errors
from kv_sdk._env import resolve_api_key, resolve_base_url
from kv_sdk.models import Item, Page, WriteResult
from kv_sdk.transport import (
    DEFAULT_MAX_RETRIES,
    DEFAULT_TIMEOUT,
    PooledClient,
    Transport,
    encode_json,
    reached_server_before,
)

# The largest page the API serves (its list `limit` is 1 to 1000).
MAX_PAGE_SIZE = 1000


class KVClient(PooledClient):
    """Read and write JSON values by key, as the REST API's ``/v1/{namespace}/{key}``.

    ``api_key`` defaults to ``KV_API_KEY`` and ``base_url`` to ``KV_BASE_URL``, then to
    ``http://127.0.0.1:8000`` (``kv-storage serve``). Every call has a ``timeout`` in
    seconds (``None`` waits forever). GET, PUT and DELETE are retried up to
    ``max_retries`` times on connection failures and 502/503/504, honouring
    ``Retry-After``. Pass a ``session`` of your own to control pooling, proxies or
    retries yourself; the client then uses it as is and does not close it.

    Use it as a context manager, or call :meth:`close`, to release its connections::

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
        """The item at ``key``, with its ``etag``; raises :class:`NotFound` if absent."""
        response = self._transport.request("GET", item_path(namespace, key))
        data = response.json()
        return Item(
            key=data["key"],
            value=data["value"],
            etag=response.headers["ETag"],
            version=data.get("version"),
            updated_at=data.get("updatedAt"),
        )

    def put(
        self,
        namespace: str,
        key: str,
        value: Any,
        *,
        if_match: str | None = None,
        only_if_absent: bool = False,
    ) -> WriteResult:
        """Store ``value`` (anything JSON can hold) at ``key``, creating or replacing it.

        ``if_match=etag`` replaces only the item with that ETag (compare-and-swap);
        ``only_if_absent=True`` creates only. A lost condition raises
        :class:`PreconditionFailed`. When a retry of a conditional write meets a 412
        after an earlier attempt may have been applied, the item is read back: if it
        holds ``value``, the write is reported as done instead of as a spurious 412.
        """
        if if_match is not None and only_if_absent:
            raise ValueError("Pass if_match or only_if_absent, not both.")
        headers: dict[str, str] = {}
        if if_match is not None:
            headers["If-Match"] = etag_header(if_match)
        if only_if_absent:
            headers["If-None-Match"] = "*"
        body = encode_json(value)
        path = item_path(namespace, key)
        try:
            response = self._transport.request("PUT", path, headers=headers, body=body)
        except errors.PreconditionFailed as failed:
            if failed.response is None or not reached_server_before(failed.response):
                raise
            current = self._get_or_none(namespace, key)
            if current is None or not same_json(current.value, value):
                raise
            return WriteResult(
                key=current.key,
                etag=current.etag,
                created=only_if_absent,
                version=current.version,
                updated_at=current.updated_at,
            )
        data = response.json()
        return WriteResult(
            key=data.get("key", key),
            etag=response.headers["ETag"],
            created=response.status_code == 201,
            version=data.get("version"),
            updated_at=data.get("updatedAt"),
        )

    def delete(self, namespace: str, key: str, *, if_match: str | None = None) -> None:
        """Delete the item at ``key``; raises :class:`NotFound` if there is none.

        ``if_match=etag`` deletes only the item with that ETag. A 404 that follows a
        retried attempt which may have been applied counts as done: the item is gone.
        """
        headers = {"If-Match": etag_header(if_match)} if if_match is not None else None
        try:
            self._transport.request("DELETE", item_path(namespace, key), headers=headers)
        except errors.NotFound as missing:
            if missing.response is None or not reached_server_before(missing.response):
                raise

    def list(
        self,
        namespace: str,
        prefix: str | None = None,
        limit: int | None = None,
        cursor: str | None = None,
    ) -> Page:
        """One page of keys in key order, starting with ``prefix`` if given.

        ``limit`` is the page size (1 to 1000, the server's default 100); pass the
        page's ``cursor`` to get the next one, until it is ``None``.
        """
        params: dict[str, str] = {}
        if prefix:
            params["prefix"] = prefix
        if limit is not None:
            params["limit"] = str(limit)
        if cursor:
            params["cursor"] = cursor
        data = self._transport.request("GET", namespace_path(namespace), params=params).json()
        return Page(keys=builtins.list(data["keys"]), cursor=data.get("cursor"))

    def iter_keys(
        self, namespace: str, prefix: str | None = None, *, page_size: int | None = None
    ) -> Iterator[str]:
        """Every key of the namespace (starting with ``prefix``), walking all pages."""
        cursor: str | None = None
        while True:
            page = self.list(namespace, prefix=prefix, limit=page_size, cursor=cursor)
            yield from page.keys
            if not page.cursor:
                return
            cursor = page.cursor

    def iter_items(
        self, namespace: str, prefix: str | None = None, *, page_size: int | None = None
    ) -> Iterator[Item]:
        """Every item of the namespace in key order: one GET per key. Items deleted
        between listing and reading are skipped."""
        for key in self.iter_keys(namespace, prefix, page_size=page_size):
            item = self._get_or_none(namespace, key)
            if item is not None:
                yield item

    def __repr__(self) -> str:
        return f"KVClient(base_url={self.base_url!r})"

    def _get_or_none(self, namespace: str, key: str) -> Item | None:
        try:
            return self.get(namespace, key)
        except errors.NotFound:
            return None


def namespace_path(namespace: str) -> str:
    """``/v1/{namespace}``, quoted."""
    if not namespace:
        raise ValueError("The namespace must not be empty.")
    return f"/v1/{quote(namespace, safe='')}"


def item_path(namespace: str, key: str) -> str:
    """``/v1/{namespace}/{key}`` with every reserved character of the key quoted
    (``/`` too), so ``a/b``, ``?``, ``#``, ``%`` and spaces reach the server intact.

    A key of only dots is quoted whole, since ``.`` and ``..`` path segments would
    otherwise be resolved away by URL normalisation.
    """
    if not key:
        raise ValueError("The key must not be empty.")
    quoted = quote(key, safe="")
    if quoted.strip(".") == "":
        quoted = quoted.replace(".", "%2E")
    return f"{namespace_path(namespace)}/{quoted}"


def etag_header(etag: str) -> str:
    """An ETag as ``If-Match`` wants it: quoted, unless already quoted, weak or ``*``."""
    if etag == "*" or etag.startswith(('"', "W/")):
        return etag
    return f'"{etag}"'


def same_json(left: Any, right: Any) -> bool:
    """Whether two values are the same JSON document (key order aside)."""
    return json.dumps(left, sort_keys=True) == json.dumps(right, sort_keys=True)
