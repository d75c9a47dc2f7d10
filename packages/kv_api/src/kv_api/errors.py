"""The one place where domain errors become HTTP responses.

Every error body is ``{"error": "<sentence for a person>", "code": "<snake_case>"}``,
and so is the body of a routing redirect, which Flask would answer in HTML.
"""

from __future__ import annotations

import logging
from typing import cast

from flask import Flask, Response, current_app, has_request_context, request
from flask.json.provider import JSONProvider
from werkzeug.exceptions import HTTPException
from werkzeug.routing import RequestRedirect

from kv_api.observe import mark_error
from kv_core.errors import (
    Conflict,
    Forbidden,
    Gone,
    InvalidInput,
    KVError,
    NotFound,
    PayloadTooLarge,
    PreconditionFailed,
    QuotaExceeded,
    StorageFull,
    StoreUnavailable,
    TooManyAttempts,
    Unauthorized,
)

log = logging.getLogger(__name__)


class UnsupportedMediaType(InvalidInput):
    """A body of a media type this address does not take (a ``PATCH`` that is not a
    JSON merge patch); ``accept`` names the types it does take, for the answer's
    header ``header``."""

    code = "unsupported_media_type"

    def __init__(self, message: str, *, header: str, accept: str) -> None:
        super().__init__(message)
        self.header = header
        self.accept = accept


# The modules whose exceptions mean the store failed, not our code.
class NotAcceptable(KVError):
    """No answer in a media type the request accepts can be given here (a stream of
    Server-Sent Events where responses are buffered whole, as on AWS Lambda)."""

    code = "not_acceptable"


STORE_LIBRARIES = frozenset({"sqlite3", "pynamodb", "botocore"})

STATUS: dict[type[KVError], int] = {
    UnsupportedMediaType: 415,
    InvalidInput: 400,
    Unauthorized: 401,
    Forbidden: 403,
    NotFound: 404,
    NotAcceptable: 406,
    Conflict: 409,
    Gone: 410,
    PreconditionFailed: 412,
    PayloadTooLarge: 413,
    QuotaExceeded: 429,
    TooManyAttempts: 429,
    StoreUnavailable: 503,
    StorageFull: 507,
}

HTTP_CODES = {
    404: ("not_found", "There is nothing at this address."),
    405: ("method_not_allowed", "This address does not accept that method."),
    413: ("payload_too_large", "The request body is too large."),
    415: ("unsupported_media_type", "This address does not take a body of that type."),
}


def error_response(
    status: int,
    message: str,
    code: str,
    json: JSONProvider | None = None,
    *,
    index: int | None = None,
) -> Response:
    """The error body; ``json`` is the app's provider when there is no app context.
    ``index`` names the entry of a bulk request to blame, when there is one."""
    fields: dict[str, object] = {"error": message, "code": code}
    if index is not None:
        fields["index"] = index
    response = cast(Response, (json or current_app.json).response(**fields))
    response.status_code = status
    return response


def status_of(error: KVError) -> int:
    for cls in type(error).__mro__:
        if cls in STATUS:
            return STATUS[cls]
    return 400


def failure_code(error: Exception) -> str:
    """``store_error`` for a failure of the store's libraries, else ``internal_error``
    (for the metrics; the answer says the same either way)."""
    library = type(error).__module__.partition(".")[0]
    return "store_error" if library in STORE_LIBRARIES else "internal_error"


def handle_kv_error(error: KVError, json: JSONProvider | None = None) -> Response:
    if isinstance(error, StoreUnavailable):
        # Not the client's doing and not a bug: a line for the operator, no traceback.
        log.warning("the store failed: %s", error.__cause__ or error)
    if has_request_context():  # the fast path marks its own
        mark_error(request.environ, error.code)
    response = error_response(status_of(error), error.message, error.code, json, index=error.index)
    retry_after = getattr(error, "retry_after", None)
    if retry_after is not None:
        response.headers["Retry-After"] = str(retry_after)
    if isinstance(error, UnsupportedMediaType):
        response.headers[error.header] = error.accept
    if isinstance(error, Unauthorized):
        response.headers["WWW-Authenticate"] = "Bearer"
    return response


def handle_http_error(error: HTTPException, json: JSONProvider | None = None) -> Response:
    status = error.code or 500
    code, message = HTTP_CODES.get(
        status, ((error.name or "error").lower().replace(" ", "_"), error.description or "")
    )
    response = error_response(status, message, code, json)
    if status == 405 and error.response is None:
        allowed = getattr(error, "valid_methods", None)
        if allowed:
            response.headers["Allow"] = ", ".join(allowed)
    return response


def handle_unexpected(error: Exception, json: JSONProvider | None = None) -> Response:
    log.exception("unhandled error", exc_info=error)
    if has_request_context():
        mark_error(request.environ, failure_code(error))
    return error_response(500, "Something went wrong on our side.", "internal_error", json)


def json_redirect() -> Response | None:
    """A routing redirect as JSON with its ``Location``.

    Flask hands werkzeug's ``RequestRedirect`` back untouched, past every error handler,
    so it is answered here, before the view it would have reached.
    """
    redirect = request.routing_exception
    if not isinstance(redirect, RequestRedirect):
        return None
    response = error_response(
        redirect.code, f"This address is now {redirect.new_url}.", "permanent_redirect"
    )
    response.headers["Location"] = redirect.new_url
    return response


def register_error_handlers(app: Flask) -> None:
    app.register_error_handler(KVError, handle_kv_error)
    app.register_error_handler(HTTPException, handle_http_error)
    app.register_error_handler(Exception, handle_unexpected)
    app.before_request(json_redirect)
