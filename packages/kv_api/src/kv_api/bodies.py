"""Reading request bodies: to the limit plus one byte whatever the transfer encoding,
then JSON objects for the account API, any JSON for values."""

from __future__ import annotations

from typing import IO, TYPE_CHECKING, Any

from flask import current_app, request
from werkzeug.exceptions import HTTPException
from werkzeug.wsgi import LimitedStream, get_content_length, get_input_stream

from kv_api import strict_json
from kv_core.errors import InvalidInput, PayloadTooLarge
from kv_core.limits import LIMITS

if TYPE_CHECKING:
    from _typeshed.wsgi import WSGIEnvironment

# Room for a maximal value written with whitespace; its compact size is checked later.
MAX_BODY_BYTES = 4 * LIMITS.value_max_bytes


def too_large(limit: int) -> PayloadTooLarge:
    return PayloadTooLarge(
        f"The request body is larger than {limit:,} bytes.", code="payload_too_large"
    )


def read_body(environ: WSGIEnvironment, limit: int) -> bytes:
    """The whole body, or ``PayloadTooLarge`` when it is over ``limit`` bytes.

    A declared length over the limit is refused before reading. A chunked body has no
    length, so it is read to the limit plus one byte: werkzeug's own limit would cut
    it at the limit and let the rest go unseen. A body the server cannot read (a
    malformed chunk, a connection cut short) is ``InvalidInput``: WSGI names no error
    type for that, and each server raises its own.
    """
    length = get_content_length(environ)
    if length is not None and length > limit:
        raise too_large(limit)
    if length is not None:
        stream: IO[bytes] | LimitedStream = LimitedStream(environ["wsgi.input"], length)
    else:  # the server's end of a chunked body, or none when the server sets none
        stream = get_input_stream(environ)
    wanted = limit + 1
    chunks: list[bytes] = []
    while wanted > 0:
        try:
            chunk = stream.read(wanted)
        except HTTPException:  # werkzeug's own: a body shorter than its length
            raise
        except Exception as error:
            raise InvalidInput(
                "The request body could not be read: a malformed chunk, or cut short.",
                code="unreadable_body",
            ) from error
        if not chunk:
            break
        chunks.append(chunk)
        wanted -= len(chunk)
    if wanted <= 0:
        raise too_large(limit)
    return b"".join(chunks)


def request_body() -> bytes:
    """This request's body, within the app's ``MAX_CONTENT_LENGTH``."""
    return read_body(request.environ, int(current_app.config["MAX_CONTENT_LENGTH"]))


def parse_json(raw: bytes) -> Any:
    """Any JSON document, strictly (see :mod:`kv_api.strict_json`); ``InvalidInput``
    for an empty, malformed, non-UTF-8 or too deep body."""
    return strict_json.loads(raw)


def json_object() -> dict[str, Any]:
    """The request body as a JSON object."""
    body = parse_json(request_body())
    if not isinstance(body, dict):
        raise InvalidInput("The request body must be a JSON object.", code="invalid_body")
    return body


def string_field(body: dict[str, Any], name: str, *, required: bool = True) -> str | None:
    """A string member of ``body``; ``InvalidInput`` if missing (when required) or not a
    string."""
    value = body.get(name)
    if value is None:
        if required:
            raise InvalidInput(f"'{name}' is required.", code="invalid_body")
        return None
    if not isinstance(value, str):
        raise InvalidInput(f"'{name}' must be a string.", code="invalid_body")
    return value


def required_string(body: dict[str, Any], name: str) -> str:
    value = string_field(body, name, required=True)
    assert value is not None
    return value


def optional_integer(body: dict[str, Any], name: str) -> int | None:
    """A whole-number member of ``body`` (``null`` or absent: ``None``); booleans and
    fractions are refused."""
    value = body.get(name)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int):
        raise InvalidInput(f"'{name}' must be a whole number.", code="invalid_body")
    return value
