"""The domain's errors: one small hierarchy, each with a machine-readable ``code``.

HTTP status codes are chosen by the API in one place; nothing here knows about HTTP.
"""

from __future__ import annotations


class KVError(Exception):
    """Base of every error the services raise on purpose."""

    code: str = "error"
    # The position of the bad entry in a bulk request, when one entry is to blame.
    index: int | None = None

    def __init__(self, message: str, *, code: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        if code is not None:
            self.code = code


class InvalidInput(KVError):
    """The caller sent something that breaks a rule (a key, a name, a body, a limit).

    ``index`` names the entry of a bulk request that broke it (its message starts with
    where, such as ``put[3]: ``), so that an answer can point at it.
    """

    code = "invalid_input"

    def __init__(self, message: str, *, code: str | None = None, index: int | None = None):
        super().__init__(message, code=code)
        self.index = index


class NotFound(KVError):
    """The thing asked for does not exist, or is not the caller's to see."""

    code = "not_found"


class Conflict(KVError):
    """The thing to create exists already."""

    code = "conflict"


class Unauthorized(KVError):
    """No credentials, or credentials that are wrong, unknown or revoked."""

    code = "unauthorized"


class Forbidden(KVError):
    """Valid credentials that do not allow this operation."""

    code = "forbidden"


class QuotaExceeded(KVError):
    """A monthly request quota or the storage quota is reached.

    ``retry_after`` is the number of seconds until the quota frees up, when it will
    (the request quota at the next UTC month); ``None`` for storage, which only frees
    up when items are deleted or the plan grows.
    """

    code = "quota_exceeded"

    def __init__(self, message: str, *, code: str | None = None, retry_after: int | None = None):
        super().__init__(message, code=code)
        self.retry_after = retry_after


class TooManyAttempts(KVError):
    """Too many failed attempts (logins) in a short time; wait ``retry_after`` seconds."""

    code = "too_many_attempts"

    def __init__(self, message: str, *, retry_after: int) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class PayloadTooLarge(KVError):
    """A value is larger than the limit."""

    code = "payload_too_large"


class PreconditionFailed(KVError):
    """An ``If-Match`` or ``If-None-Match`` condition did not hold."""

    code = "precondition_failed"


class CheckFailed(PreconditionFailed):
    """An atomic operation's checks did not hold; ``failed`` names their keys. Nothing
    was written."""

    code = "check_failed"

    def __init__(self, message: str, *, failed: list[str], code: str | None = None) -> None:
        super().__init__(message, code=code)
        self.failed = failed


class Gone(KVError):
    """What was asked for existed once and is no longer kept (a change feed's cursor
    older than the retention)."""

    code = "gone"


class StoreUnavailable(KVError):
    """The store cannot answer now: a fault of the store itself (a lock held too long,
    an I/O error, throttling, an outage), not of the request; try again after
    ``retry_after`` seconds. A write refused with it was not acknowledged."""

    code = "store_unavailable"
    default_message = "The store cannot answer right now. Try again in a moment."
    default_retry_after = 1

    def __init__(
        self, message: str | None = None, *, code: str | None = None, retry_after: int | None = None
    ) -> None:
        super().__init__(message or self.default_message, code=code)
        self.retry_after = self.default_retry_after if retry_after is None else retry_after


class StorageFull(StoreUnavailable):
    """The store's disk is full: reads still work, writes wait until there is room."""

    code = "insufficient_storage"
    default_message = (
        "The server's disk is full, so nothing can be written until there is room again."
        " Reads still work."
    )
    default_retry_after = 60
