"""HTTP for the async clients: one httpx connection pool, the sync transport's retry
rules (`kv_sdk.transport`), timeouts, and the same error mapping.

httpx retries nothing by itself, so the rules are applied here: connection failures
and 502, 503 and 504 answers are retried for GET, PUT and DELETE, with the same
exponential backoff, waiting what ``Retry-After`` asks (at most
``kv_sdk.transport.MAX_RETRY_AFTER`` seconds); POST and PATCH only when the connection
was never made; 429 never.
"""

from __future__ import annotations

import asyncio
import os
import weakref
from collections.abc import Mapping
from types import TracebackType
from typing import Self, TypeVar

import httpx

from kv_sdk import errors
from kv_sdk import transport as rules
from kv_sdk._version import __version__
from kv_sdk.answer import error_from_answer, retry_after_seconds
from kv_sdk.calls import Request

T = TypeVar("T")

USER_AGENT = f"kv-sdk/{__version__} python-httpx/{httpx.__version__}"
# Failures after which the request cannot have reached the server.
NEVER_SENT = (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout)


def backoff(failures: int) -> float:
    """The wait after ``failures`` failed attempts, as urllib3's ``Retry`` counts it:
    none after the first, then ``BACKOFF_FACTOR * 2 ** (failures - 1)`` up to
    ``BACKOFF_MAX``."""
    if failures <= 1:
        return 0.0
    return float(min(rules.BACKOFF_MAX, rules.BACKOFF_FACTOR * 2 ** (failures - 1)))


def asked_wait(response: httpx.Response) -> float | None:
    """The wait a retried answer's ``Retry-After`` asks for, capped at
    ``MAX_RETRY_AFTER``; ``None`` when it asks for none (the backoff applies then)."""
    asked = retry_after_seconds(response.headers)
    return min(float(asked), rules.MAX_RETRY_AFTER) if asked else None


def error_from_response(response: httpx.Response) -> errors.KVError:
    """The SDK's exception for an error answer, with the server's ``code`` and message."""
    method = response.request.method
    reason = response.reason_phrase or "error"
    fallback = f"{response.status_code} {reason} from {method} {response.url}"
    return error_from_answer(response, fallback)


class AsyncTransport:
    """The base URL, default headers, timeout, retries and httpx client that both async
    clients share."""

    def __init__(
        self,
        base_url: str,
        *,
        timeout: float | None,
        max_retries: int,
        http_client: httpx.AsyncClient | None,
        headers: Mapping[str, str] | None = None,
    ) -> None:
        self.base_url = base_url
        self.timeout = timeout
        self.max_retries = max_retries
        self.owns_client = http_client is None
        self.client = httpx.AsyncClient() if http_client is None else http_client
        self.headers = {"User-Agent": USER_AGENT, "Accept": "application/json", **(headers or {})}
        # Answers that came after a retried attempt which may have been applied.
        self._after_reaching: weakref.WeakSet[httpx.Response] = weakref.WeakSet()

    async def send(self, request: Request[T]) -> T:
        """Send a request built by `kv_sdk.calls` and read its result."""
        answer = await self.request(
            request.method,
            request.path,
            params=request.params or None,
            headers=request.headers,
            body=request.body,
            held=request.held,
        )
        return request.read(answer)

    def may_have_applied(self, error: errors.KVError) -> bool:
        """Whether an attempt retried before ``error``'s answer may have been applied."""
        return isinstance(error.response, httpx.Response) and error.response in self._after_reaching

    async def request(
        self,
        method: str,
        path: str,
        *,
        params: Mapping[str, str] | None = None,
        headers: Mapping[str, str] | None = None,
        body: bytes | None = None,
        held: float = 0.0,
    ) -> httpx.Response:
        """Send one call to ``base_url + path``, retrying as the module says; raise the
        SDK's error for a 4xx or 5xx answer, and `TransportError` when no answer
        came. ``held`` (seconds the server may hold the answer, a long poll) lengthens
        the timeout."""
        merged = {**self.headers, **(headers or {})}
        if body is not None:
            merged.setdefault("Content-Type", "application/json")
        idempotent = method in rules.RETRIED_METHODS
        failures = 0
        reached = False
        while True:
            wait: float | None = None
            try:
                response = await self.client.request(
                    method,
                    self.base_url + path,
                    params=params,
                    content=body,
                    headers=merged,
                    timeout=None if self.timeout is None else self.timeout + held,
                )
            except NEVER_SENT as exc:
                if failures >= self.max_retries:
                    raise self._unreachable(method, path, exc) from exc
            except httpx.TransportError as exc:
                if failures >= self.max_retries or not idempotent:
                    raise self._unreachable(method, path, exc) from exc
                reached = True
            else:
                retry = idempotent and response.status_code in rules.RETRY_STATUSES
                if not retry or failures >= self.max_retries:
                    break
                reached = True
                wait = asked_wait(response)
            failures += 1
            await asyncio.sleep(backoff(failures) if wait is None else wait)
        if reached:
            self._after_reaching.add(response)
        if response.status_code >= 400:
            raise error_from_response(response)
        return response

    async def close(self) -> None:
        """Close the client's connections, if this transport made the client."""
        if self.owns_client:
            await self.client.aclose()

    def _unreachable(self, method: str, path: str, exc: httpx.TransportError) -> errors.KVError:
        if isinstance(exc, httpx.TimeoutException):
            return errors.TransportError(
                f"{method} {self.base_url}{path} timed out after {self.timeout} s."
            )
        return errors.TransportError(f"Could not reach {self.base_url}: {_reason(exc)}")


def _reason(exc: BaseException) -> str:
    """The innermost cause of a connection failure: the operating system's words for it
    (e.g. "Connection refused") when there are some."""
    inner = exc
    while (cause := inner.__cause__ or inner.__context__) is not None:
        inner = cause
    if isinstance(inner, OSError) and inner.errno is not None:
        return os.strerror(inner.errno)
    return str(inner) or str(exc)


class AsyncPooledClient:
    """What both async clients share: an `AsyncTransport`, closed by ``await
    close()`` or at the end of an ``async with`` block."""

    _transport: AsyncTransport

    async def close(self) -> None:
        """Release the pooled connections (not those of an ``http_client`` you passed in)."""
        await self._transport.close()

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        await self.close()
