"""HTTP for the sync clients: one pooled requests session, retries, timeouts, and error
mapping; and the retry rules the async transport (`kv_sdk.aio.transport`) follows too.

Retries (urllib3 ``Retry`` on the session's adapter) cover connection failures and
502, 503 and 504 answers for GET, PUT and DELETE, with exponential backoff, waiting
what ``Retry-After`` asks (at most `MAX_RETRY_AFTER` seconds). POST and PATCH
(increment, merge patch, bulk get, put and delete) are never retried once a request
could have reached the server: only a connection that was never made is tried again.
429 is not retried: quotas are monthly.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import TracebackType
from typing import Any, Self, TypeVar

import requests
from requests.__version__ import __version__ as requests_version
from requests.adapters import HTTPAdapter
from urllib3.exceptions import ConnectTimeoutError
from urllib3.response import BaseHTTPResponse
from urllib3.util.retry import Retry

from kv_sdk import errors
from kv_sdk._version import __version__
from kv_sdk.answer import error_from_answer
from kv_sdk.calls import Request

T = TypeVar("T")

DEFAULT_TIMEOUT = 10.0
DEFAULT_MAX_RETRIES = 3
RETRY_STATUSES = frozenset({502, 503, 504})
RETRIED_METHODS = frozenset({"GET", "HEAD", "PUT", "DELETE", "OPTIONS"})
BACKOFF_FACTOR = 0.25
BACKOFF_MAX = 10.0
MAX_RETRY_AFTER = 60.0
USER_AGENT = f"kv-sdk/{__version__} python-requests/{requests_version}"


class _Retry(Retry):
    """urllib3's ``Retry``, but only for `RETRY_STATUSES` (urllib3 would also
    retry any 413 or 429 that carries ``Retry-After``, and a monthly quota's wait is
    days), sleeping at most `MAX_RETRY_AFTER` seconds."""

    def is_retry(self, method: str, status_code: int, has_retry_after: bool = False) -> bool:
        return status_code in RETRY_STATUSES and super().is_retry(
            method, status_code, has_retry_after
        )

    def get_retry_after(self, response: BaseHTTPResponse) -> float | None:
        wait = super().get_retry_after(response)
        return None if wait is None else min(wait, MAX_RETRY_AFTER)


def retry_policy(max_retries: int) -> Retry:
    """The retry policy the clients mount: see the module's docstring."""
    return _Retry(
        total=max_retries,
        allowed_methods=RETRIED_METHODS,
        status_forcelist=RETRY_STATUSES,
        backoff_factor=BACKOFF_FACTOR,
        backoff_max=BACKOFF_MAX,
        respect_retry_after_header=True,
        raise_on_status=False,
    )


def make_session(max_retries: int) -> requests.Session:
    """A session whose one connection pool per host retries as `retry_policy` says."""
    session = requests.Session()
    adapter = HTTPAdapter(max_retries=retry_policy(max_retries))
    session.mount("http://", adapter)
    session.mount("https://", adapter)
    return session


def reached_server_before(response: requests.Response) -> bool:
    """Whether an earlier, retried attempt of this call may have been applied.

    True when a retry followed an answer (502, 503, 504) or a lost response, as opposed
    to a connection that was never made.
    """
    retries = getattr(response.raw, "retries", None)
    for attempt in getattr(retries, "history", None) or ():
        if attempt.status is not None:
            return True
        if attempt.error is not None and not isinstance(attempt.error, ConnectTimeoutError):
            return True
    return False


def error_from_response(response: requests.Response) -> errors.KVError:
    """The SDK's exception for an error answer, with the server's ``code`` and message."""
    method = response.request.method
    fallback = f"{response.status_code} {response.reason or 'error'} from {method} {response.url}"
    return error_from_answer(response, fallback)


class Transport:
    """The base URL, default headers, timeout and session that both clients share."""

    def __init__(
        self,
        base_url: str,
        *,
        timeout: float | None,
        max_retries: int,
        session: requests.Session | None,
        headers: Mapping[str, str] | None = None,
    ) -> None:
        self.base_url = base_url
        self.timeout = timeout
        self.owns_session = session is None
        self.session = make_session(max_retries) if session is None else session
        self.headers = {"User-Agent": USER_AGENT, "Accept": "application/json", **(headers or {})}

    def send(self, request: Request[T]) -> T:
        """Send a request built by `kv_sdk.calls` and read its result."""
        answer = self.request(
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
        response = error.response
        return isinstance(response, requests.Response) and reached_server_before(response)

    def request(
        self,
        method: str,
        path: str,
        *,
        params: Mapping[str, Any] | None = None,
        headers: Mapping[str, str] | None = None,
        body: bytes | None = None,
        held: float = 0.0,
    ) -> requests.Response:
        """Send one call to ``base_url + path``; raise the SDK's error for a 4xx or 5xx
        answer, and `TransportError` when no answer came. ``held`` (seconds the server
        may hold the answer, a long poll) lengthens the timeout."""
        merged = {**self.headers, **(headers or {})}
        if body is not None:
            merged.setdefault("Content-Type", "application/json")
        try:
            response = self.session.request(
                method,
                self.base_url + path,
                params=params,
                data=body,
                headers=merged,
                timeout=None if self.timeout is None else self.timeout + held,
            )
        except requests.Timeout as exc:
            raise errors.TransportError(
                f"{method} {self.base_url}{path} timed out after {self.timeout} s."
            ) from exc
        except requests.RequestException as exc:
            raise errors.TransportError(f"Could not reach {self.base_url}: {_reason(exc)}") from exc
        if response.status_code >= 400:
            raise error_from_response(response)
        return response

    def close(self) -> None:
        """Close the session's connections, if this transport made the session."""
        if self.owns_session:
            self.session.close()


def _reason(exc: requests.RequestException) -> str:
    """The innermost cause of a connection failure, without urllib3's object reprs."""
    reason: BaseException = exc
    while reason.args and isinstance(reason.args[0], BaseException):
        reason = reason.args[0]
    inner = getattr(reason, "reason", None)
    if isinstance(inner, BaseException):
        reason = inner
    text = str(reason)
    return text.split("): ", 1)[-1] if text.startswith(("<", "HTTP")) else text


class PooledClient:
    """What both clients share: a `Transport`, closed by ``close()`` or at the end
    of a ``with`` block."""

    _transport: Transport

    def close(self) -> None:
        """Release the pooled connections (not those of a session you passed in)."""
        self._transport.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()
