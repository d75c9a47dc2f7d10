"""The data plane's hottest requests, ``GET`` and ``PUT`` of one item, served without
Flask's request machinery.

Flask's per-request work (contexts, URL adapter, hooks) costs about as much as a
``GET`` itself. This path runs the same services, body parser, error mapping and header
helpers as the ``kv`` blueprint, and hands Flask every request it does not handle
whole: other methods and addresses, reserved names, conditional requests
(``If-Match``, ``If-None-Match``), and any request with a query string (``ttl``,
``expiresAt``) or metadata (``KV-Metadata``). Bodies are read as Flask's path reads them, to the
limit plus one byte whatever the transfer encoding. It is not installed when CORS is
configured, since flask-cors adds its headers to every answer; :func:`install` says so
in the log. A test holds the two paths to the same answers.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from typing import TYPE_CHECKING

from flask import Flask, Response
from werkzeug.exceptions import HTTPException
from werkzeug.wsgi import get_path_info

from kv_api.answers import item_response, written_response
from kv_api.blueprints.kv import bp
from kv_api.bodies import parse_json, read_body
from kv_api.errors import failure_code, handle_http_error, handle_kv_error, handle_unexpected
from kv_api.headers import quota_headers, request_id
from kv_api.observe import mark_error, mark_route
from kv_api.raw_path import require_utf8_path
from kv_core.errors import KVError
from kv_core.names import RESERVED_NAMESPACES
from kv_core.services import Principal, Services

if TYPE_CHECKING:
    from _typeshed.wsgi import StartResponse, WSGIApplication, WSGIEnvironment

PREFIX = f"{bp.url_prefix}/"  # the kv blueprint's, whose GET and PUT this serves
ROUTE = f"{PREFIX}<namespace>/<key:key>"  # as Flask names the route
# Headers that only the blueprint reads: conditions, and a PUT's metadata.
FLASK_HEADERS = ("HTTP_IF_MATCH", "HTTP_IF_NONE_MATCH", "HTTP_KV_METADATA")
log = logging.getLogger(__name__)


def install(app: Flask, *, cors: bool) -> None:
    """Put the fast path in front of ``app`` unless ``FAST_PATH`` is off or CORS is
    configured; in that case say once, in the log, why every request goes to Flask."""
    if not app.config.get("FAST_PATH", True):
        return
    if cors:
        log.warning(
            "The fast path for item GET and PUT is off: CORS is configured (KV_CORS_ORIGINS),"
            " and flask-cors adds its headers in Flask. Every request goes through Flask."
        )
        return
    app.wsgi_app = FastPath(app, app.wsgi_app)  # type: ignore[method-assign]


class FastPath:
    """WSGI middleware around the API's Flask app (``app.wsgi_app``)."""

    def __init__(self, app: Flask, wsgi_app: WSGIApplication) -> None:
        self.app = app
        self.wsgi_app = wsgi_app

    def __call__(self, environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        address = self._item_address(environ)
        if address is None:
            return self.wsgi_app(environ, start_response)
        namespace, key = address
        mark_route(environ, ROUTE, namespace)
        services: Services = self.app.extensions["kv_services"]
        write = environ["REQUEST_METHOD"] == "PUT"
        principal: Principal | None = None
        try:
            principal = services.items.authorize(
                environ.get("HTTP_X_API_KEY"), namespace, write=write
            )
            require_utf8_path(environ)
            if write:
                response = self._put(services, principal, key, environ)
            else:
                response = self._get(services, principal, key)
        except KVError as error:
            mark_error(environ, error.code)
            response = handle_kv_error(error, self.app.json)
        except HTTPException as error:
            response = handle_http_error(error, self.app.json)
        except Exception as error:
            mark_error(environ, failure_code(error))
            response = handle_unexpected(error, self.app.json)
        # Written out here rather than through ``response(environ, start_response)``:
        # these answers are complete (JSON with its length, no streaming, no redirect),
        # so werkzeug's finishing pass over them only costs time.
        headers = response.headers.to_wsgi_list()
        headers.extend(quota_headers(principal).items())
        headers.append(("X-Request-Id", request_id(environ.get("HTTP_X_REQUEST_ID"))))
        start_response(response.status, headers)
        return [response.get_data()]

    def _item_address(self, environ: WSGIEnvironment) -> tuple[str, str] | None:
        """The namespace and key of a plain ``GET`` or ``PUT`` of an item, else ``None``."""
        method = environ.get("REQUEST_METHOD")
        if method not in ("GET", "PUT") or any(name in environ for name in FLASK_HEADERS):
            return None
        if environ.get("QUERY_STRING"):  # ttl, expiresAt: options only the blueprint reads
            return None
        path = get_path_info(environ)
        if not path.startswith(PREFIX):
            return None
        namespace, slash, key = path[len(PREFIX) :].partition("/")
        if not (namespace and slash and key) or namespace in RESERVED_NAMESPACES:
            return None
        return namespace, key

    def _get(self, services: Services, principal: Principal, key: str) -> Response:
        return item_response(self.app.json, services.items.get(principal, key))

    def _put(
        self, services: Services, principal: Principal, key: str, environ: WSGIEnvironment
    ) -> Response:
        body = read_body(environ, int(self.app.config["MAX_CONTENT_LENGTH"]))
        item, created = services.items.put(principal, key, parse_json(body))
        return written_response(self.app.json, item, created)
