"""What the SDK reads of an HTTP answer, whichever library (requests or httpx) got it,
and the error an error answer becomes."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Protocol

from kv_sdk.errors import (
    AuthenticationError,
    CheckFailed,
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
    UnsupportedMediaType,
)


class Answer(Protocol):
    """The part of a response both ``requests.Response`` and ``httpx.Response`` offer:
    enough to read a result or an error from it."""

    @property
    def status_code(self) -> int:
        """The HTTP status."""
        ...

    @property
    def headers(self) -> Mapping[str, str]:
        """The response headers, looked up without regard to case."""
        ...

    @property
    def text(self) -> str:
        """The body as text, e.g. a proxy's error page."""
        ...

    def json(self) -> Any:
        """The body parsed as JSON; ``ValueError`` if it is not JSON."""
        ...


_BY_STATUS: dict[int, type[KVError]] = {
    400: InvalidRequest,
    401: AuthenticationError,
    403: PermissionDenied,
    404: NotFound,
    409: Conflict,
    410: Gone,
    412: PreconditionFailed,
    413: PayloadTooLarge,
    415: UnsupportedMediaType,
}
# Errors that one status's codes narrow down.
_BY_CODE: dict[tuple[int, str], type[KVError]] = {
    (409, "not_a_number"): NotANumber,
    (409, "number_out_of_range"): NumberOutOfRange,
    (409, "patch_contended"): PatchContended,
    (410, "cursor_expired"): CursorExpired,
}


def retry_after_seconds(headers: Mapping[str, str]) -> int | None:
    """The whole seconds of a ``Retry-After`` header, if it holds a number."""
    try:
        return max(0, int(headers["Retry-After"]))
    except (KeyError, ValueError):
        return None


def error_from_answer(answer: Answer, fallback: str) -> KVError:
    """The SDK's exception for an error answer, with the server's ``code`` and message
    (``fallback`` when the body is not the API's JSON error, e.g. a proxy's page)."""
    status = answer.status_code
    message, code, index = fallback, None, None
    try:
        body = answer.json()
    except ValueError:
        body = None
    if isinstance(body, dict):
        message = str(body.get("error") or message)
        code = str(body["code"]) if body.get("code") else None
        found = body.get("index")
        index = found if isinstance(found, int) and not isinstance(found, bool) else None
    if status == 429:
        quota = bool(code and code.endswith("quota_exceeded"))
        cls = QuotaExceeded if quota else RateLimited
        return cls(
            message,
            status=status,
            code=code,
            response=answer,
            retry_after=retry_after_seconds(answer.headers),
        )
    if status == 412 and code == "check_failed":
        failed = body.get("failed") if isinstance(body, dict) else None
        keys = [str(key) for key in failed] if isinstance(failed, list) else []
        return CheckFailed(message, status=status, code=code, response=answer, failed=keys)
    if status >= 500:
        return ServerError(message, status=status, code=code, response=answer)
    kind = _BY_CODE.get((status, code or "")) or _BY_STATUS.get(status, KVError)
    return kind(message, status=status, code=code, response=answer, index=index)
