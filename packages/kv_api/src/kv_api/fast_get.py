"""The hottest request, ``GET /v1/<namespace>/<key>``, served without Flask's request
machinery.

Flask's per-request work (contexts, URL adapter, hooks) costs about as much as the
``GET`` itself. This path runs the same services, the same error mapping and the same
header helpers as the ``kv`` blueprint, and hands Flask every request it does not
handle whole: other methods and addresses, reserved names and conditional requests
(``If-None-Match``). It is not installed when CORS is configured, since flask-cors adds
its headers to every answer. A test holds the two paths to the same answers.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, cast

from flask import Flask, Response
from werkzeug.wsgi import get_path_info

from kv_api.blueprints.kv import quote_etag
from kv_api.errors import handle_kv_error, handle_unexpected
from kv_api.headers import quota_headers, request_id
from kv_core.errors import KVError
from kv_core.keys import RESERVED_NAMESPACES
from kv_core.services import Principal, Services

if TYPE_CHECKING:
    from _typeshed.wsgi import StartResponse, WSGIApplication, WSGIEnvironment

PREFIX = "/v1/"


class FastGet:
    """WSGI middleware around the API's Flask app (``app.wsgi_app``)."""

    def __init__(self, app: Flask, wsgi_app: WSGIApplication) -> None:
        self.app = app
        self.wsgi_app = wsgi_app

    def __call__(self, environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        address = self._item_address(environ)
        if address is None:
            return self.wsgi_app(environ, start_response)
        response = self._get(*address, environ.get("HTTP_X_API_KEY"))
        response.headers["X-Request-Id"] = request_id(environ.get("HTTP_X_REQUEST_ID"))
        return response(environ, start_response)

    @staticmethod
    def _item_address(environ: WSGIEnvironment) -> tuple[str, str] | None:
        """The namespace and key of a plain ``GET`` of an item, else ``None``."""
        if environ.get("REQUEST_METHOD") != "GET" or "HTTP_IF_NONE_MATCH" in environ:
            return None
        path = get_path_info(environ)
        if not path.startswith(PREFIX):
            return None
        namespace, slash, key = path[len(PREFIX) :].partition("/")
        if not (namespace and slash and key) or namespace in RESERVED_NAMESPACES:
            return None
        return namespace, key

    def _get(self, namespace: str, key: str, raw_key: str | None) -> Response:
        services: Services = self.app.extensions["kv_services"]
        principal: Principal | None = None
        try:
            principal = services.items.authorize(raw_key, namespace, write=False)
            item = services.items.get(principal, key)
        except KVError as error:
            response = handle_kv_error(error, self.app.json)
        except Exception as error:
            return handle_unexpected(error, self.app.json)
        else:
            response = cast(
                Response,
                self.app.json.response(
                    key=item.key, value=item.value, version=item.version, updatedAt=item.updated_at
                ),
            )
            response.headers["ETag"] = quote_etag(item)
        response.headers.update(quota_headers(principal))
        return response
