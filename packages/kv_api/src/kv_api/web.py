"""One WSGI application for one machine: the site at ``/``, the dashboard at
``/dashboard/`` and the API at ``/v1/``, sharing one store."""

from __future__ import annotations

import importlib
import importlib.util
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from flask import Flask, abort, send_from_directory
from flask.typing import ResponseReturnValue
from werkzeug.middleware.dispatcher import DispatcherMiddleware
from werkzeug.wrappers import Response

from kv_api.app import create_app
from kv_api.chunked import RefuseChunked
from kv_api.observe import AccessLog, Observed, Sink
from kv_core.services import Services
from kv_core.settings import Settings, build_services

if TYPE_CHECKING:
    from _typeshed.wsgi import StartResponse, WSGIApplication, WSGIEnvironment


def find_site_dir() -> Path | None:
    """The built site, when the site package is installed and has been built."""
    if importlib.util.find_spec("kv_site") is None:
        return None
    site_dir: Path = importlib.import_module("kv_site").site_dir()
    return site_dir if (site_dir / "index.html").is_file() else None


def site_app(site_dir: Path | None) -> Flask:
    """Serves the built static site, with its own 404 page; a short note if unbuilt."""
    app = Flask(__name__, static_folder=None)

    @app.get("/", defaults={"path": ""})
    @app.get("/<path:path>")
    def page(path: str) -> ResponseReturnValue:
        if site_dir is None:
            if path:
                abort(404)
            return Response(
                "KV Storage is running. The API is at /v1/ and the dashboard at /dashboard/."
                " Build the site with `nox -s docs` to serve it here.\n",
                mimetype="text/plain",
            )
        candidate = site_dir / path
        if candidate.is_dir() or path == "" or path.endswith("/"):
            path = f"{path.rstrip('/')}/index.html".lstrip("/")
        return send_from_directory(site_dir, path)

    @app.errorhandler(404)
    def not_found(_: Exception) -> ResponseReturnValue:
        if site_dir is not None and (site_dir / "404.html").is_file():
            return send_from_directory(site_dir, "404.html"), 404
        return Response("Not found\n", status=404, mimetype="text/plain")

    return app


def create_web_app(
    settings: Settings | None = None,
    *,
    services: Services | None = None,
    access_log: bool = False,
    metrics: bool = False,
    refuse_chunked: bool = False,
) -> WSGIApplication:
    """The whole product as one WSGI app, over ``services`` (built from the settings
    when not given); with ``access_log`` a JSON line per request on stdout, with
    ``metrics`` Prometheus counters at ``/metrics``, with ``refuse_chunked`` a 411 for
    a chunked request body (:mod:`kv_api.chunked`: for a server that cannot tell a
    chunked body cut short from a whole one)."""
    web: WSGIApplication = _web_app(settings, services)
    if refuse_chunked:
        web = RefuseChunked(web)
    if not (access_log or metrics):
        return web
    sinks: list[Sink] = [AccessLog()] if access_log else []
    pages: dict[str, WSGIApplication] = {}
    if metrics:
        from kv_api import prometheus

        counted = prometheus.PrometheusSink()
        sinks.append(counted)
        pages["/metrics"] = counted.page
    return Observed(web, sinks, pages=pages, request_ids=access_log)


def _web_app(settings: Settings | None, services: Services | None) -> WebApp:
    settings = settings or Settings.from_env()
    services = services or build_services(settings)
    api = create_app({"EVENT_STREAMS": True}, settings=settings, services=services)
    mounts: dict[str, Any] = {}
    if importlib.util.find_spec("kv_dashboard") is not None:
        create_dashboard = importlib.import_module("kv_dashboard").create_app
        mounts["/dashboard"] = create_dashboard(settings=settings, services=services)
    return WebApp(api, DispatcherMiddleware(site_app(find_site_dir()), mounts), services)


class WebApp:
    """``/v1`` and below to the API, whose routes carry the prefix, so it gets the
    request as it came (and the hot path no dispatching); the dashboard, mounted at
    ``/dashboard``, and the site get the rest."""

    def __init__(self, api: Flask, rest: DispatcherMiddleware, services: Services) -> None:
        self.api = api
        self.rest = rest
        self.services = services

    def __call__(self, environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        path = environ.get("PATH_INFO", "")
        if path == "/v1" or path.startswith("/v1/"):
            return self.api.wsgi_app(environ, start_response)
        return self.rest(environ, start_response)

    def close(self) -> None:
        """Write behind what the app holds (request counts not yet written) and let go
        of the store."""
        self.services.items.meter.close()
        self.services.store.close()
