"""One exception hierarchy for everything the SDK can raise about the service.

Every error carries the HTTP ``status``, the server's ``code`` and ``message`` (from
its ``{"error", "code"}`` body; ``index`` names the refused entry of a bulk call) and
the ``response`` (a ``requests.Response`` from the sync clients, an ``httpx.Response``
from the async ones); errors that happen before any answer (a refused connection, a
timeout, a missing API key) have ``None`` there.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from kv_sdk.answer import Answer


class KVError(Exception):
    """The base of every error the SDK raises about the service or its own setup."""

    def __init__(
        self,
        message: str,
        *,
        status: int | None = None,
        code: str | None = None,
        response: Answer | None = None,
        index: int | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.status = status
        self.code = code
        self.response = response
        # The entry of a bulk call the server refused (counted in what was passed to
        # the SDK's method, across the requests it split the call into).
        self.index = index

    @property
    def request_id(self) -> str | None:
        """The server's ``X-Request-Id`` of the failed call, to quote in a support request."""
        if self.response is None:
            return None
        return self.response.headers.get("X-Request-Id")

    def __str__(self) -> str:
        parts = [str(self.status)] if self.status is not None else []
        if self.code:
            parts.append(self.code)
        prefix = " ".join(parts)
        return f"{prefix}: {self.message}" if prefix else self.message


class ConfigurationError(KVError):
    """The client cannot be built as asked, e.g. no API key given nor in ``KV_API_KEY``."""


class TransportError(KVError):
    """No answer from the server: connection refused or reset, DNS failure, timeout
    (after the retries the client allows)."""


class InvalidRequest(KVError):
    """400: the server refused the request as malformed (bad JSON, bad limit or cursor,
    invalid name or key)."""


class AuthenticationError(KVError):
    """401: missing, unknown or revoked API key, expired token, or wrong credentials."""


class PermissionDenied(KVError):
    """403: the key belongs to another namespace, or a read-only key tried to write."""


class NotFound(KVError):
    """404: no such item, namespace or API key."""


class Conflict(KVError):
    """409: the name or email is already taken, or the item's value does not allow the
    operation (see the subclasses)."""


class NotANumber(Conflict):
    """409 ``not_a_number``: ``increment`` met a stored value that is not a number."""


class NumberOutOfRange(Conflict):
    """409 ``number_out_of_range``: the sum of an ``increment`` has more digits than a
    stored number may have."""


class PatchContended(Conflict):
    """409 ``patch_contended``: other writes to the item won every attempt of a
    ``patch``; nothing was changed, and trying again is safe."""


class PreconditionFailed(KVError):
    """412: a conditional write lost: the item changed since its ETag was read, or it
    already exists when ``only_if_absent`` was asked."""


class CheckFailed(PreconditionFailed):
    """412 ``check_failed``: an atomic operation's checks did not hold; ``failed`` names
    their keys. Nothing was written."""

    def __init__(
        self,
        message: str,
        *,
        status: int | None = None,
        code: str | None = None,
        response: Answer | None = None,
        failed: list[str] | None = None,
    ) -> None:
        super().__init__(message, status=status, code=code, response=response)
        self.failed: list[str] = list(failed or [])


class PayloadTooLarge(KVError):
    """413: the value is larger than the service accepts (256 KiB of compact JSON)."""


class UnsupportedMediaType(KVError):
    """415: the body's content type is not the one the operation takes (a patch is
    ``application/merge-patch+json``)."""


class RateLimited(KVError):
    """429: too many requests; ``retry_after`` is the server's wait in seconds, if given."""

    def __init__(
        self,
        message: str,
        *,
        status: int | None = None,
        code: str | None = None,
        response: Answer | None = None,
        retry_after: int | None = None,
    ) -> None:
        super().__init__(message, status=status, code=code, response=response)
        self.retry_after = retry_after


class QuotaExceeded(RateLimited):
    """429: the plan's monthly request quota (``retry_after`` says until the next month)
    or its storage quota (no ``retry_after``: delete items or upgrade) is reached."""


class Gone(KVError):
    """410: what was asked for existed once and is no longer kept."""


class CursorExpired(Gone):
    """410 ``cursor_expired``: a change feed's cursor is older than the changes the
    server keeps (``changes_retention_seconds``, 24 hours by default); start again from
    ``since="now"`` or from the oldest kept (no ``since``), after a full read."""


class ServerError(KVError):
    """5xx: the service failed; idempotent calls were already retried."""
