"""``kv-storage serve`` refuses chunked request bodies: 411 Length Required.

Granian hands the app a chunked body cut short (a malformed chunk, a connection lost
before the last chunk) as if it had ended there, so a partial body would pass for a
whole one: a value stored from its first part and answered ``201``. A body with a
``Content-Length`` is safe, since one cut short is shorter than its length (and refused,
see :func:`kv_api.bodies.read_body`). So, like Amazon S3, serve asks for the length;
every client and browser sends one for a body it holds whole. On AWS Lambda, API
Gateway buffers every body whole before the app sees it, and the app takes chunked ones.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

import orjson

if TYPE_CHECKING:
    from _typeshed.wsgi import StartResponse, WSGIApplication, WSGIEnvironment

BODY = orjson.dumps(
    {
        "error": "Send the request body with a Content-Length header: this server does not"
        " take chunked request bodies.",
        "code": "length_required",
    }
)


def is_chunked(environ: WSGIEnvironment) -> bool:
    """Whether the request's body comes in chunks (no ``Content-Length``)."""
    encoding = str(environ.get("HTTP_TRANSFER_ENCODING", "")).lower()
    return "chunked" in encoding and not environ.get("CONTENT_LENGTH")


class RefuseChunked:
    """WSGI middleware: 411 with a JSON error for a chunked request body, before the
    app reads any of it; anything else to ``app``."""

    def __init__(self, app: WSGIApplication) -> None:
        self.app = app

    def __call__(self, environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        if not is_chunked(environ):
            return self.app(environ, start_response)
        start_response(
            "411 Length Required",
            [
                ("Content-Type", "application/json"),
                ("Content-Length", str(len(BODY))),
                ("Cache-Control", "no-store"),
                ("Connection", "close"),
            ],
        )
        return [BODY]

    def close(self) -> None:
        """Close the app, when it has something to close (a worker that stops)."""
        close: Any = getattr(self.app, "close", None)
        if close is not None:
            close()
