"""The request path as the client sent it, to tell invalid UTF-8 in a key from a real
U+FFFD.

A WSGI server gives ``PATH_INFO`` percent-decoded, its bytes as latin-1 characters
(PEP 3333), and werkzeug decodes those as UTF-8 with replacement: ``bad%FF``,
``bad%FE`` and ``bad%EF%BF%BD`` would all be the key ``bad\\ufffd``. The raw URI
(``RAW_URI`` from gunicorn and werkzeug, ``REQUEST_URI`` from others, the event's
``rawPath`` on Lambda, whose adapter decodes ``PATH_INFO`` with replacement itself)
keeps the bytes; without one, ``PATH_INFO``'s own characters are the bytes.
"""

from __future__ import annotations

from typing import TYPE_CHECKING
from urllib.parse import unquote_to_bytes, urlsplit

from kv_core.errors import InvalidInput

if TYPE_CHECKING:
    from _typeshed.wsgi import WSGIEnvironment


def sent_path(environ: WSGIEnvironment) -> bytes:
    """The path's bytes, percent-decoded, as the client sent them."""
    event = environ.get("serverless.event")
    raw = environ.get("RAW_URI") or environ.get("REQUEST_URI")
    if not raw and isinstance(event, dict):
        raw = event.get("rawPath")
    if raw:
        path = raw.partition("?")[0] if raw.startswith("/") else urlsplit(raw).path
        try:
            return unquote_to_bytes(path.encode("latin-1"))
        except UnicodeEncodeError:
            return unquote_to_bytes(path)
    return str(environ.get("PATH_INFO", "")).encode("latin-1", "replace")


def require_utf8_path(environ: WSGIEnvironment) -> None:
    """``InvalidInput`` (``invalid_key``) when the path is not valid UTF-8."""
    try:
        sent_path(environ).decode("utf-8")
    except UnicodeDecodeError:
        raise InvalidInput("The key is not valid UTF-8.", code="invalid_key") from None
