"""The API's application factory."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from flask import Flask, Response, request
from flask_cors import CORS

from kv_api import fast_path
from kv_api.blueprints import account, api_keys, auth, kv, meta, namespaces, usage, webhooks
from kv_api.bodies import MAX_BODY_BYTES
from kv_api.errors import register_error_handlers
from kv_api.headers import request_id
from kv_api.json_provider import OrjsonProvider
from kv_api.observe import mark_route
from kv_core.services import Billing, Services
from kv_core.settings import Settings, build_services


def create_app(
    config: Mapping[str, Any] | None = None,
    *,
    services: Services | None = None,
    settings: Settings | None = None,
) -> Flask:
    """Build the API.

    Without arguments it reads the environment (see :class:`Settings`). Tests and
    ``kv-storage serve`` pass ``settings`` and, to share one store with the dashboard,
    ``services``. ``config`` overrides Flask settings; ``FAST_PATH=False`` sends every
    ``GET`` and ``PUT`` of an item through Flask too (see :mod:`kv_api.fast_path`).
    """
    settings = settings or Settings.from_env()
    services = services or build_services(settings)

    app = Flask(__name__)
    app.config.update(
        JWT_SECRET=settings.secret,
        MAX_CONTENT_LENGTH=MAX_BODY_BYTES,
        PADDLE_TOLERANCE_SECONDS=settings.paddle_tolerance_seconds,
    )
    app.json = OrjsonProvider(app)
    app.json.sort_keys = False
    app.config.update(config or {})
    app.extensions["kv_services"] = services
    app.extensions["kv_settings"] = settings
    app.extensions["kv_billing"] = Billing(
        services.store,
        services.config,
        services.notifier,
        settings.paddle_prices,
        api_keys=services.api_keys,
    )
    app.url_map.merge_slashes = False

    for module in (auth, account, namespaces, api_keys, usage, webhooks, meta, kv):
        app.register_blueprint(module.bp)
    register_error_handlers(app)

    if settings.cors_origins:
        CORS(
            app,
            origins=list(settings.cors_origins),
            allow_headers=[
                "Content-Type",
                "Authorization",
                "x-api-key",
                "If-Match",
                "If-None-Match",
                "KV-Metadata",
            ],
            expose_headers=[
                "ETag",
                "X-Request-Id",
                "X-RateLimit-Limit",
                "X-RateLimit-Remaining",
                "Retry-After",
                "Accept-Patch",
            ],
            methods=["GET", "PUT", "POST", "PATCH", "DELETE", "OPTIONS"],
            max_age=600,
        )

    @app.before_request
    def name_the_route() -> None:
        """For the access log and the metrics: the route template, never the path."""
        rule, args = request.url_rule, request.view_args
        mark_route(
            request.environ, rule.rule if rule else None, args.get("namespace") if args else None
        )

    @app.after_request
    def send_request_id(response: Response) -> Response:
        response.headers["X-Request-Id"] = request_id(request.headers.get("X-Request-Id"))
        return response

    fast_path.install(app, cors=bool(settings.cors_origins))

    return app
